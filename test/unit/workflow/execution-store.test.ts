import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ExecutionStore, type ExecutionSnapshot } from '../../../local/stepfunctions/execution-store.ts';

vi.mock('node:fs', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs')>();
  return { ...original, fsyncSync: vi.fn(original.fsyncSync) };
});

function snapshot(status: string, events: number): ExecutionSnapshot {
  return {
    version: 1,
    executionArn: 'arn:aws:states:eu-west-1:000000000000:execution:kyc:a-1',
    stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:kyc',
    stateMachineName: 'kyc',
    name: 'a-1',
    status,
    input: '{"verificationId":"v-1"}',
    startDate: '2026-12-02T00:00:00.000Z',
    definition: { StartAt: 'Load', States: { Load: { Type: 'Pass', End: true } } } as never,
    retries: [],
    tokens: [],
    waits: {},
    settledTokens: [],
    history: Array.from({ length: events }, (_, index) => ({
      id: index + 1,
      type: 'StateEntered',
      timestamp: '2026-12-02T00:00:00.000Z',
      stateName: 'Load',
    })),
  };
}

describe('ExecutionStore', () => {
  const folders: string[] = [];
  const folder = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'kyc-execution-store-'));
    folders.push(dir);
    return dir;
  };
  afterEach(() => {
    vi.mocked(fs.fsyncSync).mockClear();
    for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('flushes a snapshot behind an answer to the disk: the file, then the folder after the rename', () => {
    // Prepare
    const store = new ExecutionStore(folder());

    // Act
    store.save(snapshot('RUNNING', 1));

    // Assess
    expect(fs.fsyncSync).toHaveBeenCalledTimes(2);
  });

  it('replaces a progress snapshot atomically without flushing it, readable at once by a new store', () => {
    // Prepare
    const dir = folder();
    const store = new ExecutionStore(dir);
    store.save(snapshot('RUNNING', 1));
    vi.mocked(fs.fsyncSync).mockClear();

    // Act: progress, then what a restarted process reads
    store.save(snapshot('RUNNING', 7), { flush: false });
    const loaded = new ExecutionStore(dir).loadAll();

    // Assess
    expect(fs.fsyncSync).not.toHaveBeenCalled();
    expect(loaded).toHaveLength(1);
    expect(loaded[0]?.history).toHaveLength(7);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
