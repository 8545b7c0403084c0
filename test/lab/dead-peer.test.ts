// E26 dead-peer: the "must show" of shared/EXPERIMENTS.md, asserted on a real run in network
// namespaces — and that nothing of ours is left afterwards, also after a run aborted while both
// clients were asleep in recv.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/26-dead-peer.js';
import { constants } from '../../lib/index.js';
import { deadPeer, type DeadPeerData, type IdleClient } from '../../lib/lab/dead-peer.js';
import { netnsSupport } from '../../lib/lab/netns.js';
import type { ExperimentResult } from '../../lib/lab/types.js';
import { childrenOf, snapshot, type Snapshot } from '../helpers/netns-leftovers.js';

const support = netnsSupport();
if (!support.ok) console.warn(`E26 dead-peer skipped: needs network namespaces: ${support.reason}`);

describe.skipIf(!support.ok)('E26 dead-peer', () => {
  let before: Snapshot;
  let result: ExperimentResult<DeadPeerData>;
  let plain: IdleClient;
  let kept: IdleClient;

  beforeAll(async () => {
    before = snapshot();
    result = await deadPeer.run();
    plain = result.data.clients.find((x) => x.name === 'plain')!;
    kept = result.data.clients.find((x) => x.name === 'keepalive')!;
  }, 30_000);

  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.data.unavailable).toBeNull();
  });

  it('the keepalive options read back as set: SO_KEEPALIVE 1, 1/1/3', () => {
    expect(result.data.keepalive).toEqual({ idle: 1, intvl: 1, cnt: 3 });
    expect(kept.options).toEqual({ keepalive: 1, idle: 1, intvl: 1, cnt: 3 });
    expect(plain.options.keepalive).toBe(0);
  });

  it('both clients were asleep inside recvfrom on the dead connection', () => {
    expect(plain.asleep).toMatch(/^S in recvfrom\(fd \d+\)$/);
    expect(kept.asleep).toMatch(/^S in recvfrom\(fd \d+\)$/);
  });

  it('with keepalive: ETIMEDOUT no sooner than idle + intvl × cnt after connect, and not much later after the cut', () => {
    const { idle, intvl, cnt } = result.data.keepalive;
    const verdictMs = (idle + intvl * cnt) * 1000;
    expect(result.data.verdictMs).toBe(verdictMs);
    expect(kept.recv).toBe(-constants.ETIMEDOUT!);
    expect(kept.sinceConnectMs).toBeGreaterThanOrEqual(verdictMs - 50);
    expect(kept.sinceCutMs).toBeLessThanOrEqual(verdictMs + 1000);
    expect(kept.state).toBe('CLOSE');
    expect(kept.recvAgain).toBe(0);
  });

  it('without keepalive: only our budget ended the recv (EAGAIN), after the keepalive verdict; still ESTABLISHED', () => {
    expect(plain.recv).toBe(-constants.EAGAIN!);
    expect(plain.rcvTimeoutMs).toBeGreaterThan(result.data.verdictMs);
    expect(plain.sinceConnectMs).toBeGreaterThanOrEqual(plain.rcvTimeoutMs - 50);
    expect(plain.sinceCutMs).toBeGreaterThan(kept.sinceCutMs);
    expect(plain.state).toBe('ESTABLISHED');
    expect(plain.probes).toBe(0);
    expect(plain.recvAgain).toBe(-constants.EAGAIN!);
  });

  it('the fast mode runs in seconds, not the kernel-default keepalive of over two hours', () => {
    expect(result.data.slow).toBe(false);
    // A bound against the default (7200 s + 9 × 75 s), with room for a loaded CI machine under ASan.
    expect(result.durationMs).toBeLessThan(60_000);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain('TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 3');
    expect(text).toContain('the blocked recv returned ETIMEDOUT');
    expect(text).toContain('is still ESTABLISHED (tcpi_probes 0)');
  });

  it('leaves nothing: no namespace, no link, no child process', () => {
    expect(snapshot()).toEqual(before);
  });

  it('aborted while both clients sleep in recv on the dead connection: nothing left', async () => {
    const controller = new AbortController();
    let sawChildren: number[] = [];
    const run = deadPeer.run({
      signal: controller.signal,
      progress: (m) => {
        if (m.startsWith('both clients asleep')) {
          sawChildren = childrenOf('self');
          controller.abort(new Error('test abort'));
        }
      },
    });
    await expect(run).rejects.toThrow(/test abort/);
    expect(sawChildren.length).toBeGreaterThanOrEqual(4); // the anchor, the server, two clients
    expect(snapshot()).toEqual(before);
  }, 20_000);
});
