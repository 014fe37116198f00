/**
 * The reference upload page (`web/`) in a real browser (Debian Chromium through
 * playwright-core): details -> attempt -> S3 POST uploads with progress -> polling -> result,
 * language switch, and a refused attempt. Runs against the fake API of `harness/` unless
 * `KYC_BASE_URL` names a running runtime.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeReason } from '../../lambdas/domain/reason-catalog/index.ts';
import { isReasonCode } from '../../lambdas/domain/reason-codes.ts';
import { chromiumAvailable, launchBrowser, type TestBrowser } from './harness/browser.ts';
import type { FakeDecision, ReceivedUpload } from './harness/fake-kyc-api.ts';
import { createUploadFixtures, sha256File, type UploadFixtures } from './harness/fixtures.ts';
import { USING_REAL_RUNTIME, startTarget, type TestTarget } from './harness/target.ts';
import { UploadPage, type DetailsInput } from './harness/upload-page.ts';

const SCREENSHOT_DIR = process.env.KYC_SCREENSHOT_DIR;

const details = (overrides: Partial<DetailsInput> = {}): DetailsInput => ({
  level: 'basic',
  nationality: 'GBR',
  documentType: 'id_card',
  fullName: 'Jane Example',
  dateOfBirth: '1990-04-12',
  address: '1 Test Street, London',
  ...overrides,
});

async function screenshot(page: UploadPage, name: string): Promise<void> {
  if (!SCREENSHOT_DIR) return;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** Storage the page may use: its token and language preference, never file contents. */
async function pageStorage(page: UploadPage): Promise<{ keys: string[]; bytes: number; caches: string[] }> {
  return page.page.evaluate(async () => ({
    keys: Object.keys(localStorage).sort(),
    bytes: Object.values(localStorage).join('').length + Object.values(sessionStorage).join('').length,
    caches: 'caches' in window ? await caches.keys() : [],
  }));
}

describe.skipIf(!chromiumAvailable())('reference upload page in Chromium', () => {
  let fixtures: UploadFixtures;
  let blurryHash: string;
  let browser: TestBrowser | undefined;
  let target: TestTarget | undefined;

  /** The fake's decision: a blurry document front is rejected, anything else approved. */
  const decide = (uploads: readonly ReceivedUpload[]): FakeDecision =>
    uploads.some((upload) => upload.slot === 'document_front' && upload.sha256 === blurryHash)
      ? { status: 'rejected', reasons: ['PHOTO_TOO_BLURRY', 'REFLECTION_DETECTED'] }
      : { status: 'approved' };

  beforeAll(async () => {
    fixtures = await createUploadFixtures();
    blurryHash = await sha256File(fixtures.blurryDocument);
  });

  afterEach(async () => {
    await browser?.close();
    await target?.close();
    browser = undefined;
    target = undefined;
  });

  afterAll(async () => {
    await fixtures?.remove();
  });

  async function openPage(options: Parameters<typeof startTarget>[0] = {}): Promise<UploadPage> {
    target = await startTarget({ decide, decisionDelayMs: 1200, ...options });
    browser = await launchBrowser();
    const page = new UploadPage(await browser.context.newPage());
    await page.open(target.baseUrl);
    return page;
  }

  /** A passport with a blurry page and a selfie, uploaded through a fresh page; the status it ends on. */
  async function submitBlurryPassport(
    options: Parameters<typeof startTarget>[0],
  ): Promise<{ page: UploadPage; status: string }> {
    const page = await openPage(options);
    await page.submitDetails(details({ documentType: 'passport' }));
    await page.slots();
    await page.chooseFile('document_front', fixtures.blurryDocument);
    await page.chooseFile('selfie', fixtures.selfie);
    await page.upload();
    return { page, status: await page.waitForDecision() };
  }

  it.skipIf(USING_REAL_RUNTIME)(
    'shows the decision when a status read falls between the attempt decided and the verification following it',
    async () => {
      // Act: the fake decides the attempt 2.5 s before the verification (as a server that
      // writes them one after the other would; this API writes a refusal to both at once), so
      // a poll every second reads the attempt rejected while the verification still says
      // processing.
      const { page, status } = await submitBlurryPassport({ verificationLagMs: 2500 });

      // Assess: the verification's decision and its reasons, not the pending status of the read in between
      expect(status).toBe('rejected');
      expect((await page.reasons()).map((reason) => reason.code)).toEqual(['PHOTO_TOO_BLURRY', 'REFLECTION_DETECTED']);
      const reads = target?.fake?.requests.filter(
        (request) => request.method === 'GET' && /\/v1\/verifications\//.test(request.path),
      );
      expect(reads?.length).toBeGreaterThanOrEqual(3);
    },
  );

  it('uploads every slot with its fields before the file, shows a rejection, and shows it in Chinese after switching', async () => {
    // Prepare
    const page = await openPage();
    await page.submitDetails(details({ documentType: 'id_card' }));
    const slots = await page.slots();
    expect(slots).toEqual(['document_front', 'document_back', 'selfie']);
    expect(await page.page.locator('#file-document_front').getAttribute('accept')).toBe('image/jpeg,image/png');
    expect(await page.page.locator('#file-document_front').getAttribute('capture')).toBe('environment');
    expect(await page.page.locator('#file-selfie').getAttribute('capture')).toBe('user');
    expect(await page.page.getByLabel('Selfie', { exact: true }).count()).toBe(1);

    // Act
    await page.chooseFile('document_front', fixtures.blurryDocument);
    await page.chooseFile('document_back', fixtures.documentBack);
    await page.chooseFile('selfie', fixtures.selfie);
    await page.upload();
    const status = await page.waitForDecision();

    // Assess: the uploads
    for (const slot of slots) expect(await page.progress(slot)).toEqual({ value: 100, label: 'Uploaded (100%)' });
    const fake = target?.fake;
    if (fake) {
      expect(fake.refusedUploads).toEqual([]);
      expect(fake.uploads.map((upload) => upload.slot).sort()).toEqual([...slots].sort());
      const verification = [...fake.verifications.values()][0]!;
      const attempt = verification.attempts[0]!;
      for (const upload of fake.uploads) {
        const issued = attempt.issuedFields.get(upload.slot)!;
        expect(upload.partOrder).toEqual([...Object.keys(issued), 'file']);
        expect(upload.fields).toEqual(issued);
        expect(upload.fileContentType).toBe('image/jpeg');
      }
      expect(fake.uploads.find((upload) => upload.slot === 'document_front')?.sha256).toBe(blurryHash);
      expect(verification.request).toEqual({
        level: 'basic',
        nationality: 'GBR',
        documentType: 'id_card',
        personalData: { fullName: 'Jane Example', dateOfBirth: '1990-04-12', address: '1 Test Street, London' },
      });
      expect(fake.requests.every((request) => /^Bearer local\.\S+$/.test(request.authorization ?? ''))).toBe(true);
    }

    // Assess: the rejection in English, each reason with the catalog's message and tip
    expect(status).toBe('rejected');
    expect(await page.statusText()).toBe('Not approved');
    const shownEn = await page.reasons();
    if (fake) expect(shownEn.map((reason) => reason.code)).toEqual(['PHOTO_TOO_BLURRY', 'REFLECTION_DETECTED']);
    expect(shownEn.length).toBeGreaterThan(0);
    expect(shownEn).toEqual(shownEn.map(({ code }) => ({ code, ...textOf(code, 'en') })));
    await screenshot(page, 'upload-page-rejected-en');

    // Act: switch to Chinese
    await page.switchLanguage('中文');
    const firstZh = textOf(shownEn[0]!.code, 'zh-CN').message;
    await page.page.locator('#reasons .reason-message', { hasText: firstZh }).waitFor();

    // Assess: reasons re-fetched in zh-CN, UI strings translated
    const shownZh = await page.reasons();
    expect(shownZh).toEqual(shownEn.map(({ code }) => ({ code, ...textOf(code, 'zh-CN') })));
    if (fake) expect(shownZh[0]?.message).toBe('照片太模糊');
    expect(await page.statusText()).toBe('未通过');
    expect(await page.page.locator('html').getAttribute('lang')).toBe('zh-CN');
    expect(await page.page.getByRole('button', { name: '中文' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.page.locator('#status').getAttribute('aria-live')).toBe('polite');
    if (fake) expect(fake.requests.filter((request) => request.method === 'GET').at(-1)?.acceptLanguage).toBe('zh-CN');
    await screenshot(page, 'upload-page-rejected-zh');

    // Act: try again starts a new attempt with fresh slots
    await page.page.getByRole('button', { name: '重试' }).click();
    // The slots are drawn afresh once the new attempt is created (a request away): until then
    // the rejected attempt's stay on the page.
    for (const slot of slots) {
      await expect.poll(async () => (await page.progress(slot)).value, { timeout: 15_000 }).toBe(0);
    }
    expect(await page.slots()).toEqual(['document_front', 'document_back', 'selfie']);
    if (fake) expect([...fake.verifications.values()][0]?.attempts).toHaveLength(2);

    // Act: resubmit with a sharp photo
    await page.chooseFile('document_front', fixtures.document);
    await page.chooseFile('document_back', fixtures.documentBack);
    await page.chooseFile('selfie', fixtures.selfie);
    await page.upload();

    // Assess: the new attempt is decided on its own, in the language now chosen
    expect(await page.waitForDecision()).toBe('approved');
    expect(await page.statusText()).toBe('已通过');
    expect(await page.reasons()).toEqual([]);

    // Assess: no file content kept in browser storage
    const storage = await pageStorage(page);
    expect(storage.keys.every((key) => ['kyc.token', 'kyc.language'].includes(key))).toBe(true);
    expect(storage.bytes).toBeLessThan(1000);
    expect(storage.caches).toEqual([]);
  });

  it('approves an advanced verification with a passport, selfie and PDF proof of address', async () => {
    // Prepare
    const page = await openPage();
    await page.submitDetails(details({ level: 'advanced', documentType: 'passport', nationality: 'CHN' }));
    const slots = await page.slots();
    expect(slots).toEqual(['document_front', 'selfie', 'proof_of_address']);
    expect(await page.page.locator('#file-proof_of_address').getAttribute('accept')).toBe(
      'image/jpeg,image/png,application/pdf',
    );

    // Act
    await page.chooseFile('document_front', fixtures.document);
    await page.chooseFile('selfie', fixtures.selfie);
    await page.chooseFile('proof_of_address', fixtures.proofOfAddressPdf);
    await page.upload();
    const status = await page.waitForDecision();

    // Assess
    expect(status).toBe('approved');
    expect(await page.statusText()).toBe('Approved');
    expect(await page.page.locator('#reasons-block').isHidden()).toBe(true);
    expect(await page.page.locator('#try-again').isHidden()).toBe(true);
    for (const slot of slots) expect((await page.progress(slot)).value).toBe(100);
    if (target?.fake) {
      expect(target.fake.refusedUploads).toEqual([]);
      expect(target.fake.uploads.find((upload) => upload.slot === 'proof_of_address')?.fileContentType).toBe(
        'application/pdf',
      );
      // The page polled while the attempt was processing, once a second.
      expect(target.fake.requests.filter((request) => request.method === 'GET').length).toBeGreaterThanOrEqual(2);
    }
    await screenshot(page, 'upload-page-approved-en');
  });

  it.skipIf(USING_REAL_RUNTIME)(
    'keeps polling through a dropped connection and 503s, then shows the decision',
    async () => {
      // Act: the first status reads fail as a busy server and a dropped connection would
      const { page, status } = await submitBlurryPassport({ failingStatusReads: ['503', 'drop', '503'] });

      // Assess: the decision is shown, no error box is left behind, and the failed reads happened
      expect(status).toBe('rejected');
      expect(await page.page.locator('#error').isHidden()).toBe(true);
      const reads = (target?.fake?.requests ?? []).filter(
        (r) => r.method === 'GET' && /^\/v1\/verifications\/[^/]+$/.test(r.path),
      );
      expect(reads.slice(0, 3).map((r) => r.status)).toEqual([503, 0, 503]);
      expect(reads.at(-1)?.status).toBe(200);
    },
  );

  it.skipIf(USING_REAL_RUNTIME)('shows the message and the wait of a refused (429) attempt', async () => {
    // Prepare
    const page = await openPage({
      refuseAttempts: { code: 'RATE_LIMITED', message: 'Too many attempts', retryAfterSeconds: 1800 },
    });

    // Act
    await page.submitDetails(details());
    await page.page.locator('#error').waitFor({ state: 'visible' });

    // Assess
    const error = await page.error();
    expect(error).toContain('Too many attempts');
    expect(error).toContain('You can try again in 30 minutes.');
    expect(error).toContain('Error code: RATE_LIMITED');
    expect(error).not.toContain('{');
    expect(await page.page.locator('#upload-step').isHidden()).toBe(true);
    expect(await page.page.locator('#error').getAttribute('role')).toBe('alert');
    await screenshot(page, 'upload-page-rate-limited');

    // Act: the error box offers to ask for an attempt again
    await page.page.locator('#error').getByRole('button', { name: 'Try again' }).click();

    // Assess: asked again, refused again, still explained
    await expect.poll(() => target?.fake?.requests.filter((r) => r.path.endsWith('/attempts')).length).toBe(2);
    // The fake records the request before it answers: wait for the page to show the answer.
    await expect.poll(() => page.error()).toContain('You can try again in 30 minutes.');
  });

  it.skipIf(USING_REAL_RUNTIME)('refuses a file of the wrong type in the browser before uploading it', async () => {
    // Prepare
    const page = await openPage();
    await page.submitDetails(details({ documentType: 'passport' }));
    await page.slots();

    // Act
    await page.chooseFile('selfie', fixtures.proofOfAddressPdf);

    // Assess
    expect(await page.page.locator('#error-selfie').textContent()).toBe(
      'This file type is not accepted here. Choose a JPEG or PNG photo.',
    );
    await page.upload();
    expect(await page.error()).toContain('Please choose a file for every item.');
    expect(target?.fake?.uploads).toEqual([]);
  });
});

function textOf(code: string, language: Parameters<typeof describeReason>[1]): { message: string; tip: string } {
  if (!isReasonCode(code)) throw new Error(`page shows unknown reason code ${code}`);
  const { message, tip } = describeReason(code, language);
  return { message, tip };
}
