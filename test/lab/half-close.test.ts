// E15 half-close: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/15-half-close.js';
import { constants } from '../../lib/index.js';
import { halfClose, type HalfCloseData } from '../../lib/lab/half-close.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<HalfCloseData>;

beforeAll(async () => {
  result = await halfClose.run();
}, 30_000);

describe('E15 half-close', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('before the shutdown the server had read everything and slept in recvfrom', () => {
    const d = result.data;
    expect(d.serverRecvQBeforeShutdown).toBe(0);
    expect(d.whereBeforeShutdown.state).toBe('S');
    expect(d.whereBeforeShutdown.syscall?.name).toBe('recvfrom');
  });

  it.runIf(isRoot)('as root, its kernel stack goes through sk_wait_data', () => {
    expect(result.data.whereBeforeShutdown.stack).toContain('sk_wait_data');
  });
  if (!isRoot) console.warn('E15: kernel-stack assertion skipped: /proc/<tid>/stack is readable by root only');

  it('the peer reads the data, then 0: its recv results sum to the request and end with 0', () => {
    const reads = result.data.serverReads;
    expect(reads.at(-1)).toBe(0);
    expect(reads.slice(0, -1).every((n) => n > 0)).toBe(true);
    expect(reads.reduce((a, b) => a + b, 0)).toBe(result.data.request.length);
  });

  it('half-closed: client FIN_WAIT2, server CLOSE_WAIT with POLLIN|POLLRDHUP', () => {
    expect(result.data.states.afterClientShutWr).toEqual({ client: 'FIN_WAIT2', server: 'CLOSE_WAIT' });
    expect(result.data.serverRevents).toBe('POLLIN|POLLRDHUP');
  });

  it('our own send after SHUT_WR gives -EPIPE', () => {
    expect(result.data.ownSendAfterShutWr).toBe(-constants.EPIPE);
  });

  it('the peer can still send back: the client reads the whole answer, then 0', () => {
    const d = result.data;
    expect(d.reply).toBe('three\ntwo\none\n');
    expect(d.replySent).toBe(d.reply.length);
    expect(d.clientReads.at(-1)).toBe(0);
    expect(d.clientReads.reduce((a, b) => a + b, 0)).toBe(d.reply.length);
  });

  it('at the end both fds are CLOSE and the kernel keeps the client side in TIME_WAIT', () => {
    expect(result.data.states.end).toEqual({ client: 'CLOSE', server: 'CLOSE', kernel: ['TIME_WAIT'] });
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain(`${result.data.request.length} bytes`);
    expect(text).toContain(`EPIPE (${-constants.EPIPE})`);
    expect(text).toContain(JSON.stringify(result.data.reply));
  });
});
