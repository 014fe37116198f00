/**
 * `kyc local [--port 3000] [--data-dir .local-data] [--time-scale N] [--dev-tokens] [--allow-origin <origin>]...`: starts the embedded
 * runtime, prints its URLs, and runs until SIGINT/SIGTERM, then stops every server and child
 * process (DynamoDB Local's Java included). A busy port or a missing Java is a clear message
 * and exit code 1.
 */
import { resolve } from 'node:path';
import { ConfigError, resolveConfig } from '../../../lib/config.ts';
import { integerOption, numberOption, parseCommandArgs } from '../args.ts';
import { EXIT, UsageError, type CliIo } from '../io.ts';

export const LOCAL_USAGE = `Usage: kyc local [--port 3000] [--data-dir .local-data] [--time-scale N] [--replay-dlq] [--stop-timeout 10] [--dev-tokens] [--allow-origin <origin>]...

Starts the whole pipeline on this machine (no AWS account, no Docker, no network):
DynamoDB Local, S3 (s3rver), KMS, Rekognition and Step Functions stand-ins, and the HTTP API.
  --port        API port on 127.0.0.1 (default 3000; 0 picks a free one)
  --data-dir    folder for all local state (default .local-data)
  --time-scale  multiply workflow waits and timeouts, the cooldown, the review SLA and stream
                batching windows by N (default 1; 0.001 turns 24 h into 86 s)
  --dev-tokens  let GET /_local/token mint staff-role tokens too (default: user tokens only;
                staff tokens come from \`npx kyc token\`)
  --allow-origin  a browser origin (e.g. http://localhost:5173, no path) whose pages may call the
                API and upload to intake, as \`allowedOrigins\` in AWS; repeat for more (default: none
                but the runtime's own pages)
  --replay-dlq  deliver the events in <data-dir>/dlq/events.jsonl again at start, and the
                stream batches of <data-dir>/dlq/streams.jsonl (read from the stream again)
  --stop-timeout  seconds running workflow steps get to finish on Ctrl-C/SIGTERM (default 10)
Running workflows, their review tasks and waits continue after a restart on the same data folder.
Stop with Ctrl-C (or SIGTERM): intake stops first, running steps finish, the rest is saved; exit 0.`;

/** Runs `kyc local`; resolves after a signal stopped the runtime. */
export async function localCommand(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    'time-scale': { type: 'string' },
    'dev-tokens': { type: 'boolean' },
    'replay-dlq': { type: 'boolean' },
    'stop-timeout': { type: 'string' },
    'allow-origin': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    io.out(LOCAL_USAGE);
    return EXIT.ok;
  }
  const port = integerOption('port', values.port, 3000, 0, 65535);
  const timeScale = numberOption('time-scale', values['time-scale'], 1, 0.000001, 1000);
  const stopGraceMs = numberOption('stop-timeout', values['stop-timeout'], 10, 0, 3600) * 1000;
  const dataDir = resolve(io.cwd, values['data-dir'] ?? '.local-data');
  const allowedOrigins = allowedOriginsOption(values['allow-origin'] as unknown as string[] | undefined);
  const { startRuntime } = await import('../../runtime/runtime.ts');
  io.err(`Starting the local runtime (data in ${dataDir}) ...`);
  const runtime = await startRuntime({
    port,
    dataDir,
    timeScale,
    devTokens: values['dev-tokens'] === true,
    stopGraceMs,
    replayDeadLetters: values['replay-dlq'] === true,
    ...(allowedOrigins.length > 0 ? { config: { allowedOrigins } } : {}),
    log: (line) => io.err(`[local] ${line}`),
  });
  const { endpoints } = runtime;
  io.out(
    [
      `KYC local runtime ready in ${runtime.timings.total} ms`,
      `  API           ${runtime.apiUrl}`,
      `  Upload page   ${runtime.apiUrl}/`,
      `  Console       ${runtime.apiUrl}/console/  (sign in with a token from \`npx kyc token --role compliance_reviewer\`)`,
      `  OpenAPI       ${runtime.apiUrl}/openapi.json`,
      ...(allowedOrigins.length > 0 ? [`  CORS          ${allowedOrigins.join(', ')}`] : []),
      `  Token         npx kyc token --user <id> --role user --data-dir ${dataDir}`,
      `  AWS CLI       AWS_ENDPOINT_URL_S3=${endpoints.s3} AWS_ENDPOINT_URL_DYNAMODB=${endpoints.dynamodb} \\`,
      `                AWS_ENDPOINT_URL_SFN=${endpoints.sfn} AWS_ENDPOINT_URL_EVENTBRIDGE=${endpoints.eventbridge} \\`,
      ...(endpoints.kms || endpoints.rekognition
        ? [
            `               ${endpoints.kms ? ` AWS_ENDPOINT_URL_KMS=${endpoints.kms}` : ''}${endpoints.rekognition ? ` AWS_ENDPOINT_URL_REKOGNITION=${endpoints.rekognition}` : ''} \\`,
          ]
        : []),
      `                AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=${runtime.config.region} aws ...`,
      `Press Ctrl-C to stop.`,
    ].join('\n'),
  );
  await new Promise<void>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.err(`\n${signal}: stopping ...`);
      runtime.stop().then(done, (error: unknown) => {
        io.err(`error while stopping: ${(error as Error).message}`);
        done();
      });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.err('Stopped.');
  return EXIT.ok;
}

/** The `--allow-origin` values, checked as `allowedOrigins` is in a deployment (a bad one is a usage error). */
function allowedOriginsOption(values: readonly string[] | undefined): string[] {
  const origins = [...new Set(values ?? [])];
  try {
    resolveConfig({ allowedOrigins: origins });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`--allow-origin: ${error.problems.join('; ')}`);
    throw error;
  }
  return origins;
}
