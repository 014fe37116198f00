/**
 * `kyc check <file> --slot <slot> [--document-type <type>] [--json] [--lang en|zh-CN]`
 * (PRODUCT §7): the upload quality gate on one file, through the same `createQualityGate` the
 * intake Lambda uses, with the offline face engine as the face detector. Exit 0 accepted,
 * 1 rejected, 2 usage or read error.
 *
 * @example
 * ```sh
 * npx kyc check passport.jpg --slot document_front --document-type passport --json
 * ```
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG } from '../../../lib/config.ts';
import { describeReason, isLanguage, type Language } from '../../../lambdas/domain/reason-catalog/index.ts';
import { DOCUMENT_TYPES, SLOTS, type DocumentType, type Slot } from '../../../lambdas/domain/verification.ts';
import { FaceDetectorUnavailableError, type FaceDetector } from '../../../lambdas/ports/face-detector.ts';
import { createQualityGate } from '../../../lambdas/quality/gate.ts';

/** Output sinks: either the runtime's `CliIo` (`out`/`err`) or plain writable streams. */
export type CheckIo =
  | { readonly out: (text: string) => void; readonly err: (text: string) => void; readonly cwd?: string }
  | { readonly stdout: NodeJS.WritableStream; readonly stderr: NodeJS.WritableStream; readonly cwd?: string };

export const CHECK_USAGE = `Usage: kyc check <file> --slot <${SLOTS.join('|')}> [--document-type <${DOCUMENT_TYPES.join('|')}>] [--json] [--lang en|zh-CN]`;

function sinks(io: CheckIo): { out: (text: string) => void; err: (text: string) => void } {
  if ('out' in io) return { out: io.out, err: io.err };
  const line = (stream: NodeJS.WritableStream) => (text: string) =>
    void stream.write(text.endsWith('\n') ? text : `${text}\n`);
  return { out: line(io.stdout), err: line(io.stderr) };
}

/** Loads the offline face engine's detector; undefined when the engine is not available. */
async function defaultFaceDetector(): Promise<FaceDetector | undefined> {
  try {
    const { FaceEngineDetector } = await import('../../face-engine/face-detector.ts');
    return new FaceEngineDetector();
  } catch {
    return undefined;
  }
}

/** Runs `kyc check`; resolves to the exit code. `faceDetector` may be injected (tests). */
export async function checkCommand(
  args: readonly string[],
  io: CheckIo,
  deps: { faceDetector?: FaceDetector | null } = {},
): Promise<number> {
  const { out, err } = sinks(io);
  let parsed: ReturnType<
    typeof parseArgs<{
      options: {
        slot: { type: 'string' };
        'document-type': { type: 'string' };
        json: { type: 'boolean' };
        lang: { type: 'string' };
        help: { type: 'boolean' };
      };
      allowPositionals: true;
    }>
  >;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        slot: { type: 'string' },
        'document-type': { type: 'string' },
        json: { type: 'boolean' },
        lang: { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
    });
  } catch (error) {
    err(`kyc check: ${(error as Error).message}\n${CHECK_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(CHECK_USAGE);
    return 0;
  }
  const file = positionals[0];
  const slot = values.slot;
  const documentType = values['document-type'] ?? 'passport';
  const lang = values.lang ?? 'en';
  const problems: string[] = [];
  if (!file || positionals.length > 1) problems.push('give exactly one file');
  if (!slot || !(SLOTS as readonly string[]).includes(slot)) problems.push(`--slot must be one of ${SLOTS.join(', ')}`);
  if (!(DOCUMENT_TYPES as readonly string[]).includes(documentType))
    problems.push(`--document-type must be one of ${DOCUMENT_TYPES.join(', ')}`);
  if (!isLanguage(lang)) problems.push('--lang must be en or zh-CN');
  if (problems.length > 0 || !file) {
    err(`kyc check: ${problems.join('; ')}\n${CHECK_USAGE}`);
    return 2;
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(resolve(io.cwd ?? process.cwd(), file));
  } catch (error) {
    err(`kyc check: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return 2;
  }
  const faceDetector = deps.faceDetector === null ? undefined : (deps.faceDetector ?? (await defaultFaceDetector()));
  const gate = createQualityGate({ config: DEFAULT_CONFIG, ...(faceDetector ? { faceDetector } : {}) });
  let verdict: Awaited<ReturnType<typeof gate>>;
  try {
    verdict = await gate(bytes, { slot: slot as Slot, documentType: documentType as DocumentType });
  } catch (error) {
    // The gate throws only when the face detector failed for another reason than the photo.
    if (!(error instanceof FaceDetectorUnavailableError)) throw error;
    err(`kyc check: ${(error as Error).message}; the photo was not judged, try again`);
    return 2;
  }
  const reasons = verdict.reasons.map((code) => {
    const described = describeReason(code, lang as Language);
    return { code, message: described.message, tip: described.tip };
  });
  if (values.json) {
    out(
      JSON.stringify(
        {
          accepted: verdict.accepted,
          reasons,
          metrics: verdict.metrics,
          detectedType: verdict.detectedType ?? null,
          processors: verdict.processors ?? [],
        },
        null,
        2,
      ),
    );
  } else {
    const lines = [verdict.accepted ? `ACCEPTED  ${file}` : `REJECTED  ${file}`];
    for (const reason of reasons) lines.push(`  ${reason.code}: ${reason.message}`, `    tip: ${reason.tip}`);
    const m = verdict.metrics;
    const shown = [
      'width',
      'height',
      'blurMm',
      // The spread of the edges over directions: low when a shake smeared those across it away.
      'blurEdgeBalance',
      'blurAcrossWidthRatio',
      'blurFaceRatio',
      'noiseSigma',
      'glareFraction',
      'meanLuminance',
      'tiltDegrees',
      'cornerMargin',
      'faceCount',
      'gateMs',
    ];
    const figures = shown.filter((key) => m[key] !== undefined).map((key) => `${key}=${m[key]}`);
    if (figures.length > 0) lines.push(`  metrics: ${figures.join(' ')}`);
    out(lines.join('\n'));
  }
  return verdict.accepted ? 0 : 1;
}
