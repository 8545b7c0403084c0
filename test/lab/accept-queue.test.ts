// E20 accept-queue: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/20-accept-queue.js';
import { constants } from '../../lib/index.js';
import { acceptQueue, type AcceptQueueData } from '../../lib/lab/accept-queue.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<AcceptQueueData>;

beforeAll(async () => {
  result = await acceptQueue.run();
}, 20_000);

describe('E20 accept-queue', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('a blocking connect returns 0 although the server never called accept; it waits in the queue', () => {
    const d = result.data;
    expect(d.first.connect).toBe(0);
    expect(d.first.state).toBe('ESTABLISHED');
    expect(d.queueAfterFirst).toEqual({ length: 1, max: d.backlog });
    expect(d.listenerReadable).toBe(true);
  });

  it('the queue holds backlog + 1; then a nonblocking connect stays in progress: -EINPROGRESS, then -EALREADY', () => {
    const d = result.data;
    expect(d.queueFull.length).toBe(d.backlog + 1);
    expect(d.dropped.connect).toBe(-constants.EINPROGRESS!);
    expect(d.dropped.state).toBe('SYN_SENT');
    expect(d.dropped.secondConnect).toBe(-constants.EALREADY!);
    expect(d.overflows).toBeGreaterThanOrEqual(1);
  });

  it('accept later returns that first connection and frees one slot', () => {
    expect(result.data.accepted.port).toBe(result.data.first.port);
    expect(result.data.accepted.queueAfter).toBe(result.data.backlog);
  });

  it('the dropped client connects after its SYN is retransmitted, about one RTO after its first SYN', () => {
    const { late, dropped } = result.data;
    expect(late.connected).toBe(true);
    expect(late.soError).toBe(0);
    expect(late.state).toBe('ESTABLISHED');
    expect(late.totalRetrans).toBeGreaterThanOrEqual(1);
    expect(late.afterMs).toBeGreaterThanOrEqual(dropped.rtoMs! * 0.9);
  });

  it('the events are in time order', () => {
    const ts = result.data.events.map((e) => e.t);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain(`127.0.0.1:${result.data.address.port}`);
    expect(text).toContain(`from port ${result.data.first.port}`);
    expect(text).toContain(`${result.data.late.afterMs} ms after its first SYN`);
    expect(text).toContain('EALREADY');
  });
});
