// E27 peer-crash: the "must show" of shared/EXPERIMENTS.md, asserted on a real run in network
// namespaces — and that nothing of ours is left afterwards, also after a forced failure (the
// namespace anchor killed mid-way) and an aborted run.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/27-peer-crash.js';
import { constants } from '../../lib/index.js';
import { ANCHOR_MARK, netnsSupport } from '../../lib/lab/netns.js';
import { peerCrash, type PeerCrashData } from '../../lib/lab/peer-crash.js';
import type { ExperimentResult } from '../../lib/lab/types.js';
import { childrenOf, snapshot, type Snapshot } from '../helpers/netns-leftovers.js';

const support = netnsSupport();
if (!support.ok) console.warn(`E27 peer-crash skipped: needs network namespaces: ${support.reason}`);

/** This process's child that holds the namespaces (its command line carries the anchor's mark). */
function anchorPid(): number | undefined {
  return childrenOf('self').find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(ANCHOR_MARK);
    } catch {
      return false;
    }
  });
}

describe.skipIf(!support.ok)('E27 peer-crash', () => {
  let before: Snapshot;
  let result: ExperimentResult<PeerCrashData>;

  beforeAll(async () => {
    before = snapshot();
    result = await peerCrash.run();
  }, 20_000);

  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.data.unavailable).toBeNull();
  });

  it('(a) process killed: the client asleep in recvfrom gets 0 (FIN) at once', () => {
    const a = result.data.processCrash!;
    expect(a.asleep).toMatch(/^S in recvfrom\(fd \d+\)$/);
    expect(a.recv).toBe(0);
    expect(a.afterKillMs).toBeLessThan(1000);
  });

  it('(b) host gone: poll sees no event for its whole budget, the connection stays ESTABLISHED', () => {
    const b = result.data.hostGone!;
    expect(b.poll).toBe(0);
    expect(b.revents).toBe(0);
    expect(b.elapsedMs).toBeGreaterThanOrEqual(b.quietMs - 10);
    expect(b.state).toBe('ESTABLISHED');
  });

  it('(c) host rebooted: no server socket left; send ok, then RST: POLLERR, ECONNRESET, EPIPE', () => {
    const r = result.data.reboot!;
    expect(r.serverSockets).toEqual([]);
    expect(r.send1).toBe(5);
    expect(r.poll).toBe(1);
    expect(r.revents & constants.POLLERR!).toBe(constants.POLLERR!);
    expect([r.send2, r.send3]).toEqual([-constants.ECONNRESET!, -constants.EPIPE!]);
    expect(r.state).toBe('CLOSE');
  });

  it('the example narrates the real outcomes', () => {
    const text = narrate(result);
    expect(text).toContain('send → ECONNRESET');
    expect(text).toContain('send → EPIPE');
    expect(text).toContain('ss finds no socket on the port');
  });

  it('leaves nothing: no namespace, no link, no child process', () => {
    expect(snapshot()).toEqual(before);
  });

  it('forced failure: the namespace anchor SIGKILLed while the host is gone — the run fails, nothing left', async () => {
    let killed: number | undefined;
    const run = peerCrash.run({
      progress: (m) => {
        if (m.startsWith('(b)')) {
          killed = anchorPid();
          if (killed !== undefined) process.kill(killed, 'SIGKILL');
        }
      },
    });
    // The next step that needs the anchor fails: its nsenter into the anchor finds it gone ("cannot
    // open /proc/PID/ns/net" here; what nsenter says of a process dying meanwhile may differ).
    await expect(run).rejects.toThrow(/^nsenter -t \d+ .*: nsenter: /);
    expect(killed).toBeGreaterThan(0);
    expect(snapshot()).toEqual(before);
  }, 20_000);

  it('aborted during (a), the client asleep in recv: nothing left', async () => {
    const controller = new AbortController();
    const run = peerCrash.run({
      signal: controller.signal,
      progress: (m) => m.startsWith('(a)') && controller.abort(new Error('test abort')),
    });
    await expect(run).rejects.toThrow(/test abort/);
    expect(snapshot()).toEqual(before);
  }, 20_000);
});
