import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/parent-with-child.ts', import.meta.url));

/** Running, and not a zombie waiting to be reaped (some container inits never reap orphans). */
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
};

describe('killOnParentExit', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('kills registered children when the parent receives %s', async (signal) => {
    // Prepare
    const parent = spawn(process.execPath, ['--import', 'tsx', fixture], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [chunk] = (await once(parent.stdout!, 'data')) as [Buffer];
    const childPid = Number(chunk.toString().trim());
    expect(isAlive(childPid)).toBe(true);

    // Act
    parent.kill(signal);
    const [, exitSignal] = (await once(parent, 'exit')) as [number | null, NodeJS.Signals | null];
    for (let i = 0; i < 50 && isAlive(childPid); i += 1) await new Promise((done) => setTimeout(done, 20));

    // Assess
    expect(exitSignal).toBe(signal);
    expect(isAlive(childPid)).toBe(false);
  });
});
