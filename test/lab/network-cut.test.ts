// E25 network-cut: the "must show" of shared/EXPERIMENTS.md, asserted on a real run in network
// namespaces — and that nothing of ours is left afterwards, also after a run aborted mid-cut.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/25-network-cut.js';
import { constants } from '../../lib/index.js';
import { netnsSupport } from '../../lib/lab/netns.js';
import { networkCut, retransmissionModelMs, type NetworkCutData } from '../../lib/lab/network-cut.js';
import type { ExperimentResult } from '../../lib/lab/types.js';
import { childrenOf, snapshot, type Snapshot } from '../helpers/netns-leftovers.js';

const support = netnsSupport();
if (!support.ok) console.warn(`E25 network-cut skipped: needs network namespaces: ${support.reason}`);

describe('E25 network-cut: the kernel model of the default give-up time', () => {
  it('tcp_model_timeout: doubling up to the RTO ceiling, then linear', () => {
    // 200 ms doubling: 0.2+0.4+…; with a 120 s ceiling the threshold is ilog2(600) = 9.
    expect(retransmissionModelMs(3, 200, 120_000)).toBe((2 ** 4 - 1) * 200);
    expect(retransmissionModelMs(15, 200, 120_000)).toBe((2 ** 10 - 1) * 200 + 6 * 120_000);
  });
});

describe.skipIf(!support.ok)('E25 network-cut', () => {
  let before: Snapshot;
  let result: ExperimentResult<NetworkCutData>;

  beforeAll(async () => {
    before = snapshot();
    result = await networkCut.run();
  }, 30_000);

  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.data.unavailable).toBeNull();
  });

  it('during the cut: sends succeed (or EAGAIN once full), never EPIPE or another error, while the kernel retransmits', () => {
    const r = result.data.restored!;
    expect(r.sendQAtCut).toBe(0);
    expect(r.cutSends.filter((x) => x > 0).length).toBeGreaterThan(1);
    expect(r.cutSends.filter((x) => x < 0)).toEqual([-constants.EAGAIN!]);
    expect(r.cutSends.at(-1)).toBe(-constants.EAGAIN!);
    expect(r.cutSends).not.toContain(-constants.EPIPE!);
    expect(r.afterRetrans.sends).toBeGreaterThan(0);
    expect(r.atCutEnd.totalRetrans).toBeGreaterThan(0);
    expect(r.atCutEnd.state).toBe('ESTABLISHED');
  });

  it('Send-Q equals the bytes accepted since the cut at every sample of the cut (nothing is acknowledged)', () => {
    const r = result.data.restored!;
    const cut = r.timeline.filter((s) => s.phase === 'cut');
    expect(cut.length).toBeGreaterThan(2);
    for (const s of cut) expect(s.sendQ).toBe(s.sent - r.flowSent);
    expect(r.sendQAfterCut).toBe(r.acceptedInCut);
  });

  it('bounded: with the buffer full, poll(POLLOUT) gives 0 for its whole budget', () => {
    const full = result.data.restored!.full!;
    expect(full.poll).toBe(0);
    expect(full.revents).toBe(0);
    expect(full.elapsedMs).toBeGreaterThanOrEqual(290);
  });

  it('the cable back: every byte arrives, in order, and Send-Q drains to 0', () => {
    const r = result.data.restored!;
    const s = result.data.server!;
    expect(r.drain!.sendQ).toBe(0);
    expect(s).toEqual({ received: r.totalSent, fnv: r.fnv, mismatches: 0, end: 0 });
    expect(r.totalSent).toBe(r.flowSent + r.acceptedInCut);
  });

  it('TCP_USER_TIMEOUT 2000 ms: ETIMEDOUT no sooner than 2 s and within 4 s of the cut, POLLERR|POLLHUP, then EPIPE', () => {
    const t = result.data.timedOut!;
    const f = t.failure!;
    expect(t.userTimeoutMs).toBe(2000);
    expect(f.send1).toBe(-constants.ETIMEDOUT!);
    expect(f.send2).toBe(-constants.EPIPE!);
    expect(f.revents & constants.POLLERR!).toBe(constants.POLLERR!);
    expect(f.revents & constants.POLLHUP!).toBe(constants.POLLHUP!);
    expect(f.afterCutMs).toBeGreaterThanOrEqual(2000 - 20);
    expect(f.afterCutMs).toBeLessThan(4000);
    // The kernel default would be far longer: tcp_retries2 retransmissions, minutes.
    if (result.data.defaults.modelMs !== null) expect(result.data.defaults.modelMs).toBeGreaterThan(100 * f.afterCutMs);
  });

  it('the fast mode runs in seconds, not the kernel-default retransmission timeout of ~15 min', () => {
    expect(result.data.slow).toBe(false);
    // A bound against the default, with room for a loaded CI machine under ASan.
    expect(result.durationMs).toBeLessThan(120_000);
  });

  it('the example narrates the real numbers and draws the timeline', () => {
    const text = narrate(result);
    const r = result.data.restored!;
    expect(text).toContain(`Send-Q grew to ${r.sendQAfterCut} bytes`);
    expect(text).toContain('client Send-Q');
    expect(text).toContain(`received ${r.totalSent} of ${r.totalSent} bytes`);
    expect(text).toContain('the next send gave ETIMEDOUT, the one after EPIPE');
  });

  it('leaves nothing: no namespace, no link, no child process', () => {
    expect(snapshot()).toEqual(before);
  });

  it('aborted mid-cut (RunOptions.signal), with the namespaces, the cut and both actors in place: nothing left', async () => {
    const controller = new AbortController();
    let sawChildren: number[] = [];
    const run = networkCut.run({
      signal: controller.signal,
      progress: (m) => {
        if (m === 'run 1: sending into the cut') {
          sawChildren = childrenOf('self');
          controller.abort(new Error('test abort'));
        }
      },
    });
    await expect(run).rejects.toThrow(/test abort/);
    expect(sawChildren.length).toBeGreaterThanOrEqual(3); // the anchor, the server and the client
    expect(snapshot()).toEqual(before);
  }, 20_000);
});
