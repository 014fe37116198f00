import { createHash, createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListAliasesCommand,
  ReEncryptCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localClientConfig } from '../../../local/aws/client-config.ts';
import { startKmsServer, type KmsServer } from '../../../local/aws/kms-server.ts';

const KEY_UUID = '6f1a9c2e-3b4d-4e5f-8a7b-9c0d1e2f3a4b';
const KEY_ARN = `arn:aws:kms:us-east-1:000000000000:key/${KEY_UUID}`;

describe('local KMS', () => {
  let dataDir: string;
  let server: KmsServer;
  let kms: KMSClient;
  let symmetricArn: string;
  let hmacKeyId: string;
  let signingKeyId: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kyc-kms-'));
    server = await startKmsServer({ dataDir });
    kms = new KMSClient(localClientConfig(server.endpoint));
    symmetricArn = server.ensureKey(KEY_ARN, 'SYMMETRIC_DEFAULT', 'documents').arn;
    hmacKeyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })))
      .KeyMetadata!.KeyId!;
    signingKeyId = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })))
      .KeyMetadata!.KeyId!;
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/kyc-data', TargetKeyId: KEY_UUID }));
  });

  afterAll(async () => {
    kms?.destroy();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates keys with the ARNs the runtime expects', async () => {
    // Act
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: KEY_ARN }));

    // Assess
    expect(symmetricArn).toBe(KEY_ARN);
    expect(KeyMetadata).toMatchObject({
      KeyId: KEY_UUID,
      Arn: KEY_ARN,
      KeySpec: 'SYMMETRIC_DEFAULT',
      KeyUsage: 'ENCRYPT_DECRYPT',
      Enabled: true,
    });
    expect(KeyMetadata?.CreationDate).toBeInstanceOf(Date);
  });

  it.each([
    ['key id', KEY_UUID],
    ['key ARN', KEY_ARN],
    ['alias', 'alias/kyc-data'],
    ['alias ARN', 'arn:aws:kms:us-east-1:000000000000:alias/kyc-data'],
  ])('encrypts by %s and decrypts without a KeyId', async (_name, keyId) => {
    // Prepare
    const context = { verificationId: 'v-123', purpose: 'pii' };

    // Act
    const encrypted = await kms.send(
      new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('secret'), EncryptionContext: context }),
    );
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }),
    );

    // Assess
    expect(encrypted.KeyId).toBe(KEY_ARN);
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('secret');
    expect(decrypted.KeyId).toBe(KEY_ARN);
  });

  it.each([
    ['a different value', { verificationId: 'v-999' }],
    ['a missing context', undefined],
    ['an extra entry', { verificationId: 'v-123', extra: 'x' }],
  ])('fails Decrypt with InvalidCiphertextException for %s', async (_name, context) => {
    // Prepare
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({
        KeyId: KEY_UUID,
        Plaintext: Buffer.from('secret'),
        EncryptionContext: { verificationId: 'v-123' },
      }),
    );

    // Act
    const decrypt = kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));

    // Assess
    await expect(decrypt).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('rejects tampered and foreign ciphertext', async () => {
    // Prepare
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: KEY_UUID, Plaintext: Buffer.from('secret') }),
    );
    const tampered = Buffer.from(CiphertextBlob!);
    tampered[tampered.length - 1]! ^= 0xff;

    // Act & Assess
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: tampered }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from('not a blob') }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
    });
    await expect(kms.send(new DecryptCommand({ CiphertextBlob, KeyId: hmacKeyId }))).rejects.toMatchObject({
      name: 'IncorrectKeyException',
    });
  });

  it.each([
    ['Encrypt', () => new EncryptCommand({ KeyId: 'alias/missing', Plaintext: Buffer.from('x') })],
    ['DescribeKey', () => new DescribeKeyCommand({ KeyId: '00000000-0000-4000-8000-000000000000' })],
  ])('answers NotFoundException for an unknown key (%s)', async (_name, command) => {
    // Act & Assess
    await expect(kms.send(command() as EncryptCommand)).rejects.toMatchObject({ name: 'NotFoundException' });
  });

  it('generates data keys with and without plaintext that decrypt to the same key', async () => {
    // Act
    const withPlaintext = await kms.send(
      new GenerateDataKeyCommand({ KeyId: KEY_ARN, KeySpec: 'AES_256', EncryptionContext: { a: '1' } }),
    );
    const withoutPlaintext = await kms.send(
      new GenerateDataKeyWithoutPlaintextCommand({ KeyId: KEY_ARN, NumberOfBytes: 16 }),
    );
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: withPlaintext.CiphertextBlob, EncryptionContext: { a: '1' } }),
    );
    const decryptedSecond = await kms.send(new DecryptCommand({ CiphertextBlob: withoutPlaintext.CiphertextBlob }));

    // Assess
    expect(withPlaintext.Plaintext).toHaveLength(32);
    expect(Buffer.from(decrypted.Plaintext!)).toEqual(Buffer.from(withPlaintext.Plaintext!));
    expect(withoutPlaintext).not.toHaveProperty('Plaintext');
    expect(decryptedSecond.Plaintext).toHaveLength(16);
  });

  it('re-encrypts under another context', async () => {
    // Prepare
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: KEY_UUID, Plaintext: Buffer.from('moved'), EncryptionContext: { v: '1' } }),
    );

    // Act
    const reEncrypted = await kms.send(
      new ReEncryptCommand({
        CiphertextBlob,
        SourceEncryptionContext: { v: '1' },
        DestinationKeyId: 'alias/kyc-data',
        DestinationEncryptionContext: { v: '2' },
      }),
    );
    const decrypted = await kms.send(
      new DecryptCommand({ CiphertextBlob: reEncrypted.CiphertextBlob, EncryptionContext: { v: '2' } }),
    );

    // Assess
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('moved');
  });

  it('generates and verifies HMAC-SHA-256 MACs', async () => {
    // Prepare
    const Message = Buffer.from('P<UTOERIKSSON<<ANNA');

    // Act
    const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: hmacKeyId, Message, MacAlgorithm: 'HMAC_SHA_256' }));
    const again = await kms.send(new GenerateMacCommand({ KeyId: hmacKeyId, Message, MacAlgorithm: 'HMAC_SHA_256' }));
    const valid = await kms.send(
      new VerifyMacCommand({ KeyId: hmacKeyId, Message, Mac, MacAlgorithm: 'HMAC_SHA_256' }),
    );
    const invalid = kms.send(
      new VerifyMacCommand({ KeyId: hmacKeyId, Message: Buffer.from('other'), Mac, MacAlgorithm: 'HMAC_SHA_256' }),
    );

    // Assess
    expect(Mac).toHaveLength(32);
    expect(Buffer.from(again.Mac!)).toEqual(Buffer.from(Mac!));
    expect(valid.MacValid).toBe(true);
    await expect(invalid).rejects.toMatchObject({ name: 'KMSInvalidMacException' });
  });

  it.each(['RAW', 'DIGEST'] as const)(
    'signs and verifies with ECDSA_SHA_256 (%s), checkable with the public key',
    async (type) => {
      // Prepare
      const message = Buffer.from('audit digest chain head');
      const Message = type === 'RAW' ? message : createHash('sha256').update(message).digest();

      // Act
      const { Signature } = await kms.send(
        new SignCommand({ KeyId: signingKeyId, Message, MessageType: type, SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
      const valid = await kms.send(
        new VerifyCommand({
          KeyId: signingKeyId,
          Message,
          MessageType: type,
          Signature,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );
      const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: signingKeyId }));
      const tampered = kms.send(
        new VerifyCommand({
          KeyId: signingKeyId,
          Message: Buffer.alloc(Message.length, 1),
          MessageType: type,
          Signature,
          SigningAlgorithm: 'ECDSA_SHA_256',
        }),
      );

      // Assess
      expect(valid.SignatureValid).toBe(true);
      const publicKey = createPublicKey({ key: Buffer.from(PublicKey!), format: 'der', type: 'spki' });
      expect(verify('sha256', message, publicKey, Buffer.from(Signature!))).toBe(true);
      await expect(tampered).rejects.toMatchObject({ name: 'KMSInvalidSignatureException' });
    },
  );

  it('refuses operations the key type does not allow', async () => {
    // Act & Assess
    await expect(
      kms.send(new EncryptCommand({ KeyId: signingKeyId, Plaintext: Buffer.from('x') })),
    ).rejects.toMatchObject({
      name: 'InvalidKeyUsageException',
    });
  });

  it('lists aliases', async () => {
    // Act
    const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: KEY_ARN }));

    // Assess
    expect(Aliases).toEqual([
      {
        AliasName: 'alias/kyc-data',
        AliasArn: 'arn:aws:kms:us-east-1:000000000000:alias/kyc-data',
        TargetKeyId: KEY_UUID,
      },
    ]);
  });

  it.each([
    ['malformed JSON', { 'X-Amz-Target': 'TrentService.Encrypt' }, '{not json', 400, 'SerializationException'],
    ['an unknown operation', { 'X-Amz-Target': 'TrentService.MineBitcoin' }, '{}', 400, 'UnknownOperationException'],
    ['a missing target', {}, '{}', 400, 'UnknownOperationException'],
    [
      'an oversized body',
      { 'X-Amz-Target': 'TrentService.Encrypt' },
      `{"Plaintext":"${'A'.repeat(1024 * 1024)}"}`,
      413,
      'RequestEntityTooLargeException',
    ],
  ])('answers %s with an AWS-shaped error', async (_name, headers, body, status, type) => {
    // Act
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', ...headers },
      body,
    });

    // Assess
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ __type: type, message: expect.any(String) });
  });

  it('answers get-key-rotation-status as configured, enables and disables rotation on symmetric keys only', async () => {
    // Prepare: the runtime applies the template's EnableKeyRotation through ensureKey.
    const rotated = server.ensureKey('0c9a7b6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', 'SYMMETRIC_DEFAULT', 'data', 365);

    // Act
    const asDeployed = await kms.send(new GetKeyRotationStatusCommand({ KeyId: rotated.arn }));
    const unrotated = await kms.send(new GetKeyRotationStatusCommand({ KeyId: 'alias/kyc-data' }));
    await kms.send(new EnableKeyRotationCommand({ KeyId: KEY_UUID, RotationPeriodInDays: 90 }));
    const enabled = await kms.send(new GetKeyRotationStatusCommand({ KeyId: KEY_ARN }));
    await kms.send(new DisableKeyRotationCommand({ KeyId: KEY_UUID }));
    const disabled = await kms.send(new GetKeyRotationStatusCommand({ KeyId: KEY_UUID }));
    const refusals = await Promise.all([
      kms.send(new GetKeyRotationStatusCommand({ KeyId: hmacKeyId })).catch((error: unknown) => error),
      kms.send(new EnableKeyRotationCommand({ KeyId: signingKeyId })).catch((error: unknown) => error),
      kms
        .send(new EnableKeyRotationCommand({ KeyId: KEY_UUID, RotationPeriodInDays: 30 }))
        .catch((error: unknown) => error),
      kms.send(new GetKeyRotationStatusCommand({ KeyId: 'alias/none' })).catch((error: unknown) => error),
    ]);
    const restarted = await startKmsServer({ dataDir });
    const client = new KMSClient(localClientConfig(restarted.endpoint));
    const afterRestart = await client.send(new GetKeyRotationStatusCommand({ KeyId: rotated.keyId }));
    client.destroy();
    await restarted.stop();

    // Assess
    expect(asDeployed).toMatchObject({ KeyId: rotated.arn, KeyRotationEnabled: true, RotationPeriodInDays: 365 });
    expect(unrotated).toMatchObject({ KeyId: KEY_ARN, KeyRotationEnabled: false });
    expect(unrotated.RotationPeriodInDays).toBeUndefined();
    expect(enabled).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 90 });
    expect(disabled.KeyRotationEnabled).toBe(false);
    expect(refusals.map((error) => (error as Error).name)).toEqual([
      'UnsupportedOperationException',
      'UnsupportedOperationException',
      'ValidationException',
      'NotFoundException',
    ]);
    expect(afterRestart).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 365 });
  });

  it('keeps keys across a restart, with key files readable only by the owner', async () => {
    // Prepare
    const { CiphertextBlob } = await kms.send(
      new EncryptCommand({ KeyId: KEY_UUID, Plaintext: Buffer.from('durable') }),
    );
    const { Signature } = await kms.send(
      new SignCommand({ KeyId: signingKeyId, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256' }),
    );

    // Act
    const restarted = await startKmsServer({ dataDir });
    const client = new KMSClient(localClientConfig(restarted.endpoint));
    const decrypted = await client.send(new DecryptCommand({ CiphertextBlob }));
    const verified = await client.send(
      new VerifyCommand({
        KeyId: signingKeyId,
        Message: Buffer.from('m'),
        Signature,
        SigningAlgorithm: 'ECDSA_SHA_256',
      }),
    );
    const alias = await client.send(new DescribeKeyCommand({ KeyId: 'alias/kyc-data' }));
    client.destroy();
    await restarted.stop();

    // Assess
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('durable');
    expect(verified.SignatureValid).toBe(true);
    expect(alias.KeyMetadata?.Arn).toBe(KEY_ARN);
    const keyFiles = readdirSync(join(dataDir, 'keys'));
    expect(keyFiles).toHaveLength(4);
    for (const file of keyFiles) expect(statSync(join(dataDir, 'keys', file)).mode & 0o777).toBe(0o600);
  });
});
