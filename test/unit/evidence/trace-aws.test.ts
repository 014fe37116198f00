import { createHmac } from 'node:crypto';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { GenerateMacCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KmsWatermarkKey } from '../../../lambdas/adapters/aws/kms-watermark-key.ts';
import { chainEvent } from '../../../lambdas/domain/audit-chain.ts';
import type { AccessRecord } from '../../../lambdas/domain/evidence-access.ts';
import { KeyedWatermarker } from '../../../lambdas/rendition/kms-watermarker.ts';
import { awsSources, describe as describeTrace, traceImage } from '../../../local/cli/commands/watermark.ts';
import { documentRendition } from '../../support/watermark-images.ts';
import { sdkCalls } from '../../../local/aws/sdk-calls.ts';
import * as kmsSdk from '@aws-sdk/client-kms';

const kms = mockClient(KMSClient);
const dynamodb = mockClient(DynamoDBClient);
const documents = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  kms.reset();
  dynamodb.reset();
  documents.reset();
});
const AWS = { region: 'eu-west-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

const SECRET = 'hmac-key-material-held-by-kms';

function kmsHoldingTheKey(): void {
  kms.on(GenerateMacCommand).callsFake((input: { KeyId: string; Message: Uint8Array }) => {
    if (input.KeyId !== 'alias/kyc/document-number-hmac') throw new Error(`unexpected key ${input.KeyId}`);
    return { Mac: createHmac('sha256', SECRET).update(input.Message).digest() };
  });
}

describe('kyc watermark trace --region: the same records in AWS, with the caller credentials', () => {
  it('finds the data stack tables by name across ListTables pages, and refuses an ambiguous account', async () => {
    // Prepare
    dynamodb
      .on(ListTablesCommand)
      .resolvesOnce({
        TableNames: ['other-table', 'kyc-data-TablesVerificationsA1B2-XYZ'],
        LastEvaluatedTableName: 'x',
      })
      .resolvesOnce({ TableNames: ['kyc-data-TablesAuditEventsC3D4-QRS', 'kyc2-data-TablesAuditEventsE5-TUV'] });

    // Act
    const sources = await awsSources('eu-west-1', 'kyc', {
      kms: new KMSClient(AWS),
      dynamodb: new DynamoDBClient(AWS),
    });
    dynamodb.on(ListTablesCommand).resolves({
      TableNames: ['kyc-data-TablesVerificationsA1-X', 'kyc-data-TablesVerificationsB2-Y'],
    });
    const ambiguous = awsSources('eu-west-1', 'kyc', { kms: new KMSClient(AWS), dynamodb: new DynamoDBClient(AWS) });

    // Assess
    expect([sources.verificationsTable, sources.auditTable, sources.hmacKeyId]).toEqual([
      'kyc-data-TablesVerificationsA1B2-XYZ',
      'kyc-data-TablesAuditEventsC3D4-QRS',
      'alias/kyc/document-number-hmac',
    ]);
    await expect(ambiguous).rejects.toThrow(/expected one table kyc-data-TablesVerifications\* in eu-west-1, found 2/);
  });

  it('traces a marked image to its access record and audit event, with the MAC computed by KMS', async () => {
    // Prepare
    kmsHoldingTheKey();
    const client = new KMSClient(AWS);
    const marker = new KeyedWatermarker(
      new KmsWatermarkKey({ keyId: 'alias/kyc/document-number-hmac', client: sdkCalls(client, kmsSdk) }),
    );
    const { image } = await marker.embed(await documentRendition(900), '0123456789abcdef');
    const audited = chainEvent(
      undefined,
      { subject: 'verification:v-7', action: 'document.viewed', actor: 'compliance_reviewer:rita', reason: 'ticket 9' },
      new Date('2026-11-30T10:00:00Z'),
    );
    const access: AccessRecord = {
      accessId: '0123456789abcdef',
      kind: 'document_view',
      actor: 'rita',
      actorRole: 'compliance_reviewer',
      reason: 'ticket 9',
      at: audited.at,
      verificationIds: ['v-7'],
      slot: 'document_front',
      auditSubject: 'verification:v-7',
      auditSequence: 1,
    };
    dynamodb
      .on(ListTablesCommand)
      .resolves({ TableNames: ['kyc-data-TablesVerificationsA-1', 'kyc-data-TablesAuditEventsB-2'] });
    documents
      .on(GetCommand, {
        TableName: 'kyc-data-TablesVerificationsA-1',
        Key: { pk: 'ACCESS#0123456789abcdef', sk: 'ACCESS' },
      })
      .resolves({ Item: { pk: 'ACCESS#0123456789abcdef', sk: 'ACCESS', entity: 'access', ...access } });
    documents.on(QueryCommand, { TableName: 'kyc-data-TablesAuditEventsB-2' }).resolves({ Items: [audited] });
    const sources = await awsSources('eu-west-1', 'kyc', { kms: client, dynamodb: new DynamoDBClient(AWS) });

    // Act
    const result = await traceImage(image, sources);

    // Assess
    expect(result).toMatchObject({ found: true, accessId: '0123456789abcdef', access, auditEvent: audited });
    expect(describeTrace(result)).toContain('rita (compliance_reviewer) viewed document document_front of case v-7');
  }, 60_000);

  it('says plainly that an image marked with another key carries no mark of ours', async () => {
    // Prepare
    kmsHoldingTheKey();
    const foreign = new KeyedWatermarker({
      mac: async (data) => Uint8Array.from(createHmac('sha256', 'another installation').update(data).digest()),
    });
    const { image } = await foreign.embed(await documentRendition(900), 'fedcba9876543210');
    dynamodb
      .on(ListTablesCommand)
      .resolves({ TableNames: ['kyc-data-TablesVerificationsA-1', 'kyc-data-TablesAuditEventsB-2'] });
    const sources = await awsSources('eu-west-1', 'kyc', {
      kms: new KMSClient(AWS),
      dynamodb: new DynamoDBClient(AWS),
    });

    // Act
    const result = await traceImage(image, sources);

    // Assess
    expect(result).toEqual({ found: false, why: 'no_mark' });
    expect(documents.commandCalls(GetCommand)).toHaveLength(0);
    expect(describeTrace(result)).toMatch(/^No watermark of ours/);
  }, 60_000);
});
