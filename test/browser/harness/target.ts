/**
 * Where the browser test points: the fake API of this folder by default, or a running
 * runtime when `KYC_BASE_URL` is set (e.g. `KYC_BASE_URL=http://127.0.0.1:3000` after
 * `npx kyc local`). Assertions that need to see inside the server use `target.fake`, which is
 * undefined against a real runtime.
 */
import { startFakeKycApi, type FakeKycApi, type FakeKycApiOptions } from './fake-kyc-api.ts';

export interface TestTarget {
  readonly baseUrl: string;
  readonly fake: FakeKycApi | undefined;
  close(): Promise<void>;
}

/** True when the tests run against a real runtime instead of the fake. */
export const USING_REAL_RUNTIME = Boolean(process.env.KYC_BASE_URL);

/** Starts the fake with `options`, or returns the real runtime named by `KYC_BASE_URL`. */
export async function startTarget(options: FakeKycApiOptions = {}): Promise<TestTarget> {
  const external = process.env.KYC_BASE_URL;
  if (external) return { baseUrl: external.replace(/\/$/, ''), fake: undefined, close: async () => undefined };
  const fake = await startFakeKycApi(options);
  return { baseUrl: fake.baseUrl, fake, close: () => fake.close() };
}
