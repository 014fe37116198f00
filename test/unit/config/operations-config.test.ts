import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig, type PartialConfig } from '../../../lib/config.ts';

describe('operations, console hosting and WAF settings', () => {
  it('defaults to no alarm e-mail, no console hosting and no WAF', () => {
    // Act
    const config = resolveConfig();

    // Assess
    expect(config.operations).toEqual({
      rejectionRatePercent: 50,
      rejectionRateMinDecisions: 20,
      slaBreachesPerHour: 1,
      sourceMapsAtRuntime: false,
    });
    expect(config.consoleHosting).toEqual({ enabled: false });
    expect(config.apiWaf).toEqual({ enabled: false, requestsPer5MinutesPerIp: 1000 });
  });

  it.each<[string, PartialConfig]>([
    ['an alarm e-mail', { operations: { alarmEmail: 'kyc-ops@example.com' } }],
    ['console hosting with a domain prefix', { consoleHosting: { enabled: true, cognitoDomainPrefix: 'acme-kyc' } }],
    [
      'a web ACL ARN',
      {
        apiWaf: {
          enabled: true,
          webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/kyc-api/0f1e2d3c-aaaa-bbbb-cccc-111122223333',
        },
      },
    ],
  ])('accepts %s', (_what, partial) => {
    // Act / Assess
    expect(() => resolveConfig(partial)).not.toThrow();
  });

  it.each<[PartialConfig, string]>([
    [{ operations: { alarmEmail: 'not an address' } }, 'operations.alarmEmail'],
    [{ operations: { alarmEmail: 'ops@localhost' } }, 'operations.alarmEmail'],
    [{ operations: { rejectionRatePercent: 0 } }, 'operations.rejectionRatePercent'],
    [{ operations: { rejectionRatePercent: 120 } }, 'operations.rejectionRatePercent'],
    [{ operations: { rejectionRateMinDecisions: 0 } }, 'operations.rejectionRateMinDecisions'],
    [{ operations: { slaBreachesPerHour: 0.5 } }, 'operations.slaBreachesPerHour'],
    [{ operations: { sourceMapsAtRuntime: 'yes' as unknown as boolean } }, 'operations.sourceMapsAtRuntime'],
    [{ consoleHosting: { enabled: true } }, 'consoleHosting.cognitoDomainPrefix'],
    [{ consoleHosting: { enabled: true, cognitoDomainPrefix: 'My_Console' } }, 'consoleHosting.cognitoDomainPrefix'],
    [{ consoleHosting: { enabled: true, cognitoDomainPrefix: 'aws-kyc' } }, 'consoleHosting.cognitoDomainPrefix'],
    [
      { apiWaf: { enabled: true, webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/a/b' } },
      'apiWaf.webAclArn',
    ],
    [{ apiWaf: { enabled: true, requestsPer5MinutesPerIp: 5 } }, 'apiWaf.requestsPer5MinutesPerIp'],
  ])('refuses %j', (partial, problem) => {
    // Act
    const resolving = () => resolveConfig(partial);

    // Assess
    expect(resolving).toThrow(ConfigError);
    expect(resolving).toThrow(problem);
  });
});
