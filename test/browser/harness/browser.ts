/**
 * Launches the Debian Chromium the integrator installs, through playwright-core (which never
 * downloads a browser), with a fresh profile each time.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian puts Chromium (`apt-get install chromium`); `KYC_CHROMIUM` overrides it. */
export const CHROMIUM_PATH = process.env.KYC_CHROMIUM ?? '/usr/bin/chromium';

/** Flags for a quiet, offline, container-friendly headless run. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** True when the browser binary is installed (the test is skipped with a reason otherwise). */
export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

/** A browser with its own throw-away profile; `close()` ends the browser and deletes the profile. */
export interface TestBrowser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Starts headless Chromium with a fresh `--user-data-dir` (Playwright passes it for a
 * persistent context), so no storage leaks between tests.
 *
 * @example
 * ```ts
 * const browser = await launchBrowser();
 * const page = await browser.context.newPage();
 * await browser.close();
 * ```
 */
export async function launchBrowser(options: { locale?: string } = {}): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'kyc-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      locale: options.locale ?? 'en-GB',
      viewport: { width: 900, height: 1000 },
    });
    return {
      context,
      async close() {
        await context.close().catch(() => undefined);
        await rm(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
}
