// E23 timeouts: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/23-timeouts.js';
import { constants } from '../../lib/constants.js';
import { timeouts, type TimeoutsData } from '../../lib/lab/timeouts.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<TimeoutsData>;

beforeAll(async () => {
  result = await timeouts.run();
}, 30_000);

describe('E23 timeouts', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('a blocking send into full buffers ends with -EAGAIN after SO_SNDTIMEO', () => {
    const d = result.data;
    const last = d.sends.at(-1)!;
    expect(last.returned).toBe(-constants.EAGAIN!);
    expect(last.code).toBe('EAGAIN');
    expect(last.elapsedMs).toBeGreaterThanOrEqual(d.sndtimeo.setMs - d.earlyMs);
    expect(last.elapsedMs).toBeLessThanOrEqual(d.sndtimeo.setMs + d.lateMs);
  });

  it('short counts come first, and they add up to the bytes accepted', () => {
    const d = result.data;
    const before = d.sends.slice(0, -1);
    expect(before.length).toBeGreaterThan(0);
    for (const s of before) {
      expect(s.returned).toBeGreaterThan(0);
      expect(s.returned).toBeLessThan(d.chunk);
    }
    expect(before.reduce((sum, s) => sum + s.returned, 0)).toBe(d.accepted);
  });

  it('a successful send does not mean acknowledged: Send-Q > 0 right after it returned', () => {
    const success = result.data.sends.filter((s) => s.returned > 0).at(-1)!;
    expect(success.sendQAfter).toBeGreaterThan(0);
    expect(success.sendQAfter).toBeLessThanOrEqual(result.data.accepted);
    if (success.notSentAfter >= 0) expect(success.notSentAfter).toBeLessThanOrEqual(success.sendQAfter);
  });

  it('recv with no data returns -EAGAIN after SO_RCVTIMEO, and the connection is untouched', () => {
    const d = result.data;
    expect(d.recv.returned).toBe(-constants.EAGAIN!);
    expect(d.recv.code).toBe('EAGAIN');
    expect(d.recv.elapsedMs).toBeGreaterThanOrEqual(d.rcvtimeo.setMs - d.earlyMs);
    expect(d.recv.elapsedMs).toBeLessThanOrEqual(d.rcvtimeo.setMs + d.lateMs);
    expect(d.afterRecv).toEqual({ state: 'ESTABLISHED', soError: 0 });
    expect(d.recv.sendQAfter).toBe(d.recv.sendQBefore);
  });

  it('the timeouts lost nothing: the server read every accepted byte, Send-Q emptied', () => {
    const d = result.data;
    expect(d.drained).toBe(d.accepted);
    expect(d.end).toEqual({ sendQ: 0, recvQ: 0 });
  });

  it('the timeouts read back no shorter than set', () => {
    // The kernel stores them in clock ticks, rounding up: never less than what was set.
    expect(result.data.sndtimeo.readBackMs).toBeGreaterThanOrEqual(result.data.sndtimeo.setMs);
    expect(result.data.rcvtimeo.readBackMs).toBeGreaterThanOrEqual(result.data.rcvtimeo.setMs);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const d = result.data;
    const success = d.sends.filter((s) => s.returned > 0).at(-1)!;
    expect(text).toContain(`#1: returned ${d.sends[0]!.returned}`);
    expect(text).toContain(`Send-Q still held ${success.sendQAfter} bytes`);
    expect(text).toContain(`returned ${d.recv.returned} (EAGAIN) after ${d.recv.elapsedMs.toFixed(1)} ms`);
  });
});
