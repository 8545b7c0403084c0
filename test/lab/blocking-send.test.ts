// E01 blocking-send: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/01-blocking-send.js';
import { blockingSend, type BlockingSendData } from '../../lib/lab/blocking-send.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<BlockingSendData>;

beforeAll(async () => {
  result = await blockingSend.run();
}, 60_000);

describe('E01 blocking-send', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('the sending thread sleeps inside sendto on the client fd, in both variants', () => {
    for (const run of result.data.runs) {
      expect(run.where.state).toBe('S');
      expect(run.where.syscall?.name).toBe('sendto');
    }
  });

  it.runIf(isRoot)('as root, the kernel stack goes through sk_stream_wait_memory', () => {
    for (const run of result.data.runs) expect(run.where.stack).toContain('sk_stream_wait_memory');
  });
  if (!isRoot) console.warn('E01: kernel-stack assertion skipped: /proc/<tid>/stack is readable by root only');

  it('at rest, Send-Q + Recv-Q == accepted + the queued part of the blocked 10-byte send', () => {
    for (const run of result.data.runs) {
      expect(run.sendQ + run.recvQ - run.accepted).toBe(run.partOfBlockedSend);
      expect(run.partOfBlockedSend).toBeGreaterThanOrEqual(0);
      expect(run.partOfBlockedSend).toBeLessThan(10);
    }
  });

  it('after the sender stops, accepted == Send-Q + Recv-Q + bytes read, exactly', () => {
    for (const { final } of result.data.runs) expect(final.sendQ + final.recvQ + final.drained).toBe(final.accepted);
  });

  it('the blocked send returned only after the server drained part, not all, of the queue', () => {
    for (const run of result.data.runs) {
      expect(run.drainedBeforeReturn).toBeGreaterThan(0);
      expect(run.drainedBeforeReturn).toBeLessThanOrEqual(run.accepted);
    }
  });

  it('small buffers: read back doubled, and far fewer bytes before send blocks', () => {
    const [defaults, small] = result.data.runs;
    expect(small!.sndbuf).toBe(2 * 8192);
    expect(small!.rcvbuf).toBe(2 * 10240);
    expect(small!.accepted * 10).toBeLessThan(defaults!.accepted);
  });

  it('records a timeline whose last point has the bytes accepted at the block', () => {
    const { timeline, accepted } = result.data.runs[0]!;
    expect(timeline.length).toBeGreaterThan(1);
    expect(timeline.at(-1)!.accepted).toBe(accepted);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain(`${result.data.runs[0]!.accepted} bytes`);
    expect(text).toContain('sendto');
  });
});
