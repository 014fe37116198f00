/**
 * Start-up time and memory of each local AWS stand-in, each measured in a fresh process.
 *
 *   node --import tsx bench/local-aws-startup.ts
 *
 * Prints one JSON line per server: start time (ms), RSS of the Node process before and after
 * start (MB) and, for DynamoDB Local, the RSS of the Java child. Rekognition also reports its
 * first DetectText (tesseract worker start-up) and RSS after it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MB = 1024 * 1024;
const rss = (): number => Math.round(process.memoryUsage().rss / MB);
const childRss = (pid: number): number => {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(kb ?? 0) / 1024);
};

async function measure(name: string): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), `kyc-bench-${name}-`));
  const before = rss();
  const started = performance.now();
  try {
    switch (name) {
      case 'dynamodb': {
        const { startDynamoDbLocal } = await import('../local/aws/dynamodb-local.ts');
        const server = await startDynamoDbLocal({ dbPath: dir });
        const startMs = Math.round(performance.now() - started);
        const javaRssMb = childRss(server.pid);
        await server.stop();
        return { name, startMs, nodeRssMb: rss() - before, javaRssMb };
      }
      case 's3': {
        const { startLocalS3 } = await import('../local/aws/s3.ts');
        const server = await startLocalS3({ directory: dir, buckets: ['a', 'b', 'c'] });
        const startMs = Math.round(performance.now() - started);
        const after = rss();
        await server.stop();
        return { name, startMs, rssBeforeMb: before, rssAfterMb: after };
      }
      case 'kms': {
        const { startKmsServer } = await import('../local/aws/kms-server.ts');
        const server = await startKmsServer({ dataDir: dir });
        const startMs = Math.round(performance.now() - started);
        const after = rss();
        await server.stop();
        return { name, startMs, rssBeforeMb: before, rssAfterMb: after };
      }
      case 'rekognition': {
        const { startRekognitionServer, fixedTokenAuthorizer } = await import('../local/aws/rekognition-server.ts');
        const { RekognitionClient, DetectTextCommand } = await import('@aws-sdk/client-rekognition');
        const { localClientConfig } = await import('../local/aws/client-config.ts');
        const sharp = (await import('sharp')).default;
        const server = await startRekognitionServer({
          dataDir: dir,
          authorizeLivenessCompletion: fixedTokenAuthorizer('bench'),
        });
        const startMs = Math.round(performance.now() - started);
        const afterStart = rss();
        const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="100"><rect width="100%" height="100%" fill="white"/><text x="20" y="60" font-family="DejaVu Sans" font-size="36">LOCAL TEXT 2026</text></svg>`;
        const png = await sharp(Buffer.from(svg)).png().toBuffer();
        const client = new RekognitionClient(localClientConfig(server.endpoint));
        let t = performance.now();
        await client.send(new DetectTextCommand({ Image: { Bytes: png } }));
        const firstDetectTextMs = Math.round(performance.now() - t);
        t = performance.now();
        await client.send(new DetectTextCommand({ Image: { Bytes: png } }));
        const nextDetectTextMs = Math.round(performance.now() - t);
        const afterText = rss();
        const { DetectFacesCommand } = await import('@aws-sdk/client-rekognition');
        const { readFileSync: read } = await import('node:fs');
        const { createRequire } = await import('node:module');
        const samples = join(
          dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json')),
          'demo',
        );
        const photo = read(join(samples, 'sample1.jpg'));
        t = performance.now();
        await client.send(new DetectFacesCommand({ Image: { Bytes: photo } }));
        const firstDetectFacesMs = Math.round(performance.now() - t);
        t = performance.now();
        await client.send(new DetectFacesCommand({ Image: { Bytes: photo } }));
        const nextDetectFacesMs = Math.round(performance.now() - t);
        const afterFaces = rss();
        client.destroy();
        await server.stop();
        return {
          name,
          startMs,
          rssBeforeMb: before,
          rssAfterStartMb: afterStart,
          firstDetectTextMs,
          nextDetectTextMs,
          rssAfterOcrMb: afterText,
          firstDetectFacesMs,
          nextDetectFacesMs,
          rssAfterFaceEngineMb: afterFaces,
        };
      }
      default:
        throw new Error(`unknown server ${name}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const one = process.argv.indexOf('--one');
if (one >= 0) {
  const result = await measure(process.argv[one + 1] ?? '');
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} else {
  for (const name of ['s3', 'kms', 'rekognition', 'dynamodb']) {
    const run = spawnSync(
      process.execPath,
      ['--no-warnings', '--import', 'tsx', fileURLToPath(import.meta.url), '--one', name],
      {
        encoding: 'utf8',
      },
    );
    process.stdout.write(
      run.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .join('\n') + '\n',
    );
    if (run.status !== 0) process.stderr.write(run.stderr);
  }
}
