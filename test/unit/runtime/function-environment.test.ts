import { afterAll, describe, expect, it } from 'vitest';
import { installEnvironmentOverlay, runWithEnvironment } from '../../../local/runtime/lambda/function-environment.ts';

const uninstall = installEnvironmentOverlay();
afterAll(() => uninstall());

describe('per-function environment overlay', () => {
  it('shows each concurrent invocation its own values, across awaits', async () => {
    // Prepare
    process.env.KYC_TEST_SHARED = 'shared';
    const read = async (): Promise<string> => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return `${process.env.KYC_TEST_TASK}/${process.env.KYC_TEST_SHARED}`;
    };

    // Act
    const [decide, faceMatch] = await Promise.all([
      runWithEnvironment({ KYC_TEST_TASK: 'decide' }, read),
      runWithEnvironment({ KYC_TEST_TASK: 'face-match' }, read),
    ]);

    // Assess
    expect(decide).toBe('decide/shared');
    expect(faceMatch).toBe('face-match/shared');
    expect(process.env.KYC_TEST_TASK).toBeUndefined();
    expect('KYC_TEST_TASK' in process.env).toBe(false);
  });

  it('lists overlaid variables as own keys inside an invocation only', () => {
    // Act
    const inside = runWithEnvironment({ KYC_TEST_ONLY_INSIDE: '1' }, () => Object.keys(process.env));

    // Assess
    expect(inside).toContain('KYC_TEST_ONLY_INSIDE');
    expect(Object.keys(process.env)).not.toContain('KYC_TEST_ONLY_INSIDE');
  });

  it('lets an existing variable be assigned again and deleted, outside and inside an invocation', () => {
    // Prepare
    process.env.KYC_TEST_REASSIGNED = 'first';

    // Act
    process.env.KYC_TEST_REASSIGNED = 'second';
    const inside = runWithEnvironment({ KYC_TEST_TASK: 'decide' }, () => {
      process.env.KYC_TEST_REASSIGNED = 'third';
      return process.env.KYC_TEST_REASSIGNED;
    });
    const after = process.env.KYC_TEST_REASSIGNED;
    delete process.env.KYC_TEST_REASSIGNED;

    // Assess
    expect(inside).toBe('third');
    expect(after).toBe('third');
    expect(process.env.KYC_TEST_REASSIGNED).toBeUndefined();
  });
});
