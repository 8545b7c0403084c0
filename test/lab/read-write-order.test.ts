// E19 read-write-order: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/19-read-write-order.js';
import { constants } from '../../lib/index.js';
import {
  COMBINATIONS,
  PAIRINGS,
  readWriteOrder,
  WINDOW_MS,
  type ReadWriteOrderData,
} from '../../lib/lab/read-write-order.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<ReadWriteOrderData>;

beforeAll(async () => {
  result = await readWriteOrder.run();
}, 30_000);

describe('E19 read-write-order', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('runs every pairing with each of the seed’s length combinations', () => {
    const exchanging = COMBINATIONS.filter((c) => !c.deadlockOnly).length;
    expect(result.data.runs.filter((r) => r.seed === '06-1')).toHaveLength(COMBINATIONS.length);
    for (const p of PAIRINGS.slice(1))
      expect(result.data.runs.filter((r) => r.seed === p.seed)).toHaveLength(exchanging);
  });

  it('both reading first: both threads asleep in recvfrom, no progress, broken by SO_RCVTIMEO with -EAGAIN', () => {
    const deadlocked = result.data.runs.filter((r) => r.seed === '06-1');
    for (const r of deadlocked) {
      for (const [where, s] of [
        [r.asleep!.server, r.server],
        [r.asleep!.client, r.client],
      ] as const) {
        expect(where.state).toBe('S');
        expect(where.syscall?.name).toBe('recvfrom');
        expect(where.syscall?.number).toBe(constants.SYS_recvfrom);
        expect(s.order).toBe('read-first');
        expect(s.rounds).toBe(0);
        expect(s.bytesRead + s.bytesWritten).toBe(0);
        expect(s.end.how).toBe('recv');
        expect(s.end.returned).toBe(-constants.EAGAIN!);
        expect(s.end.code).toBe('EAGAIN');
        expect(s.end.afterMs).toBeGreaterThanOrEqual(WINDOW_MS - 10);
      }
      expect(r.asleep!.server.syscall!.fd).not.toBe(r.asleep!.client.syscall!.fd);
    }
  });

  it.runIf(isRoot)('as root, both deadlocked threads sleep in sk_wait_data', () => {
    for (const r of result.data.runs.filter((x) => x.asleep)) {
      expect(r.asleep!.server.stack).toContain('sk_wait_data');
      expect(r.asleep!.client.stack).toContain('sk_wait_data');
    }
  });
  if (!isRoot) console.warn('E19: kernel-stack assertion skipped: /proc/<tid>/stack is readable by root only');

  it('the other three pairings exchange messages until the window is over', () => {
    for (const r of result.data.runs.filter((x) => x.seed !== '06-1')) {
      expect(r.asleep).toBeNull();
      expect(r.server.rounds).toBeGreaterThan(0);
      expect(r.client.rounds).toBeGreaterThan(0);
      expect([r.server.end.how, r.client.end.how]).toContain('deadline');
      // A stream never invents bytes: what one side read, the other had written.
      expect(r.server.bytesRead).toBeLessThanOrEqual(r.client.bytesWritten);
      expect(r.client.bytesRead).toBeLessThanOrEqual(r.server.bytesWritten);
      // Equal lengths on both sides keep the rounds in lockstep (±1 for the round cut by the window).
      const equal =
        r.server.lengths.read === r.client.lengths.write && r.client.lengths.read === r.server.lengths.write;
      if (equal) expect(Math.abs(r.server.rounds - r.client.rounds)).toBeLessThanOrEqual(1);
    }
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    for (const r of result.data.runs.filter((x) => x.seed !== '06-1')) {
      expect(text).toContain(String(r.server.rounds));
      expect(text).toContain(String(r.client.rounds));
    }
    expect(text).toContain('recvfrom');
    expect(text).toContain('-EAGAIN');
  });
});
