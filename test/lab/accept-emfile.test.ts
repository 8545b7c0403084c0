// E21 accept-emfile: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/21-accept-emfile.js';
import { constants } from '../../lib/index.js';
import { acceptEmfile, type AcceptEmfileData } from '../../lib/lab/accept-emfile.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<AcceptEmfileData>;

beforeAll(async () => {
  result = await acceptEmfile.run();
}, 30_000);

describe('E21 accept-emfile', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('the child ran with the RLIMIT_NOFILE prlimit set, and filled every slot below it: open + dups == limit', () => {
    const e = result.data.exhaustion;
    expect(result.data.prefix).toEqual(['prlimit', `--nofile=${e.limit}:${e.limit}`, '--']);
    expect(e.dupResult).toBe(-constants.EMFILE);
    expect(e.openBefore + e.dups).toBe(e.limit);
    expect(e.slotsInUse).toBe(e.limit);
  });

  it('every client connected (0) and is ESTABLISHED although nobody could accept', () => {
    expect(result.data.connects).toEqual(Array(result.data.clients).fill(0));
    expect(result.data.clientStatesWhileQueued).toEqual(Array(result.data.clients).fill('ESTABLISHED'));
  });

  it('accept gives -EMFILE and the connections stay queued', () => {
    expect(result.data.busy.firstAccept).toBe(-constants.EMFILE);
    expect(result.data.queuedDuringBusyLoop).toBe(result.data.clients);
  });

  it('the busy loop: every bounded iteration saw POLLIN at once and EMFILE', () => {
    const b = result.data.busy;
    expect(b.iterations).toBeGreaterThan(1);
    expect(b.iterations).toBeLessThanOrEqual(b.maxIterations);
    expect(b.pollReady).toBe(b.iterations);
    expect(b.emfile).toBe(b.iterations);
    expect(b.maxPollMs).toBeLessThan(b.pollTimeoutMs);
  });

  it('the reserve-fd trick drains every queued connection', () => {
    const { rounds, clients } = result.data;
    expect(rounds).toHaveLength(clients);
    for (const r of rounds) {
      expect(r.accept).toBe(-constants.EMFILE);
      expect(r.closeSpare).toBe(0);
      expect(r.acceptWithSlot).toBeGreaterThanOrEqual(0);
      expect(r.closeAccepted).toBe(0);
      expect(r.reopenSpare).toBeGreaterThanOrEqual(0);
    }
    expect(rounds[0]!.acceptWithSlot).toBe(result.data.exhaustion.spare);
    expect(result.data.reventsAfterDrain).toBe('0');
    expect(result.data.queuedAfterDrain).toBe(0);
    expect(result.data.clientRecvs).toEqual(Array(clients).fill(0));
    expect(result.data.exit).toEqual({ code: 0, signal: null });
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const b = result.data.busy;
    expect(text).toContain(`${b.iterations} × (poll(POLLIN, ${b.pollTimeoutMs} ms) → accept)`);
    expect(text).toContain(`EMFILE (${-constants.EMFILE})`);
    expect(text).toContain(`${result.data.exhaustion.slotsInUse} of the ${result.data.exhaustion.limit} slots`);
  });
});
