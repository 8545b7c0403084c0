// E12 peer-close: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { constants as os } from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/12-peer-close.js';
import { constants } from '../../lib/index.js';
import { peerClose, type PeerCloseData } from '../../lib/lab/peer-close.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<PeerCloseData>;

beforeAll(async () => {
  result = await peerClose.run();
}, 30_000);

describe('E12 peer-close', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('the peer process died of SIGKILL, so it never called close itself', () => {
    expect(result.data.child.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(result.data.sigkill).toBe(os.signals.SIGKILL);
  });

  it('right before the kill, the reader thread was asleep inside recvfrom on its fd', () => {
    const w = result.data.blocked.whereBeforeKill;
    expect(w.state).toBe('S');
    expect(w.syscall?.name).toBe('recvfrom');
    expect(w.syscall?.number).toBe(constants.SYS_recvfrom);
  });

  it.runIf(isRoot)('as root, its kernel stack goes through sk_wait_data', () => {
    expect(result.data.blocked.whereBeforeKill.stack).toContain('sk_wait_data');
  });
  if (!isRoot) console.warn('E12: kernel-stack assertion skipped: /proc/<tid>/stack is readable by root only');

  it('the blocked recv returned 0 (EOF, not an error) within a second of the kill', () => {
    expect(result.data.blocked.returned).toBe(0);
    expect(result.data.blocked.msAfterKill).toBeGreaterThanOrEqual(0);
    expect(result.data.blocked.msAfterKill).toBeLessThan(1000);
  });

  it('the idle side: the kernel moved it to CLOSE_WAIT by itself; its next recv returns 0', () => {
    const idle = result.data.idle;
    expect(idle.stateBefore).toBe('ESTABLISHED');
    expect(idle.stateAfterKill).toBe('CLOSE_WAIT');
    expect(idle.revents).toBe('POLLIN|POLLRDHUP');
    expect(idle.recv).toBe(0);
  });

  it('the sending side: send succeeds, the peer answers RST, recv 0, then send -EPIPE', () => {
    const s = result.data.sending;
    expect(s.stateAfterKill).toBe('CLOSE_WAIT');
    expect(s.firstSend).toBe('helloworld'.length);
    expect(s.stateAfterAnswer).toBe('CLOSE');
    expect(s.recv).toBe(0);
    expect(s.secondSend).toBe(-constants.EPIPE);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain(`pid ${result.data.child.pid}`);
    expect(text).toContain(`${result.data.blocked.msAfterKill.toFixed(2)} ms after kill`);
    expect(text).toContain(`signal ${os.signals.SIGKILL}`);
    expect(text).toContain(`EPIPE (${-constants.EPIPE})`);
  });
});
