// E03 blocking-recv: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/03-blocking-recv.js';
import { constants } from '../../lib/constants.js';
import { blockingRecv, type BlockingRecvData } from '../../lib/lab/blocking-recv.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<BlockingRecvData>;

beforeAll(async () => {
  result = await blockingRecv.run();
}, 30_000);

describe('E03 blocking-recv', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('with no data the thread sleeps inside recvfrom', () => {
    expect(result.data.where.state).toBe('S');
    expect(result.data.where.syscall?.name).toBe('recvfrom');
  });

  it.runIf(isRoot)('as root, the kernel stack goes through sk_wait_data (sleeping in wait_woken)', () => {
    expect(result.data.where.stack).toContain('sk_wait_data');
    expect(result.data.stackFrames).toEqual({ skWaitData: true, waitWoken: true });
  });
  if (!isRoot) console.warn('E03: kernel-stack assertion skipped: /proc/<tid>/stack is readable by root only');

  it('when the server sends, recv returns exactly those bytes (fewer than the buffer offered)', () => {
    const { received, sentBytes, message, bufferSize } = result.data;
    expect(sentBytes).toBe(Buffer.byteLength(message));
    expect(received.returned).toBe(sentBytes);
    expect(received.text).toBe(message);
    expect(received.returned).toBeLessThan(bufferSize);
  });

  it('with SO_RCVTIMEO, recv returns -EAGAIN after the timeout, within the tolerance', () => {
    const t = result.data.timeout;
    expect(t.returned).toBe(-constants.EAGAIN!);
    expect(t.code).toBe('EAGAIN');
    expect(t.elapsedMs).toBeGreaterThanOrEqual(t.setMs - t.earlyMs);
    expect(t.elapsedMs).toBeLessThanOrEqual(t.setMs + t.lateMs);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain('recvfrom');
    expect(text).toContain(`returned ${result.data.received.returned}: "${result.data.message}"`);
    expect(text).toContain(`after ${result.data.timeout.elapsedMs.toFixed(1)} ms`);
  });
});
