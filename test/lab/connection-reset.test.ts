// E14 connection-reset: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/14-connection-reset.js';
import { constants } from '../../lib/index.js';
import { connectionReset, type ConnectionResetData } from '../../lib/lab/connection-reset.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<ConnectionResetData>;

beforeAll(async () => {
  result = await connectionReset.run();
}, 30_000);

describe('E14 connection-reset', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('SO_LINGER {on, 0} reads back as set', () => {
    expect(result.data.linger.linger).toEqual({ onoff: true, linger: 0 });
  });

  it('the reader thread was asleep in recvfrom when the RST came', () => {
    const w = result.data.linger.where;
    expect(w.state).toBe('S');
    expect(w.syscall?.name).toBe('recvfrom');
  });

  it.runIf(isRoot)('as root, its kernel stack goes through sk_wait_data', () => {
    expect(result.data.linger.where.stack).toContain('sk_wait_data');
  });
  if (!isRoot) console.warn('E14: kernel-stack assertion skipped: /proc/<tid>/stack is readable by root only');

  it('linger 0 close: recv -ECONNRESET, then 0, then send -EPIPE', () => {
    const l = result.data.linger;
    expect(l.blockedRecv).toBe(-constants.ECONNRESET);
    expect(l.secondRecv).toBe(0);
    expect(l.send).toBe(-constants.EPIPE);
    expect(l.state).toBe('CLOSE');
    expect(l.ownRecvAfterClose).toBe('EBADF');
  });

  it('close with unread data resets too: the peer goes to CLOSE and recv gives -ECONNRESET, then 0, then send -EPIPE', () => {
    const u = result.data.unreadData;
    expect(u.unread).toBe('helloworld'.length);
    expect(u.state).toBe('CLOSE');
    expect(u.revents).toBe('POLLIN|POLLERR|POLLHUP');
    expect(u.recvFirst).toEqual({ recv: -constants.ECONNRESET, recvAgain: 0, send: -constants.EPIPE });
  });

  it('a send that comes first gets -ECONNRESET instead, and recv then 0', () => {
    expect(result.data.unreadData.sendFirst).toEqual({ send: -constants.ECONNRESET, recv: 0 });
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain(`${result.data.linger.msAfterClose.toFixed(2)} ms after close(2)`);
    expect(text).toContain(`ECONNRESET (${-constants.ECONNRESET})`);
    expect(text).toContain(`close() with ${result.data.unreadData.unread} bytes still unread`);
  });
});
