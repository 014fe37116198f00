/**
 * The compliance console in Chromium against the REAL local runtime, with a real case the test
 * makes through the API and the pipeline (an Advanced verification, which always goes to manual
 * review): a reviewer signs in with `#token=`, finds the case in the queue, opens it, views the
 * document with a reason (the audit timeline then shows the view), rejects with a reason code;
 * support signs in and sees status and reasons but no document; an approver approves an export
 * the reviewer requested, and sees the rejection on the metrics page. The support and metrics steps
 * run when the route table has their routes. Screenshots go to KYC_SCREENSHOT_DIR (default: a
 * temporary folder).
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { KycClient } from '../../local/demo/kyc-client.ts';
import { loadSampleImages } from '../../local/demo/sample-images.ts';
import { issueLocalToken } from '../../local/runtime/auth/local-tokens.ts';
import { describeReason } from '../../lambdas/domain/reason-catalog/index.ts';
import { HTTP_ROUTES } from '../../lambdas/handlers/http/routes.ts';
import { verificationPk } from '../../lambdas/adapters/aws/verification-repository.ts';
import { reviewSk } from '../../lambdas/adapters/aws/workflow-repository.ts';
import { startE2eRuntime, type E2eRuntime } from '../e2e/support/local-runtime.ts';
import { chromiumAvailable, launchBrowser, type TestBrowser } from './harness/browser.ts';
import { ConsolePage } from './harness/console-page.ts';
import { PROOF_OF_ADDRESS_PDF } from '../support/proof-of-address.ts';

const SHOTS = process.env.KYC_SCREENSHOT_DIR ?? join(tmpdir(), 'kyc-console-screenshots');
/** Whether the route table has a route (the support view and metrics are built separately). */
const hasRoute = (method: string, path: string): boolean =>
  HTTP_ROUTES.some((route) => route.method === method && route.path === path);
const VIEW_REASON = 'Checking the passport photo against the selfie';

describe.skipIf(!chromiumAvailable())('compliance console in Chromium against the local runtime', () => {
  let e2e: E2eRuntime;
  let browser: TestBrowser;
  let owner: KycClient;
  let caseId: string;
  let attemptId: string;
  const token = (userId: string, role: 'support' | 'compliance_reviewer' | 'compliance_approver') =>
    issueLocalToken(e2e.signingKey, { userId, role });

  beforeAll(async () => {
    // Prepare: runtime and browser side by side, then one Advanced case through the real
    // pipeline (passport page, selfie, a PDF proof of address) until it waits for review.
    mkdirSync(SHOTS, { recursive: true });
    const started = Date.now();
    const [runtime, chromium, images] = await Promise.all([
      startE2eRuntime({ config: { features: { liveness: false } } }),
      launchBrowser({ viewport: { width: 1280, height: 900 } }),
      loadSampleImages(),
    ]);
    e2e = runtime;
    browser = chromium;
    const person = images.person(1);
    owner = await KycClient.forUser(e2e.runtime.apiUrl, 'console-applicant');
    ({ verificationId: caseId } = await owner.createVerification({
      level: 'advanced',
      nationality: person.nationality,
      documentType: 'passport',
      personalData: { fullName: person.fullName, dateOfBirth: person.dateOfBirth, address: person.address },
    }));
    const attempt = await owner.createAttempt(caseId, { proof_of_address: 'application/pdf' });
    attemptId = attempt.attemptId;
    const files: Record<string, [Buffer, string]> = {
      document_front: [await images.document(person), 'image/jpeg'],
      selfie: [await images.selfie(person), 'image/jpeg'],
      proof_of_address: [PROOF_OF_ADDRESS_PDF, 'application/pdf'],
    };
    for (const [slot, post] of Object.entries(attempt.uploads)) {
      const [file, type] = files[slot]!;
      await owner.upload(post, file, type, `${slot}.${type === 'application/pdf' ? 'pdf' : 'jpg'}`);
    }
    const ready = Date.now();
    const settled = await owner.waitForStatus(caseId, { timeoutMs: 150_000 });
    console.log(`console test: runtime+browser ${ready - started} ms, case to manual review ${Date.now() - ready} ms`);
    expect(settled.status, JSON.stringify(settled.reasons)).toBe('manual_review');
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await e2e?.stop();
  });

  it('serves /console/ with a strict CSP: scripts and styles of its own origin only, no framing', async () => {
    // Act
    const response = await fetch(`${e2e.runtime.apiUrl}/console/`);

    // Assess
    expect(response.status).toBe(200);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(await response.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('explains a refused #token= on the sign-in page instead of dropping it silently', async () => {
    // Prepare: an applicant's token, and something that is not a token at all (a fresh page
    // each: the console reads the fragment when it loads).
    const applicant = await issueLocalToken(e2e.signingKey, { userId: 'console-applicant-2', role: 'user' });

    // Act + Assess
    for (const [given, message] of [
      [applicant, 'This token has no staff role; the console is for support and compliance staff.'],
      ['garbage.abc.def', 'That is not a token of a staff member (support, reviewer, approver or admin).'],
    ] as const) {
      const page = await browser.context.newPage();
      await page.goto(`${e2e.runtime.apiUrl}/console/#token=${given}`);
      const notice = page.locator('#notice');
      await notice.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await notice.textContent()).toContain(message);
      expect(page.url()).not.toContain('token=');
      await expect.poll(() => page.locator('#token').isVisible()).toBe(true);
      await page.screenshot({
        path: join(SHOTS, `console-refused-token-${given === applicant ? 'user' : 'garbage'}.png`),
      });
      await page.close();
    }
  });

  it('fits the queue filters on a 360 px phone: every control inside its card, no sideways scrolling', async () => {
    // Prepare
    const reviewer = new ConsolePage(await browser.context.newPage(), e2e.runtime.apiUrl);
    await reviewer.page.setViewportSize({ width: 360, height: 780 });

    // Act
    await reviewer.signInWithFragment(await token('console-reviewer-phone', 'compliance_reviewer'));
    await reviewer.page.locator('.filters select').first().waitFor();
    const layout = await reviewer.page.evaluate(() => {
      const card = document.querySelector('.filters')!.getBoundingClientRect();
      const controls = Array.from(document.querySelectorAll('.filters input, .filters select, .filters button'));
      return {
        scrollWidth: document.documentElement.scrollWidth,
        outside: controls.filter((control) => control.getBoundingClientRect().right > card.right + 1).length,
        controls: controls.length,
      };
    });
    await reviewer.page.screenshot({ path: join(SHOTS, 'console-00-queue-360.png'), fullPage: true });
    await reviewer.page.close();

    // Assess
    expect(layout.controls).toBeGreaterThan(5);
    expect(layout.outside).toBe(0);
    expect(layout.scrollWidth).toBeLessThanOrEqual(360);
  });

  it('lets a reviewer find the case in the queue, view the document with a reason and reject it', async () => {
    // Prepare
    const reviewer = new ConsolePage(await browser.context.newPage(), e2e.runtime.apiUrl);
    await reviewer.signInWithFragment(await token('console-reviewer', 'compliance_reviewer'));

    // Act: the token left the address bar; the queue of open cases, filtered to Advanced ones
    expect(reviewer.page.url()).not.toContain('token=');
    await reviewer.go('#/queue');
    await reviewer.page.locator('#filter-level').selectOption('advanced');
    await reviewer.page.getByRole('button', { name: 'Apply filters' }).click();
    const row = reviewer.page.locator(`#queue-table tr[data-case="${caseId}"]`);
    await reviewer.waitFor(row, 30_000);

    // Assess: the row shows a live SLA countdown
    expect(await row.locator('.sla').getAttribute('data-state')).toMatch(/^(ok|soon|overdue)$/);
    expect(await row.locator('.sla').textContent()).toMatch(/^(due in|overdue by) /);
    await reviewer.page.screenshot({ path: join(SHOTS, 'console-01-queue.png'), fullPage: true });

    // Prepare: an earlier approval of this review that the workflow could not carry out, as the
    // review step records it when it reopens a review (its finalizing step failed)
    await e2e.dynamo.send(
      new UpdateCommand({
        TableName: e2e.env.VERIFICATIONS_TABLE,
        Key: { pk: verificationPk(caseId), sk: reviewSk(attemptId) },
        UpdateExpression: 'SET failedDecisions = :failed',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: {
          ':failed': [
            {
              decision: 'approve',
              decidedBy: 'console-reviewer-0',
              decidedAt: new Date(Date.now() - 3_600_000).toISOString(),
              reasons: [],
              note: 'Looks fine to me',
              error: 'DocumentAlreadyClaimedError',
            },
          ],
        },
      }),
    );

    // Act: open the case
    await row.getByRole('link', { name: caseId }).click();
    await reviewer.waitFor(reviewer.page.locator('#attempts tr[data-slot="document_front"]'), 30_000);

    // Assess: the review shows the decision that failed, with who took it and why it failed
    const failed = reviewer.page.locator('#failed-decisions li[data-decision="approve"]');
    await reviewer.waitFor(failed, 30_000);
    expect(await failed.textContent()).toMatch(/Approve by console-reviewer-0, .*DocumentAlreadyClaimedError/);
    expect(await failed.textContent()).toContain('Looks fine to me');
    await reviewer.page.locator('#review').screenshot({ path: join(SHOTS, 'console-01b-failed-decision.png') });

    // Assess: personal data decrypted, per-slot results, reasons in the reviewer's language
    await expect.poll(() => reviewer.page.locator('#personal-data').textContent()).toContain('1');
    const manual = describeReason('MANUAL_REVIEW_REQUIRED', 'en');
    await reviewer.waitFor(reviewer.page.locator('.reason-message', { hasText: manual.message }).first());

    // Act: view the document, giving a reason, by keyboard (Enter on the button, type, Tab, Enter)
    await reviewer.page.locator('button.view-document[data-slot="document_front"]').focus();
    await reviewer.page.keyboard.press('Enter');
    await reviewer.waitFor(reviewer.page.locator('#view-reason'));
    expect(await reviewer.page.evaluate(() => document.activeElement?.id)).toBe('view-reason');
    await reviewer.page.keyboard.type(VIEW_REASON);
    await reviewer.page.keyboard.press('Tab');
    await reviewer.page.keyboard.press('Enter');
    const image = reviewer.page.locator('#rendition');
    await reviewer.waitFor(image, 30_000);
    await expect
      .poll(() => image.evaluate((element) => (element as HTMLImageElement).naturalWidth), { timeout: 30_000 })
      .toBeGreaterThan(0);

    // Assess: the audit timeline shows the view, with its reason
    const viewed = reviewer.page.locator('#audit-timeline li[data-action="document.viewed"]');
    await reviewer.waitFor(viewed, 30_000);
    expect(await viewed.first().textContent()).toContain(VIEW_REASON);
    await reviewer.page.screenshot({ path: join(SHOTS, 'console-02-document-view.png') });

    // Prepare: a second reviewer has the same case open
    const second = new ConsolePage(await browser.context.newPage(), e2e.runtime.apiUrl);
    await second.signInWithFragment(await token('console-reviewer-2', 'compliance_reviewer'));
    await second.go(`#/cases/${caseId}`);
    await second.waitFor(second.page.locator('#decision-form'), 30_000);

    // Act: close the dialog with Escape; the second reviewer claims the case, the first tries to decide it
    await reviewer.page.keyboard.press('Escape');
    await reviewer.page.locator('#view-dialog').waitFor({ state: 'hidden' });
    const staffPost = async (
      userId: string,
      role: 'compliance_reviewer' | 'compliance_approver',
      path: string,
      body: unknown,
    ) =>
      (
        await fetch(`${e2e.runtime.apiUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${await token(userId, role)}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).status;
    expect(await staffPost('console-reviewer-2', 'compliance_reviewer', `/v1/cases/${caseId}/claim`, {})).toBe(200);
    await reviewer.page.locator('#decision-approve').check();
    await reviewer.page.locator('#decision-note').fill('Deciding a case a colleague holds.');
    await reviewer.page.getByRole('button', { name: 'Record decision' }).click();

    // Assess: refused and said why; nothing recorded
    await expect
      .poll(() => reviewer.notice(), { timeout: 30_000 })
      .toMatch(/Another reviewer holds this case \(409 CASE_ALREADY_CLAIMED\).*NOT recorded/);
    expect(await reviewer.page.locator('#decision-held').textContent()).toContain(
      'console-reviewer-2 holds this case: only they may decide it',
    );
    await reviewer.page.screenshot({ path: join(SHOTS, 'console-03a-held-by-another.png') });
    expect((await owner.getVerification(caseId)).status).toBe('manual_review');

    // Act: a supervisor assigns the case to the first reviewer, who rejects with a reason code and a note
    expect(
      await staffPost('console-approver-0', 'compliance_approver', `/v1/cases/${caseId}/assign`, {
        assignee: 'console-reviewer',
      }),
    ).toBe(200);
    await reviewer.page.locator('#decision-reject').check();
    await reviewer.page.locator('#reason-codes input[value="DOCUMENT_EXPIRED"]').check();
    await reviewer.page.locator('#decision-note').fill('Passport expired per the data page.');
    await reviewer.page.getByRole('button', { name: 'Record decision' }).click();

    // Assess: the console says so, the workflow rejects with that reason
    await expect.poll(() => reviewer.notice(), { timeout: 30_000 }).toMatch(/Decision recorded: Reject/);
    const decided = await owner.waitForStatus(caseId, { until: ['rejected'], timeoutMs: 60_000 });
    expect(decided.reasons.map((reason) => reason.code)).toContain('DOCUMENT_EXPIRED');
    await reviewer.waitFor(reviewer.page.locator('#audit-timeline li[data-action="review.decided"]'), 30_000);
    await reviewer.page.screenshot({ path: join(SHOTS, 'console-03-case-rejected.png'), fullPage: true });

    // Act: the second reviewer, still on the old page, approves
    await second.page.locator('#decision-approve').check();
    await second.page.locator('#decision-note').fill('Looks fine to me.');
    await second.page.getByRole('button', { name: 'Record decision' }).click();

    // Assess: a clear 409, nothing recorded, the case reloaded with the first decision
    expect(await second.notice()).toMatch(/409 REVIEW_(NOT_OPEN|ALREADY_DECIDED).*NOT recorded/);
    expect(await second.page.locator('#notice').getAttribute('role')).toBe('alert');
    await second.waitFor(second.page.locator('#decision dd', { hasText: 'console-reviewer' }).first(), 30_000);
    await second.page.screenshot({ path: join(SHOTS, 'console-03b-conflict.png') });
    expect((await owner.getVerification(caseId)).status).toBe('rejected');
    await second.page.close();

    // Act: the same case in Chinese, at tablet width
    await reviewer.page.getByRole('button', { name: '中文' }).click();
    const expired = describeReason('DOCUMENT_EXPIRED', 'zh-CN');
    await reviewer.waitFor(reviewer.page.locator('.reason-message', { hasText: expired.message }).first(), 30_000);
    await reviewer.page.setViewportSize({ width: 820, height: 1180 });

    // Assess
    expect(await reviewer.fitsViewport()).toBe(true);
    await reviewer.page.screenshot({ path: join(SHOTS, 'console-04-case-zh-tablet.png') });
    await reviewer.page.getByRole('button', { name: 'English' }).click();
    expect(reviewer.problems).toEqual([]);
    await reviewer.page.close();
  });

  it.skipIf(!hasRoute('GET', '/v1/support/verifications/{verificationId}'))(
    'shows support the status, reasons and a redacted thumbnail, never a document',
    async () => {
      // Prepare
      const support = new ConsolePage(await browser.context.newPage(), e2e.runtime.apiUrl);
      await support.signInWithField(await token('console-support', 'support'));

      // Act
      await support.go(`#/lookup/${caseId}`);
      const result = support.page.locator('#lookup-result .card');
      await support.waitFor(result, 30_000);

      // Assess: status and reasons; no document action, no rendition, no call for one
      expect(await support.page.locator('#lookup-result [data-status]').first().getAttribute('data-status')).toBe(
        'rejected',
      );
      await support.waitFor(
        support.page
          .locator('#lookup-result .reason-message', { hasText: describeReason('DOCUMENT_EXPIRED', 'en').message })
          .first(),
      );
      expect(await support.page.locator('.view-document, #rendition').count()).toBe(0);
      const thumbnail = support.page.locator('#support-thumbnail');
      await support.waitFor(thumbnail);
      await expect
        .poll(() => thumbnail.evaluate((element) => (element as HTMLImageElement).naturalWidth), { timeout: 30_000 })
        .toBeGreaterThan(0);
      const size = await thumbnail.evaluate((element) => {
        const image = element as HTMLImageElement;
        return Math.max(image.naturalWidth, image.naturalHeight);
      });
      expect(size).toBeLessThanOrEqual(320);
      await support.page.screenshot({ path: join(SHOTS, 'console-05-support.png'), fullPage: true });

      // Act: the case view is not for support
      await support.go(`#/cases/${caseId}`);

      // Assess
      await support.waitFor(support.page.locator('.error[data-status="403"]'), 30_000);
      expect(support.requests.filter((url) => url.includes('/documents/'))).toEqual([]);
      expect(support.problems).toEqual([]);
      await support.page.close();
    },
  );

  it('lets an approver approve an export the reviewer requested, and not their own', async () => {
    // Prepare: the reviewer requests an export of the case
    const reviewer = new ConsolePage(await browser.context.newPage(), e2e.runtime.apiUrl);
    await reviewer.signInWithFragment(await token('console-reviewer', 'compliance_reviewer'));
    await reviewer.go(`#/exports?ids=${caseId}`);
    await reviewer.page.locator('#export-reason').fill('Regulator request 2026-114');
    await reviewer.page.getByRole('button', { name: 'Request export' }).click();
    const created = reviewer.page.locator('#export-created');
    await reviewer.waitFor(created, 30_000);
    const exportId = (await created.getAttribute('data-export')) ?? '';
    await reviewer.go(`#/exports/${exportId}`);
    await reviewer.waitFor(reviewer.page.locator('#export-own'), 30_000);
    expect(await reviewer.page.locator('#export-approve').count()).toBe(0);

    // Act: an approver opens the link and approves
    const approver = new ConsolePage(await browser.context.newPage(), e2e.runtime.apiUrl);
    await approver.signInWithField(await token('console-approver', 'compliance_approver'));
    await approver.go(`#/exports/${exportId}`);
    await approver.page.locator('#export-approve').click();

    // Assess: ready; the requester then gets the one-time download link
    await approver.waitFor(approver.page.locator('#export-detail[data-status="ready"]'), 60_000);
    expect(await approver.notice()).toMatch(/Export approved/);
    await approver.page.screenshot({ path: join(SHOTS, 'console-06-export-approved.png'), fullPage: true });
    await reviewer.page.reload();
    const download = reviewer.page.locator('#export-download');
    await reviewer.waitFor(download, 30_000);
    expect(await download.getAttribute('href')).toMatch(new RegExp(`/v1/exports/${exportId}/download\\?token=`));

    expect([...reviewer.problems, ...approver.problems]).toEqual([]);
    await approver.page.close();
    await reviewer.page.close();
  });

  it.skipIf(!hasRoute('GET', '/v1/metrics'))(
    'shows an approver the metrics, the manual rejection counted',
    async () => {
      // Prepare
      const approver = new ConsolePage(await browser.context.newPage(), e2e.runtime.apiUrl);
      await approver.signInWithFragment(await token('console-approver', 'compliance_approver'));

      // Act
      await approver.go('#/metrics');
      await approver.waitFor(approver.page.locator('#metric-decisions'));

      // Assess: the reviewer's rejection counts, with its reason
      const expired = describeReason('DOCUMENT_EXPIRED', 'en').message;
      await approver.waitFor(approver.page.locator('#chart-rejections .chart-label', { hasText: expired }));
      expect(await approver.page.locator('#chart-rejections svg[role="img"]').count()).toBe(1);
      await approver.page.screenshot({ path: join(SHOTS, 'console-07-metrics.png'), fullPage: true });
      expect(approver.problems).toEqual([]);
      await approver.page.close();
    },
  );
});
