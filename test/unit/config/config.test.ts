import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../../lambdas/adapters/aws/environment.ts';
import {
  ConfigError,
  DEFAULT_CONFIG,
  configFromContext,
  mergeConfig,
  resolveConfig,
  retentionDays,
} from '../../../lib/config.ts';

describe('configuration', () => {
  it('defaults are valid and keep evidence for at least 5 years', () => {
    // Act
    const config = resolveConfig();
    // Assess
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(retentionDays(config.retention.evidenceYears)).toBeGreaterThanOrEqual(1826);
  });

  it.each([
    [{ retention: { evidenceYears: 4 } }, /retention.evidenceYears must be at least 5 years/],
    [{ retention: { auditYears: 1 } }, /retention.auditYears must be at least 5 years/],
    [{ region: 'us-east-1', allowedRegions: ['eu-west-1'] }, /outside allowedRegions.*data residency/],
    [{ rateLimits: { attemptsPerWindow: -1 } }, /rateLimits.attemptsPerWindow must be a positive number/],
    [{ uploads: { maxFileBytes: -5 } }, /uploads.maxFileBytes must be a positive number/],
    [{ identity: { faceMatchApprove: 150 } }, /identity.faceMatchApprove must be between 0 and 100/],
    [{ identity: { faceMatchReject: 96, faceMatchApprove: 90 } }, /faceMatchReject must not exceed/],
    [{ uploads: { presignExpirySeconds: 3600 } }, /presignExpirySeconds must be at most 900/],
    [{ allowedOrigins: ['https://*.example.com'] }, /allowedOrigins entry/],
    [{ features: { webhooks: true } }, /features.webhooks needs webhookUrl/],
    [{ webhookUrl: 'http://hooks.example.com' }, /webhookUrl must use https/],
  ])('rejects %j', (partial, message) => {
    // Act + Assess
    expect(() => resolveConfig(partial as never)).toThrow(ConfigError);
    expect(() => resolveConfig(partial as never)).toThrow(message);
  });

  it('lists every problem at once', () => {
    // Act
    const error = (() => {
      try {
        resolveConfig({ retention: { evidenceYears: 1 }, rateLimits: { cooldownSeconds: 0 } });
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    // Assess
    expect(error?.problems).toHaveLength(2);
  });

  it("reads a function's KYC_CONFIG merged onto the defaults, without validating it again", () => {
    // Prepare: what synth writes (validated there), and a section the defaults complete
    const written = JSON.stringify(resolveConfig({ review: { slaDays: 3 } }));
    const partial = JSON.stringify({ identity: { faceMatchApprove: 97 } });

    // Act
    const fromSynth = configFromEnv({ KYC_CONFIG: written });
    const completed = configFromEnv({ KYC_CONFIG: partial });

    // Assess: the same merge as resolveConfig, and no ConfigError at a cold start
    expect(fromSynth).toEqual(resolveConfig({ review: { slaDays: 3 } }));
    expect(completed.identity).toEqual({ ...DEFAULT_CONFIG.identity, faceMatchApprove: 97 });
    expect(configFromEnv({})).toBe(DEFAULT_CONFIG);
    expect(mergeConfig({ retention: { evidenceYears: 4 } }).retention.evidenceYears).toBe(4);
    expect(() => resolveConfig({ retention: { evidenceYears: 4 } })).toThrow(ConfigError);
  });

  it('a region alone becomes the allow-list', () => {
    expect(resolveConfig({ region: 'ap-southeast-1' }).allowedRegions).toEqual(['ap-southeast-1']);
  });

  it('reads CDK context as an object or a JSON string, and reports bad JSON', () => {
    // Prepare
    const node = (ctx: Record<string, unknown>) => ({ tryGetContext: (key: string) => ctx[key] });
    // Act + Assess
    expect(configFromContext(node({ kyc: { prefix: 'acme' } })).prefix).toBe('acme');
    expect(configFromContext(node({ kyc: '{"review":{"slaDays":3}}' })).review.slaDays).toBe(3);
    expect(() => configFromContext(node({ kyc: '{oops' }))).toThrow(/not valid JSON/);
    expect(() => configFromContext(node({ kycConfigFile: '/nonexistent.json' }))).toThrow(/could not be read/);
  });
});
