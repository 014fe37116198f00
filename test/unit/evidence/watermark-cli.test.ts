import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../local/cli/main.ts';

const folder = mkdtempSync(join(tmpdir(), 'kyc-watermark-cli-'));
writeFileSync(join(folder, 'notes.txt'), 'not an image');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await main(args, {
    out: (text) => lines.push(text),
    err: (text) => lines.push(text),
    cwd: folder,
    env: {},
  });
  return { code, text: lines.join('\n') };
}

describe('kyc watermark: usage and read errors exit 2 before anything starts', () => {
  it.each([
    [['watermark'], /missing subcommand "trace"/],
    [['watermark', 'spot', 'x.jpg'], /unknown subcommand "spot"/],
    [['watermark', 'trace'], /exactly one image/],
    [['watermark', 'trace', 'a.jpg', 'b.jpg'], /exactly one image/],
    [['watermark', 'trace', 'a.jpg', '--region', 'eu-west-1', '--data-dir', 'x'], /exclude each other/],
    [['watermark', 'trace', 'missing.jpg'], /cannot read .*missing\.jpg: ENOENT/],
    [['watermark', 'trace', 'notes.txt'], /is not an image/],
    [['watermark', 'trace', 'notes.txt', '--colour'], /Unknown option/],
  ])('%j -> exit 2', async (args, message) => {
    // Act
    const { code, text } = await run(args);

    // Assess
    expect(code).toBe(2);
    expect(text).toMatch(message);
  });

  it('prints its usage with --help (exit 0)', async () => {
    // Act
    const { code, text } = await run(['watermark', 'trace', '--help']);

    // Assess
    expect(code).toBe(0);
    expect(text).toMatch(/Exit 0 found, 1 not found, 2 error/);
  });
});
