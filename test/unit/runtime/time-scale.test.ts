import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../lib/config.ts';
import { configFromEnv } from '../../../lambdas/adapters/aws/environment.ts';
import { cooldownSeconds } from '../../../lambdas/domain/rate-limit.ts';
import { scaleConfigDurations, withTimeScale } from '../../../local/runtime/template/time-scale.ts';
import type { LocalFunction } from '../../../local/runtime/template/local-functions.ts';

const fn = (environment: Record<string, string>): LocalFunction => ({
  stackName: 'Kyc-App',
  logicalId: 'Fn',
  name: 'fn',
  arn: 'arn:aws:lambda:eu-west-1:000000000000:function:fn',
  entry: 'lambdas/handlers/http/create-attempt.ts',
  exportName: 'handler',
  timeoutMs: 10_000,
  environment,
});

describe('time scale of the functions configuration', () => {
  it('scales the cooldown and review SLA the functions compute, and nothing else', () => {
    // Prepare
    const config = resolveConfig({});
    const environment = { KYC_CONFIG: JSON.stringify(config), TABLE: 'verifications' };

    // Act
    const scaled = withTimeScale(fn(environment), 0.0005);

    // Assess
    expect(scaled.environment.TABLE).toBe('verifications');
    const seen = configFromEnv(scaled.environment);
    expect(seen.rateLimits.cooldownSeconds).toBeCloseTo(43.2, 6);
    expect(seen.review.slaDays).toBeCloseTo(0.0035, 9);
    expect(seen.rateLimits.windowSeconds).toBe(config.rateLimits.windowSeconds);
    expect(seen.uploads.presignExpirySeconds).toBe(config.uploads.presignExpirySeconds);
    expect(seen.evidenceAccess).toEqual(config.evidenceAccess);
    // The cooldown the rate limiter enforces is the workflow's scaled wait (86400 s x 0.0005).
    expect(
      cooldownSeconds(
        { attempts: [], consecutiveFailures: 3, riskFlags: [], recordedOutcomes: [], cooledDown: false },
        seen.rateLimits,
      ),
    ).toBe(43);
  });

  it.each([
    ['a time scale of 1', { KYC_CONFIG: '{"rateLimits":{"cooldownSeconds":86400}}' }, 1],
    ['a function without KYC_CONFIG', { TABLE: 't' }, 0.001],
    ['an empty KYC_CONFIG', { KYC_CONFIG: '' }, 0.001],
  ])('leaves %s unchanged', (_name, environment, timeScale) => {
    // Prepare
    const original = fn(environment);

    // Act
    const scaled = withTimeScale(original, timeScale);

    // Assess
    expect(scaled).toBe(original);
  });

  it('keeps scaled values positive, as validation demands', () => {
    // Act
    const scaled = scaleConfigDurations({ rateLimits: { cooldownSeconds: 1 }, review: { slaDays: 3 } }, 0.000001);

    // Assess
    expect(scaled).toEqual({ rateLimits: { cooldownSeconds: 0.001 }, review: { slaDays: 0.001 } });
  });
});
