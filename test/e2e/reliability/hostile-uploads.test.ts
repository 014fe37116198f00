/**
 * Hostile inputs (issue: proof under attack): every generated file of `hostile-files.ts` goes
 * through the running local runtime exactly as a frontend sends it (create a verification and
 * an attempt, POST the file to the presigned URL) and through `kyc check`. Each must get its
 * specific reason code, every upload S3 accepts must leave a document record (the presigned
 * POST's size range refuses files under the floor or over the limit at S3 itself), and the runtime must still
 * answer its health check afterwards. The tally is printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { documentSk } from '../../../lambdas/adapters/aws/verification-repository.ts';
import { checkCommand } from '../../../local/cli/commands/check.ts';
import { KycClient } from '../../../local/demo/kyc-client.ts';
import { hostileFiles, type HostileFile } from '../../support/hostile-files.ts';
import { startE2eRuntime, type E2eRuntime } from '../support/local-runtime.ts';

let e2e: E2eRuntime;
let files: HostileFile[];
const folder = mkdtempSync(join(tmpdir(), 'kyc-hostile-'));

beforeAll(async () => {
  [e2e, files] = await Promise.all([startE2eRuntime(), hostileFiles(DEFAULT_CONFIG)]);
  for (const file of files) writeFileSync(join(folder, file.name), file.bytes);
}, 180_000);

afterAll(async () => {
  await e2e?.stop();
  rmSync(folder, { recursive: true, force: true });
});

interface Outcome {
  readonly file: HostileFile;
  readonly codes: readonly string[];
  readonly detail: string;
  /** Refused by the presigned POST's size range before any object landed (no record to expect). */
  readonly refusedByS3?: boolean;
}

/** Runs `work` over `items`, at most `limit` at a time. */
async function pooled<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index] as T);
      }
    }),
  );
  return results;
}

/** Prints `family | expected | files | right` and returns the wrong ones. */
function tally(title: string, outcomes: readonly Outcome[]): Outcome[] {
  const rows = new Map<string, { files: number; right: number }>();
  for (const outcome of outcomes) {
    const key = `${outcome.file.family.padEnd(26)} ${outcome.file.expected.padEnd(26)}`;
    const row = rows.get(key) ?? { files: 0, right: 0 };
    row.files += 1;
    if (outcome.codes.includes(outcome.file.expected)) row.right += 1;
    rows.set(key, row);
  }
  const wrong = outcomes.filter((outcome) => !outcome.codes.includes(outcome.file.expected));
  const lines = [...rows].map(
    ([key, row]) => `${key} ${String(row.files).padStart(5)} ${String(row.right).padStart(5)}`,
  );
  console.log(
    [
      `${title}: ${outcomes.length - wrong.length}/${outcomes.length} files got their expected code`,
      `${'family'.padEnd(26)} ${'expected code'.padEnd(26)} files right`,
      ...lines,
      ...(outcomes.some((outcome) => outcome.refusedByS3)
        ? [
            `refused by S3 at upload (POST policy size range): ${outcomes.filter((outcome) => outcome.refusedByS3).length}`,
          ]
        : []),
      ...wrong.map((outcome) => `WRONG ${outcome.file.name}: ${outcome.codes.join(',') || '(none)'} ${outcome.detail}`),
    ].join('\n'),
  );
  return wrong;
}

describe('hostile uploads', () => {
  it('generates at least 60 distinct files covering every hostile family', () => {
    // Assess
    expect(files.length).toBeGreaterThanOrEqual(60);
    expect(new Set(files.map((file) => file.name)).size).toBe(files.length);
    expect(new Set(files.map((file) => file.bytes.toString('base64'))).size).toBe(files.length);
    const families = new Set(files.map((file) => file.family));
    for (const family of [
      'truncated JPEG',
      'truncated PNG',
      'bad CRC',
      'huge dimensions',
      'decompression bomb',
      'JPEG/ZIP polyglot',
      'JPEG/PDF polyglot',
      'JPEG/HTML polyglot',
      'SVG',
      'GIF',
      'TIFF',
      'HEIC',
      'WebP',
      'AVIF',
      'empty',
      'too large',
      'absurd EXIF orientation',
      'CMYK',
      '16-bit',
      'animated PNG',
      'text',
      'PDF with JavaScript',
      'metadata bomb',
      'PDF decompression bomb',
    ])
      expect(families, family).toContain(family);
  });

  it('through the running runtime like a frontend: a specific code and a record for every upload, and the runtime stays up', async () => {
    // Prepare: one user per file, so rate limits and cooldowns never mix the outcomes.
    const run = Date.now().toString(36);

    // Act
    const outcomes = await pooled(files, 6, async (file): Promise<Outcome> => {
      const client = await KycClient.forUser(e2e.runtime.apiUrl, `hostile-${run}-${file.name}`);
      const { verificationId } = await client.createVerification({
        level: file.slot === 'proof_of_address' ? 'advanced' : 'basic',
        nationality: 'GBR',
        documentType: 'passport',
        personalData: { fullName: 'Alex Example', dateOfBirth: '1990-04-01', address: '1 High Street, Leeds' },
      });
      const attempt = await client.createAttempt(verificationId);
      const post = attempt.uploads[file.slot];
      if (!post) throw new Error(`${file.name}: no ${file.slot} slot`);
      try {
        await client.upload(post, file.bytes, file.declaredType, file.fileName);
      } catch (error) {
        // The presigned POST pins the size range (as in AWS): S3 itself refuses the file, the
        // frontend gets S3's error, no object lands and the attempt still awaits its upload.
        const refusal = /EntityTooSmall|EntityTooLarge/.exec((error as Error).message)?.[0];
        if (!refusal) throw error;
        const view = await client.getVerification(verificationId);
        const code = refusal === 'EntityTooSmall' ? 'FILE_TOO_SMALL' : 'FILE_TOO_LARGE';
        return {
          file,
          codes: view.status === 'awaiting_upload' ? [code] : [],
          detail: `S3 ${refusal}`,
          refusedByS3: true,
        };
      }
      const view = await client.waitForStatus(verificationId, { until: ['rejected', 'cooldown'], timeoutMs: 90_000 });
      const record = await e2e.dynamo.send(
        new GetCommand({
          TableName: e2e.env.VERIFICATIONS_TABLE,
          Key: { pk: `V#${verificationId}`, sk: documentSk(attempt.attemptId, file.slot) },
        }),
      );
      const document = record.Item as { result?: string; reasons?: string[]; sizeBytes?: number } | undefined;
      const recorded = document?.result === 'rejected' && document.sizeBytes === file.bytes.length;
      const viewCodes = view.reasons.map((reason) => reason.code);
      return {
        file,
        // The code counts only when the document record AND the user's view both carry it.
        codes: recorded ? (document.reasons ?? []).filter((code) => viewCodes.includes(code)) : [],
        detail: `record=${JSON.stringify(document?.reasons ?? null)} view=${viewCodes.join(',')} status=${view.status}`,
      };
    });
    const health = await fetch(`${e2e.runtime.apiUrl}/health`);
    await e2e.runtime.eventsIdle();

    // Assess
    expect(tally('runtime', outcomes)).toEqual([]);
    expect(health.status).toBe(200);
  }, 240_000);

  it('through kyc check: the same code for every file, exit 1', async () => {
    // Act
    const outcomes = await pooled(files, 2, async (file): Promise<Outcome> => {
      const out: string[] = [];
      const code = await checkCommand(
        [file.name, '--slot', file.slot, '--json'],
        { out: (text) => out.push(text), err: (text) => out.push(text), cwd: folder },
        // The runtime above ran the face checks; here the file-level and pixel checks are the point.
        { faceDetector: null },
      );
      const body = JSON.parse(out.join('\n')) as { reasons: { code: string }[] };
      return { file, codes: code === 1 ? body.reasons.map((reason) => reason.code) : [], detail: `exit ${code}` };
    });

    // Assess
    expect(tally('kyc check', outcomes)).toEqual([]);
  }, 120_000);
});
