// E04 nonblocking-recv: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/04-nonblocking-recv.js';
import { constants } from '../../lib/constants.js';
import { nonblockingRecv, type NonBlockingRecvData } from '../../lib/lab/nonblocking-recv.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<NonBlockingRecvData>;

beforeAll(async () => {
  result = await nonblockingRecv.run();
}, 30_000);

describe('E04 nonblocking-recv', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('the client was made nonblocking with fcntl after connect', () => {
    expect(result.data.flagsBefore.flags & constants.O_NONBLOCK!).toBe(0);
    expect(result.data.flagsAfter.flags & constants.O_NONBLOCK!).toBe(constants.O_NONBLOCK);
  });

  it('with no data, every recv returns -EAGAIN at once', () => {
    const { empty } = result.data;
    expect(empty.eagain).toBe(empty.tries);
    expect(empty.slowestMs).toBeLessThan(500);
  });

  it('once sent, recv returns the data; then -EAGAIN again', () => {
    const { data, message, drainedAgain, firstRecvAfterSend } = result.data;
    expect(data.returned).toBe(message.length);
    expect(data.text).toBe(message);
    // Either the data was already there on the first try, or that try said EAGAIN and poll
    // then reported POLLIN: exactly those two outcomes.
    if (firstRecvAfterSend.returned > 0) expect(firstRecvAfterSend.returned).toBe(message.length);
    else {
      expect(firstRecvAfterSend.returned).toBe(-constants.EAGAIN!);
      expect(result.data.pollInRevents & constants.POLLIN!).toBe(constants.POLLIN);
    }
    expect(drainedAgain.returned).toBe(-constants.EAGAIN!);
    expect(drainedAgain.code).toBe('EAGAIN');
  });

  it('after the peer closes, recv returns 0, and 0 again', () => {
    const { closed } = result.data;
    expect(closed.pollRevents & constants.POLLIN!).toBe(constants.POLLIN);
    expect(closed.first.returned).toBe(0);
    expect(closed.second.returned).toBe(0);
  });

  it('MSG_DONTWAIT on a blocking socket gives -EAGAIN and leaves the fd blocking', () => {
    const { dontwait } = result.data;
    expect(dontwait.call.returned).toBe(-constants.EAGAIN!);
    expect(dontwait.call.code).toBe('EAGAIN');
    expect(dontwait.flagsBefore.flags & constants.O_NONBLOCK!).toBe(0);
    expect(dontwait.flagsAfter.flags).toBe(dontwait.flagsBefore.flags);
    expect(dontwait.plainRecvWhere.state).toBe('S');
    expect(dontwait.plainRecvWhere.syscall?.name).toBe('recvfrom');
    expect(dontwait.plainRecvReturned).toBe(1);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain(`${result.data.empty.eagain} of ${result.data.empty.tries} recv calls returned -EAGAIN`);
    expect(text).toContain(`"${result.data.message}"`);
    expect(text).toContain('recv returned 0, then 0 again');
  });
});
