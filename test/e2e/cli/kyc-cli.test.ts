import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The command line as a user runs it: `node bin/kyc.mjs` is what `npx kyc` executes.
const KYC = join(process.cwd(), 'bin', 'kyc.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'kyc-cli-'));
// Templates are cached by source hash; sharing the cache across test data folders saves a synth each.
const env = { ...process.env, KYC_SYNTH_CACHE_DIR: join(tmpdir(), 'kyc-e2e-synth-cache') };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function kyc(args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KYC, ...args], {
      cwd: process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Pids of DynamoDB Local processes using a data folder. */
function javaProcessesFor(folder: string): string[] {
  const lines = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).split('\n');
  return lines.filter((line) => line.includes('DynamoDBLocal.jar') && line.includes(folder)).map((line) => line.trim());
}

describe('kyc: dispatch and usage errors', () => {
  it.each([
    [['--help'], 0, /Usage: kyc <command>/],
    [[], 2, /Usage: kyc <command>/],
    [['launch'], 2, /unknown command "launch"/],
    [['token', '--user', 'alice'], 2, /--role is required/],
    [['token', '--user', 'alice', '--role', 'king'], 2, /--role "king" is not a role: use one of user, support, /],
    [['token', '--nope'], 2, /Unknown option '--nope'/],
    [['local', '--port', 'eighty'], 2, /--port must be an integer/],
    [['local', '--allow-origin', 'http://localhost:5173/'], 2, /--allow-origin: .*must be a scheme and host/],
    [['local', '--allow-origin', '*'], 2, /--allow-origin: .*without path or wildcard/],
    [['demo', '--api-url', 'ftp://x'], 2, /--api-url must be an http\(s\) URL/],
  ])('kyc %j exits %i', async (args, code, message) => {
    // Act
    const run = await kyc(args);

    // Assess
    expect(run.code).toBe(code);
    expect(`${run.stdout}${run.stderr}`).toMatch(message);
  });
});

describe('kyc token', () => {
  it('prints a local ES256 token for the user and role, and says it is local only', async () => {
    // Act
    const run = await kyc(['token', '--user', 'alice', '--role', 'compliance_reviewer', '--data-dir', dataDir]);

    // Assess
    expect(run.code).toBe(0);
    const [header, payload] = run.stdout.trim().split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({ alg: 'ES256' });
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toMatchObject({
      sub: 'alice',
      'cognito:groups': ['compliance_reviewer'],
    });
    expect(run.stderr).toMatch(/local mode only/);
  });
});

describe('kyc check', () => {
  it('exits 2 for a file it cannot read', async () => {
    // Act
    const run = await kyc(['check', join(dataDir, 'missing.jpg'), '--slot', 'selfie']);

    // Assess
    expect(run.code).toBe(2);
  });
});

describe('kyc local', () => {
  let blocker: Server;
  let busyPort = 0;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    busyPort = (blocker.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('refuses a busy port with a clear message and exit code 1', async () => {
    // Act
    const run = await kyc(['local', '--port', String(busyPort), '--data-dir', join(dataDir, 'busy')]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`Port ${busyPort} .*already in use`));
  });

  it('starts, serves the API with its own tokens, and stops every child on SIGTERM', async () => {
    // Prepare
    const folder = join(dataDir, 'running');
    const child: ChildProcess = spawn(process.execPath, [KYC, 'local', '--port', '0', '--data-dir', folder], {
      cwd: process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const apiUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready: ${stderr.slice(-2000)}`)), 100_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const token = (await kyc(['token', '--user', 'bob', '--role', 'user', '--data-dir', folder])).stdout.trim();
    const foreign = (await kyc(['token', '--user', 'bob', '--role', 'user', '--data-dir', dataDir])).stdout.trim();

    // Act
    const health = await fetch(`${apiUrl}/health`);
    const accepted = await fetch(`${apiUrl}/v1/verifications/unknown-id`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const refused = await fetch(`${apiUrl}/v1/verifications/unknown-id`, {
      headers: { authorization: `Bearer ${foreign}` },
    });
    const javaWhileRunning = javaProcessesFor(folder);
    child.kill('SIGTERM');
    const code = await exited;

    // Assess
    expect(health.status).toBe(200);
    expect(accepted.status).toBe(404);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(javaWhileRunning).toHaveLength(1);
    expect(code).toBe(0);
    expect(javaProcessesFor(folder)).toEqual([]);
  }, 180_000); // A cold start in a fresh clone: synthesis, DynamoDB Local and the servers, beside other files.
});
