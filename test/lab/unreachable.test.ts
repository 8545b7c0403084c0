// E24 unreachable: the "must show" of shared/EXPERIMENTS.md, asserted on a real run in network
// namespaces — and that nothing of ours is left afterwards, also after an aborted run and after
// the parent process was killed with SIGTERM in the middle.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/24-unreachable.js';
import { constants } from '../../lib/index.js';
import { netnsSupport } from '../../lib/lab/netns.js';
import { waitFor } from '../../lib/lab/sample.js';
import type { ExperimentResult } from '../../lib/lab/types.js';
import { unreachable, type UnreachableData } from '../../lib/lab/unreachable.js';
import { alive, childrenOf, snapshot, type Snapshot } from '../helpers/netns-leftovers.js';

const support = netnsSupport();
if (!support.ok) console.warn(`E24 unreachable skipped: needs network namespaces: ${support.reason}`);

describe('E24 unreachable: namespaces are available where they must be', () => {
  const mustRun = process.getuid?.() === 0 || process.env.CI !== undefined;
  if (!mustRun) console.warn('E24: "must run here" check skipped: neither root nor CI, namespaces are optional');
  it.runIf(mustRun)('as root (and in CI) the experiment runs', () => {
    expect(support).toMatchObject({ ok: true });
  });
});

describe.skipIf(!support.ok)('E24 unreachable', () => {
  let before: Snapshot;
  let result: ExperimentResult<UnreachableData>;

  beforeAll(async () => {
    before = snapshot();
    result = await unreachable.run();
  }, 30_000);

  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.data.unavailable).toBeNull();
  });

  it('blocking connect: ENETUNREACH at once, EHOSTUNREACH after ARP, ETIMEDOUT after the SYNs, ECONNREFUSED at once', () => {
    const t = Object.fromEntries(result.data.targets.map((x) => [x.name, x]));
    expect(t.noRoute!.blocking.result).toBe(-constants.ENETUNREACH!);
    expect(t.absentHost!.blocking.result).toBe(-constants.EHOSTUNREACH!);
    expect(t.silentHost!.blocking.result).toBe(-constants.ETIMEDOUT!);
    expect(t.closedPort!.blocking.result).toBe(-constants.ECONNREFUSED!);
    // Relations, not this machine's numbers: the instant ones are far quicker than ARP's wait,
    // which is quicker than the SYN retransmissions (at least one initial RTO of 1 s each).
    expect(t.noRoute!.blocking.elapsedMs).toBeLessThan(100);
    expect(t.closedPort!.blocking.elapsedMs).toBeLessThan(100);
    const { mcastSolicit, retransTimeMs, synRetries } = result.data.tuning;
    expect(t.absentHost!.blocking.elapsedMs).toBeGreaterThanOrEqual(mcastSolicit * retransTimeMs * 0.9);
    expect(t.silentHost!.blocking.elapsedMs).toBeGreaterThanOrEqual((synRetries + 1) * 1000 * 0.9);
    expect(t.silentHost!.blocking.elapsedMs).toBeGreaterThan(t.absentHost!.blocking.elapsedMs);
  });

  it('nonblocking connect + poll bounds every wait; both exact paths are accepted for the quick failures', () => {
    const t = Object.fromEntries(result.data.targets.map((x) => [x.name, x]));
    for (const [name, errno] of [
      ['noRoute', constants.ENETUNREACH!],
      ['closedPort', constants.ECONNREFUSED!],
    ] as const) {
      const b = t[name]!.bounded;
      if (b.path === 'immediate') expect(b.connect).toBe(-errno);
      else {
        expect(b.path).toBe('so_error');
        expect(b.connect).toBe(-constants.EINPROGRESS!);
        expect(b.soError).toBe(errno);
        expect(b.revents! & constants.POLLOUT).toBe(constants.POLLOUT);
      }
    }
    for (const name of ['absentHost', 'silentHost']) {
      const b = t[name]!.bounded;
      expect(b.connect).toBe(-constants.EINPROGRESS!);
      expect(b.path).toBe('budget');
      expect(b.revents).toBe(0);
      expect(b.state).toBe('SYN_SENT');
      expect(b.elapsedMs).toBeGreaterThanOrEqual(result.data.budgetMs * 0.9);
      expect(b.elapsedMs).toBeLessThan(result.data.budgetMs + 100);
    }
  });

  it('the fast mode runs in seconds, not the kernel-default SYN timeout of ~127 s', () => {
    expect(result.data.slow).toBe(false);
    // A bound against the default, with room for a loaded CI machine under ASan.
    expect(result.durationMs).toBeLessThan(60_000);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain('EHOSTUNREACH');
    expect(text).toContain('10.200.1.7:80');
    expect(text).toContain(`tcp_syn_retries=${result.data.tuning.synRetries}`);
    expect(text).toContain('SYN_SENT');
  });

  it('leaves nothing: no namespace, no link, no child process', () => {
    expect(snapshot()).toEqual(before);
  });

  it('aborted mid-way through RunOptions.signal (during the blocking connect to the silent host): nothing left', async () => {
    const controller = new AbortController();
    let sawChildren: number[] = [];
    const run = unreachable.run({
      signal: controller.signal,
      progress: (m) => {
        if (m.startsWith('silentHost: blocking')) {
          sawChildren = childrenOf('self');
          controller.abort(new Error('test abort'));
        }
      },
    });
    await expect(run).rejects.toThrow(/test abort/);
    expect(sawChildren.length).toBeGreaterThanOrEqual(2); // the anchor and the client actor were there
    expect(snapshot()).toEqual(before);
  }, 20_000);

  it('the parent killed with SIGTERM mid-way: its anchor and actors die with it', async () => {
    const parent = spawn(process.execPath, ['--import', 'tsx', 'examples/24-unreachable.ts'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    parent.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // 'close': exited and its stderr pipe (a socket to libuv) is closed — the fd-leak check counts it.
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      parent.once('close', (_code, signal) => resolve(signal)),
    );
    try {
      await waitFor(
        () => stderr.includes('silentHost: blocking connect'),
        15_000,
        'the example to reach the silent host',
      );
      const descendants = childrenOf(parent.pid!);
      expect(descendants.length).toBeGreaterThanOrEqual(2); // the anchor and the client actor
      parent.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      await waitFor(() => descendants.every((pid) => !alive(pid)), 5000, 'the anchor and the actor to be gone');
    } finally {
      if (parent.exitCode === null && parent.signalCode === null) {
        parent.kill('SIGKILL');
        await exited;
      }
    }
    expect(snapshot().netns).toEqual(before.netns);
    expect(snapshot().links).toEqual(before.links);
  }, 30_000);
});
