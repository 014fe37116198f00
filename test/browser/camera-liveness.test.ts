/**
 * The reference page verifies a person by itself, in real Chromium against the real local
 * runtime: Chromium's fake camera plays a video made from a sample face photo
 * (`harness/fake-camera.ts`), the page runs the local liveness challenge with it, takes the
 * selfie with the camera (keyboard only), and the pipeline decides. Another person in front of
 * the camera is not approved; a refused camera permission is explained and the page falls
 * back to choosing files. One runtime for the whole file; a browser per camera.
 * Screenshots of every step: $KYC_SCREENSHOT_DIR, else <tmp>/kyc-page-screenshots.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPerson, type DemoPerson } from '../../local/demo/sample-images.ts';
import { syntheticSampleImages } from '../../local/demo/synthetic-images.ts';
import { startE2eRuntime, type E2eRuntime } from '../e2e/support/local-runtime.ts';
import { chromiumAvailable, launchBrowser, type TestBrowser } from './harness/browser.ts';
import { fakeCameraVideo } from './harness/fake-camera.ts';
import { UploadPage } from './harness/upload-page.ts';

const SCREENSHOTS = process.env.KYC_SCREENSHOT_DIR ?? join(tmpdir(), 'kyc-page-screenshots');

const details = (person: DemoPerson) => ({
  level: 'basic' as const,
  nationality: 'GBR',
  documentType: 'passport' as const,
  fullName: person.fullName,
  dateOfBirth: person.dateOfBirth,
  address: person.address,
});

describe.skipIf(!chromiumAvailable())('reference page with a camera, in Chromium against the local runtime', () => {
  let e2e: E2eRuntime;
  const browsers: TestBrowser[] = [];
  const files = mkdtempSync(join(tmpdir(), 'kyc-camera-files-'));
  const videos: Record<number, string> = {};

  const shoot = async (page: UploadPage, name: string): Promise<void> => {
    await page.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };

  beforeAll(async () => {
    // Prepare: the runtime (started while the videos and documents are made), passports of
    // people 1 and 2, a selfie of person 1, camera videos of people 1 and 3.
    mkdirSync(SCREENSHOTS, { recursive: true });
    const runtime = startE2eRuntime();
    const images = syntheticSampleImages(demoPerson);
    for (const index of [1, 2]) {
      const person = images.person(index);
      writeFileSync(join(files, `passport-${index}.jpg`), await images.document(person));
    }
    writeFileSync(join(files, 'selfie-1.jpg'), await images.selfie(images.person(1)));
    for (const index of [1, 3]) videos[index] = await fakeCameraVideo(files, demoPerson(index).index);
    e2e = await runtime;
  }, 240_000);

  afterAll(async () => {
    for (const browser of browsers) await browser.close();
    await e2e?.stop();
    rmSync(files, { recursive: true, force: true });
  });

  const open = async (camera: string, viewport: { width: number; height: number }): Promise<UploadPage> => {
    const browser = await launchBrowser({ camera, viewport });
    browsers.push(browser);
    const page = new UploadPage(await browser.context.newPage(), e2e.logs);
    await page.open(e2e.runtime.apiUrl);
    return page;
  };

  it('walks a person from the form to approved with the liveness check and a camera selfie (1280 px)', async () => {
    // Prepare
    const person = demoPerson(1);
    const page = await open(videos[1] as string, { width: 1280, height: 900 });
    await shoot(page, '01-details');
    await page.submitDetails(details(person));
    await page.page.locator('#liveness-step').waitFor({ state: 'visible' });
    await shoot(page, '02-liveness-start');

    // Act: the liveness challenge, with a screenshot of its first prompt
    await page.page.locator('#liveness-start').click();
    await page.page.locator('#liveness-prompt', { hasText: 'Look straight at the camera' }).waitFor();
    await shoot(page, '03-liveness-prompt');
    const announced = await page.text('liveness-status');
    await page.page.locator('#upload-step').waitFor({ state: 'visible', timeout: 90_000 });

    // Assess: the prompt was announced in the live region, the challenge is done
    expect(announced).toBe('Step 1 of 4: Look straight at the camera');
    expect(await page.text('liveness-status')).toBe('Liveness check done. Now add your photos.');
    expect(await page.page.evaluate(() => document.activeElement?.id)).toBe('upload-heading');

    // Act: the camera in front of a face is not a document: the pre-check says so
    await page.openCamera('document_front');
    const documentHints = await page.takePhoto();
    await shoot(page, '04-document-camera-hint');
    await page.page.locator('#camera-cancel').click();
    await page.chooseFile('document_front', join(files, 'passport-1.jpg'));

    // Act: the selfie with the camera, by keyboard only (focus starts on the shutter)
    await page.openCamera('selfie');
    expect(await page.page.evaluate(() => document.activeElement?.id)).toBe('camera-shutter');
    await page.page.keyboard.press('Enter');
    await page.page.locator('#camera-use').waitFor({ state: 'visible' });
    await page.page.waitForFunction(() => document.getElementById('camera-status')?.textContent !== '');
    const selfieStatus = await page.text('camera-status');
    await shoot(page, '05-selfie-camera');
    await page.page.keyboard.press('Enter');
    await page.page.locator('#thumb-selfie').waitFor({ state: 'visible' });
    await shoot(page, '06-photos-ready');
    await page.upload();
    const status = await page.waitForDecision(150_000);
    await shoot(page, '07-approved');

    // Assess
    expect(documentHints).toContain('DOCUMENT_NOT_FULLY_VISIBLE');
    expect(selfieStatus).toBe('The photo looks good. Use it or retake it.');
    expect(await page.progress('selfie')).toEqual({ value: 100, label: 'Uploaded (100%)' });
    expect({ status, reasons: await page.reasons() }).toEqual({ status: 'approved', reasons: [] });
    // The whole walk (camera, liveness frames, uploads to S3, status reads) within the page's CSP
    expect(page.cspViolations).toEqual([]);
  }, 300_000);

  it('does not approve when another person is in front of the camera (360 px)', async () => {
    // Prepare: person 2's passport, person 3 in front of the camera
    const page = await open(videos[3] as string, { width: 360, height: 740 });
    await page.submitDetails(details(demoPerson(2)));

    // Act
    await page.doLivenessCheck();
    await page.chooseFile('document_front', join(files, 'passport-2.jpg'));
    await page.openCamera('selfie');
    await page.takePhoto();
    await page.page.locator('#camera-use').click();
    await page.upload();
    const status = await page.waitForDecision(150_000);
    await shoot(page, '08-other-person-not-approved-360px');

    // Assess
    expect(status).not.toBe('approved');
    expect((await page.reasons()).map((reason) => reason.code)).toContain('FACE_NOT_MATCH');
    const overflow = await page.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  }, 300_000);

  it('explains a refused camera and falls back to choosing files', async () => {
    // Prepare
    const page = await open('refused', { width: 1280, height: 900 });
    await page.submitDetails(details(demoPerson(1)));
    await page.page.locator('#liveness-step').waitFor({ state: 'visible' });

    // Act: the liveness check cannot open the camera
    await page.page.locator('#liveness-start').click();
    await page.page.locator('#liveness-skip').waitFor({ state: 'visible' });
    const livenessError = await page.text('liveness-error');
    await shoot(page, '09-camera-refused-liveness');
    await page.page.locator('#liveness-skip').click();

    // Act: nor can the selfie's camera; the page hands over to the file picker
    await page.page.locator('#camera-button-selfie').click();
    await page.page.locator('#error-selfie', { hasText: 'Camera access was refused' }).waitFor();
    const focused = await page.page.evaluate(() => document.activeElement?.id);
    await page.chooseFile('selfie', join(files, 'selfie-1.jpg'));
    await page.chooseFile('document_front', join(files, 'passport-1.jpg'));
    await shoot(page, '10-camera-refused-files');
    await page.upload();
    await page.page.locator('#status-step').waitFor({ state: 'visible' });

    // Assess
    expect(livenessError).toContain('Camera access was refused');
    expect(livenessError).toContain('Without the liveness check this attempt will not be approved.');
    expect(await page.page.locator('#error-selfie').getAttribute('role')).toBe('alert');
    expect(focused).toBe('file-selfie');
    expect(await page.page.locator('#camera-button-selfie').isVisible()).toBe(false);
    expect(await page.progress('selfie')).toEqual({ value: 100, label: 'Uploaded (100%)' });
    expect(await page.progress('document_front')).toEqual({ value: 100, label: 'Uploaded (100%)' });
  }, 120_000);
});
