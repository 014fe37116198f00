/**
 * Page object for `web/index.html`: what a user does on the reference upload page, in the
 * words of the page (labels, buttons), so tests read like the flow in PRODUCT §7.
 */
import type { Page } from 'playwright-core';

export interface DetailsInput {
  readonly level: 'basic' | 'advanced';
  readonly nationality: string;
  readonly documentType: 'passport' | 'id_card' | 'driving_licence';
  readonly fullName: string;
  readonly dateOfBirth: string;
  readonly address: string;
}

export interface ShownReason {
  readonly code: string;
  readonly message: string;
  readonly tip: string;
}

const PENDING = ['awaiting_upload', 'processing'];

export class UploadPage {
  /** What the page did that a failed wait should explain: console errors, failed requests. */
  private readonly trail: string[] = [];
  /** What the browser refused under the page's Content-Security-Policy (the console's reports). */
  public readonly cspViolations: string[] = [];

  /**
   * @param runtimeLog the local runtime's log lines, when the page runs against one: a wait that
   *   fails shows what the pipeline did next to what the page shows.
   */
  public constructor(
    public readonly page: Page,
    private readonly runtimeLog?: readonly string[],
  ) {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning')
        this.note(`console.${message.type()}: ${message.text()}`);
      if (/Content Security Policy/i.test(message.text())) this.cspViolations.push(message.text());
    });
    page.on('pageerror', (error) => this.note(`pageerror: ${error.message}`));
    page.on('requestfailed', (request) =>
      this.note(`requestfailed: ${request.method()} ${request.url()} ${request.failure()?.errorText ?? ''}`),
    );
    page.on('response', (response) => {
      if (response.status() >= 400)
        this.note(`response ${response.status()}: ${response.request().method()} ${response.url()}`);
    });
  }

  private note(line: string): void {
    this.trail.push(`${new Date().toISOString()} ${line}`);
    if (this.trail.length > 50) this.trail.shift();
  }

  /**
   * The page's visible state and its recent trail, for the message of a wait that failed: what
   * the status says, what the error box says, and every slot's progress label.
   */
  public async diagnostics(): Promise<string> {
    const shown = await this.page
      .evaluate(() => {
        const text = (id: string) => document.getElementById(id)?.textContent?.trim() ?? '';
        const error = document.getElementById('error');
        const slots = Array.from(document.querySelectorAll<HTMLElement>('#slots .slot')).map(
          (slot) => `${slot.dataset.slot ?? '?'}=${text(`state-${slot.dataset.slot ?? ''}`)}`,
        );
        return [
          `status=${document.getElementById('status-value')?.dataset.status ?? '(none)'} "${text('status-value')}"`,
          `error=${error && !error.hidden ? `"${text('error-message')}" ${text('error-detail')}` : '(hidden)'}`,
          `slots: ${slots.join(', ')}`,
        ].join('\n');
      })
      .catch((error: unknown) => `page state unavailable: ${String(error)}`);
    const runtime = this.runtimeLog ? `\nruntime log:\n${this.runtimeLog.slice(-40).join('\n') || '(nothing)'}` : '';
    return `${shown}\ntrail:\n${this.trail.join('\n') || '(nothing)'}${runtime}`;
  }

  /** Opens the page and waits until its script has initialised. */
  public async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/`);
    await this.page.locator('body[data-ready="true"]').waitFor();
  }

  /** Fills step 1 and continues; resolves when the upload slots are shown. */
  public async submitDetails(details: DetailsInput): Promise<void> {
    await this.page.locator(`input[name="level"][value="${details.level}"]`).check();
    await this.page.locator('#nationality').selectOption(details.nationality);
    await this.page.locator('#document-type').selectOption(details.documentType);
    await this.page.locator('#full-name').fill(details.fullName);
    await this.page.locator('#date-of-birth').fill(details.dateOfBirth);
    await this.page.locator('#address').fill(details.address);
    await this.page.locator('#details-form button[type="submit"]').click();
  }

  /** Waits for the upload step and returns its slots in page order. */
  public async slots(): Promise<string[]> {
    await this.page.locator('#upload-step').waitFor({ state: 'visible' });
    return this.page
      .locator('#slots .slot')
      .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.slot ?? ''));
  }

  public async chooseFile(slot: string, path: string): Promise<void> {
    await this.page.locator(`#file-${slot}`).setInputFiles(path);
  }

  public async upload(): Promise<void> {
    await this.page.locator('#upload-form button[type="submit"]').click();
  }

  /** Progress bar value (0-100) and its visible label for a slot. */
  public async progress(slot: string): Promise<{ value: number; label: string }> {
    const value = await this.page
      .locator(`#progress-${slot}`)
      .evaluate((element) => (element as HTMLProgressElement).value);
    const label = (await this.page.locator(`#state-${slot}`).textContent()) ?? '';
    return { value, label };
  }

  /** Waits until the status shown is no longer pending and returns it. */
  public async waitForDecision(timeoutMs = 30_000): Promise<string> {
    try {
      await this.page.waitForFunction(
        (pending) => {
          const status = document.getElementById('status-value')?.dataset.status;
          return Boolean(status) && !pending.includes(status ?? '');
        },
        PENDING,
        { timeout: timeoutMs },
      );
    } catch (error) {
      throw new Error(`no decision shown within ${timeoutMs} ms\n${await this.diagnostics()}`, { cause: error });
    }
    return this.status();
  }

  public async status(): Promise<string> {
    return (await this.page.locator('#status-value').getAttribute('data-status')) ?? '';
  }

  public async statusText(): Promise<string> {
    return ((await this.page.locator('#status-value').textContent()) ?? '').trim();
  }

  public async switchLanguage(label: 'English' | '中文'): Promise<void> {
    await this.page.getByRole('button', { name: label, exact: true }).click();
  }

  public async reasons(): Promise<ShownReason[]> {
    return this.page.locator('#reasons li').evaluateAll((items) =>
      items.map((item) => {
        const tip = item.querySelector('.reason-tip');
        const label = tip?.querySelector('.tip-label')?.textContent ?? '';
        return {
          code: (item as HTMLElement).dataset.code ?? '',
          message: item.querySelector('.reason-message')?.textContent ?? '',
          tip: (tip?.textContent ?? '').slice(label.length),
        };
      }),
    );
  }

  /** Runs the local liveness challenge and waits until the upload step is shown. */
  public async doLivenessCheck(timeoutMs = 90_000): Promise<void> {
    await this.page.locator('#liveness-step').waitFor({ state: 'visible' });
    await this.page.locator('#liveness-start').click();
    await this.page.locator('#upload-step').waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Opens the camera dialog of a slot and waits until the camera shows a picture. */
  public async openCamera(slot: string): Promise<void> {
    await this.page.locator(`#camera-button-${slot}`).click();
    await this.page.locator('#camera-status', { hasText: /Camera ready|摄像头已就绪/ }).waitFor();
  }

  /** Presses the shutter and returns the pre-check hints shown (reason codes). */
  public async takePhoto(): Promise<string[]> {
    await this.page.locator('#camera-shutter').click();
    await this.page.locator('#camera-use').waitFor({ state: 'visible' });
    await this.page.waitForFunction(() => document.getElementById('camera-status')?.textContent !== '');
    return this.page
      .locator('#camera-hints li')
      .evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.code ?? ''));
  }

  /** Text of a region by id, whitespace collapsed. */
  public async text(id: string): Promise<string> {
    return ((await this.page.locator(`#${id}`).textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  /** The visible error box text, or undefined when no error is shown. */
  public async error(): Promise<string | undefined> {
    const box = this.page.locator('#error');
    if (!(await box.isVisible())) return undefined;
    return ((await box.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }
}
