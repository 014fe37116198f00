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
export async function launchBrowser(
  options: {
    locale?: string;
    viewport?: { width: number; height: number };
    /**
     * Camera: a Y4M file the fake camera plays (access granted without a prompt), or `'refused'`
     * for a camera whose permission the user refuses. Default: no camera flags at all.
     */
    camera?: string | 'refused';
  } = {},
): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'kyc-chromium-'));
  const camera =
    options.camera === undefined
      ? []
      : options.camera === 'refused'
        ? ['--use-fake-device-for-media-stream', '--deny-permission-prompts']
        : [
            '--use-fake-device-for-media-stream',
            '--use-fake-ui-for-media-stream',
            `--use-file-for-fake-video-capture=${options.camera}`,
          ];
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS, ...camera],
      locale: options.locale ?? 'en-GB',
      viewport: options.viewport ?? { width: 900, height: 1000 },
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
