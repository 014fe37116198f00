/**
 * The compliance console (`/console/`) as a test drives it: sign-in, navigation by the hash
 * routes the console links to, waits on what the page shows (never on time), and the list of
 * Content Security Policy violations and page errors it reported.
 */
import type { Locator, Page } from 'playwright-core';

export class ConsolePage {
  /** CSP violations and uncaught errors the page reported (expected: none). */
  readonly problems: string[] = [];
  /** Every URL the page requested. */
  readonly requests: string[] = [];
  /** What a failed wait should explain: console errors, failed requests, 4xx/5xx answers. */
  private readonly trail: string[] = [];

  constructor(
    readonly page: Page,
    readonly baseUrl: string,
  ) {
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) this.problems.push(message.text());
    });
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('request', (request) => this.requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        this.note(`console.${message.type()}: ${message.text()}`);
    });
    page.on('requestfailed', (request) => this.note(`requestfailed: ${request.method()} ${request.url()}`));
    page.on('response', (response) => {
      if (response.status() >= 400)
        this.note(`response ${response.status()}: ${response.request().method()} ${response.url()}`);
    });
  }

  private note(line: string): void {
    this.trail.push(`${new Date().toISOString()} ${line}`);
    if (this.trail.length > 50) this.trail.shift();
  }

  /** The page's route, notice, error boxes and recent trail, for the message of a failed wait. */
  async diagnostics(): Promise<string> {
    const shown = await this.page
      .evaluate(() => {
        const notice = document.getElementById('notice');
        const errors = Array.from(document.querySelectorAll('.error')).map((box) => box.textContent?.trim() ?? '');
        return [
          `route=${window.location.hash}`,
          `notice=${notice && !notice.hidden ? `"${notice.textContent?.trim() ?? ''}"` : '(hidden)'}`,
          `errors=${errors.length > 0 ? errors.join(' | ') : '(none)'}`,
          `main="${(document.getElementById('main')?.textContent ?? '').replace(/\s+/g, ' ').slice(0, 400)}"`,
        ].join('\n');
      })
      .catch((error: unknown) => `page state unavailable: ${String(error)}`);
    return `${shown}\ntrail:\n${this.trail.join('\n') || '(nothing)'}`;
  }

  /** Waits until `locator` shows; a timeout names what the page showed instead. */
  async waitFor(locator: Locator, timeoutMs = 30_000): Promise<void> {
    try {
      await locator.waitFor({ timeout: timeoutMs });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await this.diagnostics()}`, { cause: error });
    }
  }

  /** Opens the console with `#token=<jwt>` (as a link from `kyc token` would) and waits for the first screen. */
  async signInWithFragment(token: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/console/#token=${token}`);
    await this.waitFor(this.page.locator('#nav a').first());
  }

  /** Opens the console and pastes the token into the sign-in field. */
  async signInWithField(token: string): Promise<void> {
    await this.page.goto(`${this.baseUrl}/console/`);
    await this.page.locator('#token').fill(token);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
    await this.waitFor(this.page.locator('#nav a').first());
  }

  /** Follows a hash route, e.g. `#/cases/<id>`. */
  async go(hash: string): Promise<void> {
    await this.page.evaluate((target) => {
      window.location.hash = target;
    }, hash);
  }

  /** The notice banner's text once it shows. */
  async notice(): Promise<string> {
    const notice = this.page.locator('#notice:not([hidden])');
    await this.waitFor(notice);
    return (await notice.textContent()) ?? '';
  }

  /** True when the page is no wider than the viewport (no sideways scrolling). */
  fitsViewport(): Promise<boolean> {
    return this.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  }
}
