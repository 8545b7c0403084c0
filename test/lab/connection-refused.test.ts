// E11 connection-refused: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/11-connection-refused.js';
import { constants } from '../../lib/index.js';
import {
  connectionRefused,
  synAndReset,
  type ConnectionRefusedData,
  type RefusedAttempt,
} from '../../lib/lab/connection-refused.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<ConnectionRefusedData>;

beforeAll(async () => {
  result = await connectionRefused.run();
}, 20_000);

function attempt(kind: RefusedAttempt['kind']): RefusedAttempt {
  const found = result.data.attempts.find((a) => a.kind === kind);
  if (!found) throw new Error(`no ${kind} attempt`);
  return found;
}

describe('E11 connection-refused', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('blocking: -ECONNREFUSED', () => {
    expect(attempt('blocking').connect).toBe(-constants.ECONNREFUSED!);
  });

  it('nonblocking: EINPROGRESS then POLLOUT|POLLERR and SO_ERROR ECONNREFUSED, or ECONNREFUSED at once', () => {
    const a = attempt('nonblocking');
    expect([-constants.EINPROGRESS!, -constants.ECONNREFUSED!]).toContain(a.connect);
    if (a.connect === -constants.EINPROGRESS!) {
      expect(a.soError).toBe(constants.ECONNREFUSED);
      expect(a.revents! & (constants.POLLOUT | constants.POLLERR)).toBe(constants.POLLOUT | constants.POLLERR);
    }
  });

  it('TCP_INFO of the failed nonblocking socket: CLOSE, one segment out, exactly one in, no retransmission', () => {
    const { info } = attempt('nonblocking');
    expect(info.state).toBe('CLOSE');
    expect(info.segsOut).toBe(1);
    expect(info.segsIn).toBe(1);
    expect(info.totalRetrans).toBe(0);
  });

  it('the answer came far sooner than an unanswered SYN would be resent', () => {
    const rto = attempt('nonblocking').info.rtoMs;
    for (const a of result.data.attempts) expect(a.ms).toBeLessThan(rto / 10);
  });

  it('the namespace counters rose by at least one RST and one failed attempt per connect', () => {
    expect(result.data.counters.outRsts).toBeGreaterThanOrEqual(result.data.attempts.length);
    expect(result.data.counters.attemptFails).toBeGreaterThanOrEqual(result.data.attempts.length);
  });

  it.runIf(isRoot)(
    'as root, the raw socket shows each SYN answered by RST|ACK from the closed port (ack = seq + 1)',
    () => {
      expect(result.data.captureUnavailable).toBeNull();
      for (const a of result.data.attempts) {
        const { syn, rst } = synAndReset(a);
        expect(syn?.destinationPort).toBe(result.data.port.port);
        expect(rst?.sourcePort).toBe(result.data.port.port);
        expect(rst?.flags).toEqual(['RST', 'ACK']);
        expect(rst?.ack).toBe((syn!.seq + 1) % 2 ** 32);
      }
    },
  );
  if (!isRoot) console.warn('E11: raw-socket assertions skipped: a raw socket needs CAP_NET_RAW (root)');

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const a = attempt('nonblocking');
    expect(text).toContain(`Port ${result.data.port.port}`);
    expect(text).toContain(`segs_out ${a.info.segsOut}, segs_in ${a.info.segsIn}`);
    expect(text).toContain(`${-constants.ECONNREFUSED!} (ECONNREFUSED)`);
    if (result.data.captureUnavailable === null) expect(text).toContain('RST|ACK');
    else expect(text).toContain('not shown');
  });
});
