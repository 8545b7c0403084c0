// E02 nonblocking-send: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/02-nonblocking-send.js';
import { constants } from '../../lib/constants.js';
import { nonblockingSend, type NonBlockingSendData } from '../../lib/lab/nonblocking-send.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<NonBlockingSendData>;

beforeAll(async () => {
  result = await nonblockingSend.run();
}, 30_000);

describe('E02 nonblocking-send', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('fcntl after connect set O_NONBLOCK (read back with F_GETFL)', () => {
    const { flagsBefore, flagsAfter } = result.data;
    expect(flagsBefore.flags & constants.O_NONBLOCK!).toBe(0);
    expect(flagsAfter.flags & constants.O_NONBLOCK!).toBe(constants.O_NONBLOCK);
    expect(flagsAfter.flags & ~constants.O_NONBLOCK!).toBe(flagsBefore.flags);
  });

  it('once full, send returns exactly -EAGAIN, which is EWOULDBLOCK', () => {
    const { fill } = result.data;
    expect(fill.error.returned).toBe(-constants.EAGAIN!);
    expect(fill.error.code).toBe('EAGAIN');
    expect(constants.EWOULDBLOCK).toBe(constants.EAGAIN);
    expect(fill.accepted).toBeGreaterThan(0);
    expect(fill.sends).toBeGreaterThan(0);
  });

  it('at rest, Send-Q + Recv-Q == bytes accepted, exactly (after the fill and when really full)', () => {
    const { afterFill, full } = result.data;
    expect(afterFill.sendQ + afterFill.recvQ).toBe(afterFill.accepted);
    expect(full.sendQ + full.recvQ).toBe(full.accepted);
    expect(full.accepted).toBe(afterFill.accepted + result.data.topUps.reduce((a, b) => a + b, 0));
    expect(result.data.topUps.at(-1)).toBe(0);
  });

  it('while full every further send gives -EAGAIN without blocking, also as a SocketError', () => {
    const { repeated, socketError, slowestCallMs, guardMs } = result.data;
    expect(repeated.eagain).toBe(repeated.tries);
    expect(socketError).toEqual({ code: 'EAGAIN', errno: -constants.EAGAIN! });
    // A send that blocked would have lasted the SO_SNDTIMEO guard; every call was far quicker.
    expect(slowestCallMs).toBeLessThan(500);
    expect(guardMs).toBeGreaterThan(500);
  });

  it('after the server drains, the client is writable and send succeeds again', () => {
    const { drain } = result.data;
    expect(drain.drained).toBe(drain.accepted);
    expect(drain.pollRevents & constants.POLLOUT!).toBe(constants.POLLOUT);
    expect(drain.sendAfter).toBe('helloworld'.length);
  });

  it('a send larger than both buffers gives short counts, then -EAGAIN', () => {
    const { chunk, returns } = result.data.large;
    expect(chunk).toBeGreaterThan(result.data.sndbuf + result.data.rcvbuf);
    expect(returns.at(-1)).toBe(-constants.EAGAIN!);
    const partial = returns.slice(0, -1);
    expect(partial.length).toBeGreaterThan(0);
    for (const n of partial) {
      expect(n).toBeGreaterThan(0);
      expect(n).toBeLessThan(chunk);
    }
  });

  it('in the end, accepted == Send-Q + Recv-Q + bytes read, exactly', () => {
    const { final } = result.data;
    expect(final.sendQ + final.recvQ + final.drained).toBe(final.accepted);
  });

  it('small buffers are read back doubled (set before connect/listen)', () => {
    expect(result.data.sndbuf).toBe(2 * 8192);
    expect(result.data.rcvbuf).toBe(2 * 10240);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const { fill, full, final, large } = result.data;
    expect(text).toContain(`${fill.accepted} bytes`);
    expect(text).toContain(`= ${full.accepted} bytes accepted`);
    expect(text).toContain(`accepted ${final.accepted} ==`);
    expect(text).toContain(String(large.returns[0]));
    expect(text).toContain('EAGAIN');
  });
});
