import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DeliveryQueue } from '../../../local/runtime/events/delivery-queue.ts';

const dir = mkdtempSync(join(tmpdir(), 'kyc-dlq-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fast = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20 };

describe('DeliveryQueue: at-least-once delivery like EventBridge to Lambda', () => {
  it('retries a failing target until it succeeds', async () => {
    // Prepare
    const file = join(dir, 'retry.jsonl');
    const queue = new DeliveryQueue({ deadLetterFile: file, retry: fast });
    let calls = 0;

    // Act
    queue.deliver('target', { id: 1 }, async () => {
      calls += 1;
      if (calls < 3) throw new Error('transient');
    });
    await queue.idle();

    // Assess
    expect(calls).toBe(3);
    expect(() => readFileSync(file)).toThrow();
  });

  it('writes the event to the dead-letter file after the last attempt', async () => {
    // Prepare
    const file = join(dir, 'dead.jsonl');
    const queue = new DeliveryQueue({ deadLetterFile: file, retry: fast });

    // Act
    queue.deliver('OnUpload', { id: 'evt-1' }, async () => {
      throw new TypeError('broken handler');
    });
    await queue.idle();

    // Assess
    const letter = JSON.parse(readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
    expect(letter).toMatchObject({ target: 'OnUpload', attempts: 3, errorName: 'TypeError', event: { id: 'evt-1' } });
  });

  it('never drops an event waiting for a retry when it closes', async () => {
    // Prepare
    const file = join(dir, 'closed.jsonl');
    const queue = new DeliveryQueue({
      deadLetterFile: file,
      retry: { maxAttempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000 },
    });
    queue.deliver('OnUpload', { id: 'evt-2' }, async () => {
      throw new Error('down');
    });
    await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    queue.close();
    queue.deliver('OnUpload', { id: 'evt-3' }, async () => undefined);

    // Assess
    const ids = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { event: { id: string } }).event.id);
    expect(ids).toEqual(['evt-2', 'evt-3']);
    expect(queue.size).toBe(0);
  });
});
