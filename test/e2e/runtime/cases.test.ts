import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KycApiError, KycClient } from '../../../local/demo/kyc-client.ts';
import type { E2eRuntime } from '../support/local-runtime.ts';
import { startWithCaseInReview } from '../support/review-case.ts';

// The case API through the local runtime, as a reviewer's console uses it: a real verification
// goes through upload, the quality gate, the identity checks and into manual review; the
// reviewer finds it in the queue, opens it (personal data, per-slot results, processor log),
// claims it, adds a note, decides it through the decision route the case names, and reads the
// case's audit trail with its chain verified.
let e2e: E2eRuntime;
let verificationId: string;
let fullName: string;
let reviewer: KycClient;
let approver: KycClient;

interface CaseRow {
  verificationId: string;
  status: string;
  queue: string;
  dueAt: string;
  overdue: boolean;
  assignee?: string;
}
interface CaseList {
  items: CaseRow[];
  nextCursor?: string;
}

/** Every case of a filter, following the cursors. */
async function allCases(client: KycClient, query: string): Promise<CaseRow[]> {
  const rows: CaseRow[] = [];
  let cursor: string | undefined;
  do {
    const page: CaseList = await client.call(
      'GET',
      `/v1/cases?${query}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    rows.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return rows;
}

beforeAll(async () => {
  ({ e2e, verificationId, fullName } = await startWithCaseInReview('cases-e2e-user'));
  reviewer = await KycClient.forStaff(e2e.runtime.apiUrl, 'rita-reviewer', 'compliance_reviewer', e2e.signingKey);
  approver = await KycClient.forStaff(e2e.runtime.apiUrl, 'amos-approver', 'compliance_approver', e2e.signingKey);
}, 240_000);

afterAll(async () => {
  await e2e?.stop();
});

describe('a reviewer works a real case through the case API', () => {
  it('finds the case in the unclaimed queue, opens it, claims it, notes it, decides it and audits it', async () => {
    // Act: the queue
    const unclaimed = await allCases(reviewer, 'status=open&assignee=unassigned');
    const row = unclaimed.find((candidate) => candidate.verificationId === verificationId);
    const ofItsQueue = await allCases(reviewer, `status=open&queue=${row?.queue ?? 'standard'}`);

    // Act: the case
    const view: {
      personalData: { fullName: string };
      attempts: Array<{ slots: Array<{ slot: string; result: string; viewable?: boolean }> }>;
      processorLog: Array<{ operation: string; slot?: string }>;
      review: { current: { status: string; dueAt: string } };
      actions: Record<string, { method: string; path: string; available: boolean }>;
    } = await reviewer.call('GET', `/v1/cases/${verificationId}`);

    // Act: claim, note, decide through the route the case names
    await reviewer.call('POST', `/v1/cases/${verificationId}/claim`);
    const taken = await approver
      .call('POST', `/v1/cases/${verificationId}/claim`)
      .catch((error: unknown) => error as KycApiError);
    const mine = await allCases(reviewer, 'assignee=rita-reviewer');
    await reviewer.call('POST', `/v1/cases/${verificationId}/notes`, { text: 'Portrait and document agree.' });
    const decide = view.actions.decide!;
    await reviewer.call(decide.method, decide.path, { decision: 'approve', note: 'Checked by hand' });
    const approved = await allCases(approver, 'status=approved');
    const stillOpen = await allCases(reviewer, 'status=open');
    const trail: {
      events: Array<{ action: string; actor: string }>;
      chain: { valid: boolean; length: number };
    } = await approver.call('GET', `/v1/cases/${verificationId}/audit`);
    const after: { notes: Array<{ text: string; author: string }>; review: { current: { status: string } } } =
      await approver.call('GET', `/v1/cases/${verificationId}`);

    // Assess: the queue and the case
    expect(row).toMatchObject({ status: 'open', overdue: false });
    expect(ofItsQueue.map((candidate) => candidate.verificationId)).toContain(verificationId);
    expect(view.personalData.fullName).toBe(fullName);
    expect(view.attempts[0]?.slots.map((slot) => [slot.slot, slot.result])).toEqual([
      ['document_front', 'accepted'],
      ['selfie', 'accepted'],
      ['proof_of_address', 'accepted'],
    ]);
    expect(view.processorLog.map((entry) => entry.operation)).toEqual(
      expect.arrayContaining(['DetectFaces', 'CompareFaces']),
    );
    expect(view.review.current.status).toBe('open');
    expect(Date.parse(view.review.current.dueAt)).toBeGreaterThan(Date.now());
    expect(decide).toMatchObject({ method: 'POST', path: `/v1/reviews/${verificationId}/decision`, available: true });
    expect(JSON.stringify(view)).not.toMatch(/evidence\/|https?:\/\/|taskToken/);
    // Assess: claim, decision, audit
    expect(taken).toBeInstanceOf(KycApiError);
    expect((taken as KycApiError).status).toBe(403); // approvers do not claim; they assign
    expect(mine.map((candidate) => candidate.verificationId)).toEqual([verificationId]);
    expect(approved.map((candidate) => candidate.verificationId)).toContain(verificationId);
    expect(stillOpen.map((candidate) => candidate.verificationId)).not.toContain(verificationId);
    expect(after.review.current.status).toBe('approved');
    expect(after.notes).toEqual([
      expect.objectContaining({ author: 'rita-reviewer', text: 'Portrait and document agree.' }),
    ]);
    expect(trail.chain).toMatchObject({ valid: true, length: trail.events.length });
    const actions = trail.events.map((event) => event.action);
    for (const action of [
      'review.opened',
      'processor.invoked',
      'case.viewed',
      'case.claimed',
      'case.note_added',
      'review.decided',
    ]) {
      expect(actions, action).toContain(action);
    }
    expect(actions.indexOf('case.viewed')).toBeLessThan(actions.indexOf('case.claimed'));
  }, 120_000);

  it('answers a garbled cursor and a bad filter with a JSON 400', async () => {
    // Act
    const garbled = await reviewer.call('GET', '/v1/cases?cursor=eyJub3QiOiJvdXJzIn0').catch((e: unknown) => e);
    const badStatus = await reviewer.call('GET', '/v1/cases?status=pending').catch((e: unknown) => e);
    const negativeLimit = await reviewer.call('GET', '/v1/cases?limit=-1').catch((e: unknown) => e);
    const hugeLimit = await reviewer.call('GET', '/v1/cases?limit=100000').catch((e: unknown) => e);

    // Assess
    expect(garbled).toMatchObject({ status: 400, body: { code: 'INVALID_CURSOR' } });
    expect(badStatus).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR' } });
    for (const refused of [negativeLimit, hugeLimit]) {
      expect(refused).toMatchObject({
        status: 400,
        body: { code: 'VALIDATION_ERROR', message: 'limit must be from 1 to 100' },
      });
    }
  });

  it('answers an unknown query parameter of the review queue with a JSON 400, as the case list does', async () => {
    // Act
    const unknown = await reviewer.call('GET', '/v1/reviews?foo=1').catch((e: unknown) => e);
    const cursor = await reviewer.call('GET', '/v1/reviews?cursor=garbage').catch((e: unknown) => e);

    // Assess
    expect(unknown).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR', message: expect.any(String) } });
    expect(cursor).toMatchObject({ status: 400, body: { code: 'VALIDATION_ERROR', message: expect.any(String) } });
  });
});
