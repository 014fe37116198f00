import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { FakeS3 } from '../../support/fake-s3.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { EnvelopeCrypto, EnvelopeCryptoError } from '../../../lambdas/adapters/aws/envelope-crypto.ts';
import { ObjectTooLargeError, S3EvidenceStore } from '../../../lambdas/adapters/aws/s3-evidence-store.ts';
import { SfnWorkflowStarter } from '../../../lambdas/adapters/aws/sfn-workflow-starter.ts';
import { sdkCalls } from '../../../local/aws/sdk-calls.ts';
import * as kmsSdk from '@aws-sdk/client-kms';
import * as sfnSdk from '@aws-sdk/client-sfn';

const kms = mockClient(KMSClient);
const s3 = new FakeS3();
const sfn = mockClient(SFNClient);

beforeEach(() => {
  kms.reset();
  s3.reset();
  sfn.reset();
});

const personalData = { fullName: 'Ada Lovelace', dateOfBirth: '1815-12-10', address: '12 St James Square' };

function fakeKms() {
  // A KMS stand-in that "encrypts" the data key by prefixing the context, so Decrypt can check it.
  const dataKey = randomBytes(32);
  kms.on(GenerateDataKeyCommand).callsFake((input: { EncryptionContext: Record<string, string> }) => ({
    KeyId: 'arn:aws:kms:eu-west-1:1:key/data',
    Plaintext: Uint8Array.from(dataKey),
    CiphertextBlob: Buffer.concat([Buffer.from(JSON.stringify(input.EncryptionContext)), Buffer.from('|'), dataKey]),
  }));
  kms
    .on(DecryptCommand)
    .callsFake((input: { CiphertextBlob: Uint8Array; EncryptionContext: Record<string, string> }) => {
      const blob = Buffer.from(input.CiphertextBlob);
      const separator = blob.indexOf('|');
      if (blob.subarray(0, separator).toString() !== JSON.stringify(input.EncryptionContext)) {
        throw Object.assign(new Error('InvalidCiphertextException'), { name: 'InvalidCiphertextException' });
      }
      return { Plaintext: Uint8Array.from(blob.subarray(separator + 1)) };
    });
}

describe('EnvelopeCrypto', () => {
  it('seals with a data key bound to the verification and opens it again', async () => {
    // Prepare
    fakeKms();
    const crypto = new EnvelopeCrypto({ keyId: 'alias/kyc/data', client: sdkCalls(new KMSClient({}), kmsSdk) });

    // Act
    const sealed = await crypto.seal(personalData, { verificationId: 'v-1' });
    const opened = await crypto.open(sealed, { verificationId: 'v-1' });

    // Assess
    expect(opened).toEqual(personalData);
    expect(JSON.stringify(sealed)).not.toContain('Lovelace');
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({
      KeyId: 'alias/kyc/data',
      KeySpec: 'AES_256',
      EncryptionContext: { verificationId: 'v-1', purpose: 'personal-data' },
    });
  });

  it.each([
    { name: 'another verification', mutate: (s: Record<string, string>) => s, verificationId: 'v-2' },
    {
      name: 'tampered ciphertext',
      mutate: (s: Record<string, string>) => ({ ...s, ciphertext: Buffer.from('tampered!').toString('base64') }),
      verificationId: 'v-1',
    },
    {
      name: 'tampered tag',
      mutate: (s: Record<string, string>) => ({ ...s, authTag: Buffer.alloc(16).toString('base64') }),
      verificationId: 'v-1',
    },
  ])('refuses to open for $name', async ({ mutate, verificationId }) => {
    // Prepare
    fakeKms();
    const crypto = new EnvelopeCrypto({ keyId: 'k', client: sdkCalls(new KMSClient({}), kmsSdk) });
    const sealed = await crypto.seal(personalData, { verificationId: 'v-1' });

    // Act
    const open = crypto.open(mutate({ ...sealed }) as never, { verificationId });

    // Assess
    await expect(open).rejects.toBeInstanceOf(EnvelopeCryptoError);
  });
});

describe('S3EvidenceStore', () => {
  const store = () => new S3EvidenceStore({ vaultBucket: 'vault', documentsKeyId: 'k', client: s3.client });

  it('reads within the byte cap with a ranged GET', async () => {
    // Prepare
    s3.on('getObject').callsFake(() => ({ Body: Readable.from([Buffer.alloc(600), Buffer.alloc(400)]) }));

    // Act
    const bytes = await store().read({ bucket: 'b', key: 'k', versionId: 'v' }, 1000);

    // Assess
    expect(bytes).toHaveLength(1000);
    expect(s3.calls('getObject')[0]).toMatchObject({
      Range: 'bytes=0-1000',
      VersionId: 'v',
    });
  });

  it('stops reading past the cap', async () => {
    // Prepare
    s3.on('getObject').callsFake(() => ({ Body: Readable.from([Buffer.alloc(600), Buffer.alloc(600)]) }));

    // Act
    const read = store().read({ bucket: 'b', key: 'k' }, 1000);

    // Assess
    await expect(read).rejects.toBeInstanceOf(ObjectTooLargeError);
  });

  it.each([
    { error: Object.assign(new Error('NotFound'), { name: 'NotFound' }), result: undefined },
    {
      error: Object.assign(new Error('x'), { name: 'Unknown', $metadata: { httpStatusCode: 404 } }),
      result: undefined,
    },
  ])('answers undefined for a missing object ($error.name)', async ({ error, result }) => {
    // Prepare
    s3.on('headObject').rejects(error);

    // Act + Assess
    await expect(store().head({ bucket: 'b', key: 'k' })).resolves.toBe(result);
  });

  it('lets other head errors through', async () => {
    // Prepare
    s3.on('headObject').rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act + Assess
    await expect(store().head({ bucket: 'b', key: 'k' })).rejects.toThrow('denied');
  });
});

describe('SfnWorkflowStarter', () => {
  it.each([
    {
      name: 'a new execution',
      setup: () => sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:e' }),
      result: { started: true, executionArn: 'arn:e' },
    },
    {
      name: 'an existing execution',
      setup: () =>
        sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists({ message: 'exists', $metadata: {} })),
      result: { started: false },
    },
  ])('reports $name', async ({ setup, result }) => {
    // Prepare
    setup();
    const starter = new SfnWorkflowStarter({ stateMachineArn: 'arn:sm', client: sdkCalls(new SFNClient({}), sfnSdk) });

    // Act
    const outcome = await starter.start({ verificationId: 'v-1', attemptId: 'a-1' });

    // Assess
    expect(outcome).toEqual(result);
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toMatchObject({
      stateMachineArn: 'arn:sm',
      name: 'a-1',
    });
  });

  it('lets other errors through so the event is retried', async () => {
    // Prepare
    sfn.on(StartExecutionCommand).rejects(new Error('ThrottlingException'));
    const starter = new SfnWorkflowStarter({ stateMachineArn: 'arn:sm', client: sdkCalls(new SFNClient({}), sfnSdk) });

    // Act + Assess
    await expect(starter.start({ verificationId: 'v', attemptId: 'a' })).rejects.toThrow('Throttling');
  });
});
