import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../local/cli/main.ts';
import { loadOrCreateSigningKey, signingKeyFile } from '../../../local/runtime/auth/local-signing-key.ts';
import { SignJWT } from 'jose';
import { LOCAL_TOKEN_ALGORITHM } from '../../../local/runtime/auth/local-signing-key.ts';
import {
  InvalidTokenError,
  issueLocalToken,
  LOCAL_TOKEN_CLIENT_ID,
  LOCAL_TOKEN_ISSUER,
  verifyLocalToken,
} from '../../../local/runtime/auth/local-tokens.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'kyc-tokens-'));
const otherDir = mkdtempSync(join(tmpdir(), 'kyc-tokens-other-'));
afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});

describe('local tokens', () => {
  it('creates one private key per data folder and reuses it', async () => {
    // Act
    const first = await loadOrCreateSigningKey(dataDir);
    const second = await loadOrCreateSigningKey(dataDir);

    // Assess
    expect(second.keyId).toBe(first.keyId);
    expect(statSync(signingKeyFile(dataDir)).mode & 0o777).toBe(0o600);
  });

  it('verifies its own token and returns the Cognito-shaped claims', async () => {
    // Prepare
    const key = await loadOrCreateSigningKey(dataDir);
    const token = await issueLocalToken(key, { userId: 'alice', role: 'compliance_reviewer' });

    // Act
    const claims = await verifyLocalToken(key, token);

    // Assess
    expect(claims).toMatchObject({
      sub: 'alice',
      'cognito:groups': ['compliance_reviewer'],
      token_use: 'access',
      client_id: 'serverless-kyc-local',
    });
    expect(claims.aud).toBeUndefined();
  });

  it('refuses a token signed by another data folder', async () => {
    // Prepare
    const ours = await loadOrCreateSigningKey(dataDir);
    const theirs = await loadOrCreateSigningKey(otherDir);
    const token = await issueLocalToken(theirs, { userId: 'mallory', role: 'admin' });

    // Act / Assess
    await expect(verifyLocalToken(ours, token)).rejects.toThrow(InvalidTokenError);
  });

  it.each([
    ['an expired token', -7200, 'the token has expired'],
    ['garbage', undefined, 'the token is malformed or not signed by this runtime'],
  ])('refuses %s', async (_label, ttlOffset, reason) => {
    // Prepare
    const key = await loadOrCreateSigningKey(dataDir);
    const token =
      ttlOffset === undefined
        ? 'not.a.jwt'
        : await issueLocalToken(key, {
            userId: 'a',
            role: 'user',
            ttlSeconds: 60,
            now: new Date(Date.now() + ttlOffset * 1000),
          });

    // Act / Assess
    await expect(verifyLocalToken(key, token)).rejects.toMatchObject({ name: 'InvalidTokenError', reason });
  });

  it('refuses a token issued in the future, and accepts it once that time has come', async () => {
    // Prepare: a token whose iat is an hour ahead (nbf absent, exp after it)
    const key = await loadOrCreateSigningKey(dataDir);
    const issuedAt = new Date(Date.now() + 3600_000);
    const token = await issueLocalToken(key, { userId: 'a', role: 'user', now: issuedAt });

    // Act / Assess
    await expect(verifyLocalToken(key, token)).rejects.toMatchObject({
      name: 'InvalidTokenError',
      reason: 'claim iat is not valid',
    });
    await expect(verifyLocalToken(key, token, new Date(issuedAt.getTime() + 1000))).resolves.toMatchObject({
      sub: 'a',
    });
  });

  it.each([
    ['an ID token for the app client', { token_use: 'id', aud: LOCAL_TOKEN_CLIENT_ID }, /only access tokens/],
    ['a token without token_use', { client_id: LOCAL_TOKEN_CLIENT_ID }, /only access tokens/],
    ['an access token of another app client', { token_use: 'access', client_id: 'other-client' }, /aud/],
    ['an access token without a client', { token_use: 'access' }, /aud/],
  ])('refuses %s signed with the right key', async (_label, claims, reason) => {
    // Prepare
    const key = await loadOrCreateSigningKey(dataDir);
    const token = await new SignJWT({ 'cognito:groups': ['admin'], ...claims })
      .setProtectedHeader({ alg: LOCAL_TOKEN_ALGORITHM, kid: key.keyId })
      .setSubject('mallory')
      .setIssuer(LOCAL_TOKEN_ISSUER)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(key.privateKey);

    // Act / Assess
    await expect(verifyLocalToken(key, token)).rejects.toMatchObject({
      name: 'InvalidTokenError',
      reason: expect.stringMatching(reason),
    });
  });
});

describe('kyc token: usage errors exit 2 and say what is wrong', () => {
  async function kycToken(args: string[]): Promise<{ code: number; text: string }> {
    const lines: string[] = [];
    const code = await main(['token', ...args], {
      out: (text) => lines.push(text),
      err: (text) => lines.push(text),
      cwd: dataDir,
      env: {},
    });
    return { code, text: lines.join('\n') };
  }

  it('refuses a data folder that does not exist, and creates nothing there', async () => {
    // Prepare
    const missing = join(dataDir, 'no-such-folder');

    // Act
    const { code, text } = await kycToken(['--user', 'alice', '--role', 'user', '--data-dir', missing]);

    // Assess
    expect(code).toBe(2);
    expect(text).toContain(`no data folder ${missing}`);
    expect(existsSync(missing)).toBe(false);
  });

  it('names an invalid role and lists the valid ones', async () => {
    // Act
    const { code, text } = await kycToken(['--user', 'alice', '--role', 'superuser']);

    // Assess
    expect(code).toBe(2);
    expect(text).toContain(
      '--role "superuser" is not a role: use one of user, support, compliance_reviewer, compliance_approver, admin',
    );
    expect(text).not.toContain('--role is required');
  });

  it('says the role is required when it is missing', async () => {
    // Act
    const { code, text } = await kycToken(['--user', 'alice']);

    // Assess
    expect(code).toBe(2);
    expect(text).toContain('--role is required: one of user, support');
  });
});
