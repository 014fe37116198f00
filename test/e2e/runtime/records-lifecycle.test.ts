import { randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectLegalHoldCommand,
  GetObjectRetentionCommand,
  PutObjectCommand,
  PutObjectRetentionCommand,
} from '@aws-sdk/client-s3';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addYearsUtc } from '../../../lambdas/domain/retention.ts';
import type { Role } from '../../../lambdas/domain/verification.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { loadOrCreateSigningKey } from '../../../local/runtime/auth/local-signing-key.ts';
import { issueLocalToken } from '../../../local/runtime/auth/local-tokens.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';

// Account closure and legal hold through the local runtime, with the vault's Object Lock state
// checked through the S3 API exactly as an operator would see it.
let e2e: E2eRuntime;

beforeAll(async () => {
  e2e = await startE2eRuntime();
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
});

async function tokenFor(userId: string, role: Role): Promise<string> {
  return issueLocalToken(await loadOrCreateSigningKey(e2e.runtime.dataDir), { userId, role, ttlSeconds: 600 });
}

async function call(
  token: string,
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${e2e.runtime.apiUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A verification of `owner` with one accepted document in the vault, recorded as on-upload does. */
async function seedCase(owner: string): Promise<{ verificationId: string; key: string }> {
  const client = new KycClient(e2e.runtime.apiUrl, await tokenFor(owner, 'user'));
  const { verificationId } = await client.createVerification({
    level: 'basic',
    nationality: 'GBR',
    documentType: 'passport',
    personalData: { fullName: 'ANNA SMITH', dateOfBirth: '1990-01-01', address: '1 High Street, London' },
  });
  const attemptId = randomUUID();
  const key = `evidence/${verificationId}/${attemptId}/document_front`;
  await e2e.s3.send(
    new PutObjectCommand({
      Bucket: e2e.env.VAULT_BUCKET,
      Key: key,
      Body: Buffer.alloc(2048, 1),
      ContentType: 'image/jpeg',
    }),
  );
  await e2e.dynamo.send(
    new PutCommand({
      TableName: e2e.env.VERIFICATIONS_TABLE,
      Item: {
        pk: `V#${verificationId}`,
        sk: `A#${attemptId}#D#document_front`,
        entity: 'document',
        verificationId,
        attemptId,
        slot: 'document_front',
        result: 'accepted',
        reasons: [],
        sha256: '0'.repeat(64),
        sizeBytes: 2048,
        contentType: 'image/jpeg',
        vaultKey: key,
        metrics: {},
        processors: [],
        recordedAt: new Date().toISOString(),
      },
    }),
  );
  return { verificationId, key };
}

const retention = async (key: string): Promise<Date | undefined> =>
  (await e2e.s3.send(new GetObjectRetentionCommand({ Bucket: e2e.env.VAULT_BUCKET, Key: key }))).Retention
    ?.RetainUntilDate;

describe('records lifecycle on the local runtime', () => {
  it('locks new vault evidence for the configured years and refuses to delete or shorten it', async () => {
    // Prepare
    const { key } = await seedCase('lock-owner');
    const bucket = e2e.env.VAULT_BUCKET;
    // Act
    const until = await retention(key);
    const deletion = e2e.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    const shortening = e2e.s3.send(
      new PutObjectRetentionCommand({
        Bucket: bucket,
        Key: key,
        Retention: { Mode: 'COMPLIANCE', RetainUntilDate: new Date(Date.now() + 86_400_000) },
      }),
    );
    // Assess
    expect(until!.getTime()).toBeGreaterThanOrEqual(addYearsUtc(new Date(), 5).getTime() - 86_400_000);
    await expect(deletion).rejects.toMatchObject({ name: 'AccessDenied' });
    await expect(shortening).rejects.toMatchObject({ name: 'AccessDenied' });
  });

  it('closes an account: relationship end recorded once, evidence locked until at least 5 years after it, audited', async () => {
    // Prepare
    const { verificationId, key } = await seedCase('closing-owner');
    const before = await retention(key);
    const admin = await tokenFor('ada-admin', 'admin');
    // Act
    const closed = await call(admin, '/v1/accounts/closing-owner/close', { reason: 'customer left the platform' });
    const again = await call(admin, '/v1/accounts/closing-owner/close', { reason: 'second request' });
    const byReviewer = await call(await tokenFor('rita', 'compliance_reviewer'), '/v1/accounts/closing-owner/close', {
      reason: 'not allowed',
    });
    // Assess
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ userId: 'closing-owner', verifications: 1, evidenceObjects: 1 });
    const endedAt = new Date(closed.body.relationshipEndedAt as string);
    expect(again.body.relationshipEndedAt).toBe(closed.body.relationshipEndedAt);
    expect(byReviewer.status).toBe(403);
    const after = await retention(key);
    expect(after!.getTime()).toBeGreaterThanOrEqual(addYearsUtc(endedAt, 5).getTime());
    expect(after!.getTime()).toBeGreaterThanOrEqual(before!.getTime());
    const account = await e2e.dynamo.send(
      new GetCommand({ TableName: e2e.env.VERIFICATIONS_TABLE, Key: { pk: 'ACCOUNT#closing-owner', sk: 'ACCOUNT' } }),
    );
    expect(account.Item).toMatchObject({
      relationshipEndedAt: closed.body.relationshipEndedAt,
      closedBy: 'admin:ada-admin',
    });
    const audit = await e2e.dynamo.send(
      new QueryCommand({
        TableName: e2e.env.AUDIT_TABLE,
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'subject' },
        ExpressionAttributeValues: { ':s': `verification:${verificationId}` },
      }),
    );
    expect((audit.Items ?? []).map((event) => event.action)).toContain('account.closed');
  });

  it('sets and lifts a legal hold on every object of a case; approvers and admins only', async () => {
    // Prepare
    const { verificationId, key } = await seedCase('held-owner');
    const approver = await tokenFor('amos', 'compliance_approver');
    const holdStatus = async (): Promise<string | undefined> =>
      (await e2e.s3.send(new GetObjectLegalHoldCommand({ Bucket: e2e.env.VAULT_BUCKET, Key: key }))).LegalHold?.Status;
    // Act
    const set = await call(approver, `/v1/cases/${verificationId}/legal-hold`, {
      on: true,
      reason: 'regulator request',
    });
    const whileHeld = await holdStatus();
    const support = await call(await tokenFor('sam', 'support'), `/v1/cases/${verificationId}/legal-hold`, {
      on: false,
      reason: 'not allowed',
    });
    const unknown = await call(approver, `/v1/cases/${randomUUID()}/legal-hold`, { on: true, reason: 'no such case' });
    const lifted = await call(await tokenFor('ada-admin', 'admin'), `/v1/cases/${verificationId}/legal-hold`, {
      on: false,
      reason: 'request closed',
    });
    // Assess
    expect(set).toMatchObject({ status: 200, body: { verificationId, legalHold: true, evidenceObjects: 1 } });
    expect(whileHeld).toBe('ON');
    expect(support.status).toBe(403);
    expect(unknown.status).toBe(404);
    expect(lifted.body.legalHold).toBe(false);
    expect(await holdStatus()).toBe('OFF');
  });
});
