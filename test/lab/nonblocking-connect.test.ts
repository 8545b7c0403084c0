// E07 nonblocking-connect: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/07-nonblocking-connect.js';
import { constants } from '../../lib/index.js';
import { nonblockingConnect, type NonblockingConnectData } from '../../lib/lab/nonblocking-connect.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<NonblockingConnectData>;

beforeAll(async () => {
  result = await nonblockingConnect.run();
}, 20_000);

describe('E07 nonblocking-connect', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('to a listener: -EINPROGRESS, then POLLOUT alone, SO_ERROR 0, ESTABLISHED', () => {
    const l = result.data.toListener;
    expect(l.connect).toBe(-constants.EINPROGRESS!);
    expect(l.revents & constants.POLLOUT).toBe(constants.POLLOUT);
    expect(l.revents & (constants.POLLERR | constants.POLLHUP)).toBe(0);
    expect(l.soError).toBe(0);
    expect(l.state).toBe('ESTABLISHED');
  });

  it('connect again after success: 0 first, then -EISCONN; a blocking socket gives -EISCONN at once', () => {
    const l = result.data.toListener;
    expect(l.secondConnect).toBe(0);
    expect(l.thirdConnect).toBe(-constants.EISCONN!);
    expect(l.blocking.connect).toBe(0);
    expect(l.blocking.secondConnect).toBe(-constants.EISCONN!);
  });

  it('to a closed port: EINPROGRESS then POLLOUT|POLLERR|POLLHUP and SO_ERROR ECONNREFUSED, or ECONNREFUSED at once', () => {
    const f = result.data.toClosedPort;
    expect([-constants.EINPROGRESS!, -constants.ECONNREFUSED!]).toContain(f.connect);
    if (f.connect === -constants.EINPROGRESS!) {
      const all = constants.POLLOUT | constants.POLLERR | constants.POLLHUP;
      expect(f.revents! & all).toBe(all);
      expect(f.soError).toBe(constants.ECONNREFUSED);
      expect(f.soErrorAgain).toBe(0);
    } else {
      expect(f.revents).toBeNull();
    }
    expect(f.state).toBe('CLOSE');
  });

  it('with the SYN unanswered (accept queue full): EINPROGRESS, SYN_SENT, then -EALREADY; not writable', () => {
    const u = result.data.unanswered;
    expect(u.queue.length).toBe(u.backlog + 1);
    expect(u.connect).toBe(-constants.EINPROGRESS!);
    expect(u.state).toBe('SYN_SENT');
    expect(u.secondConnect).toBe(-constants.EALREADY!);
    expect(u.revents).toBe(0);
    expect(u.soError).toBe(0);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const f = result.data.toClosedPort;
    if (f.revents !== null) {
      expect(text).toContain(`revents ${f.revents}`);
      expect(text).toContain('POLLOUT|POLLERR|POLLHUP');
    }
    expect(text).toContain(`:${f.address.port}`);
    expect(text).toContain('EALREADY');
    expect(text).toContain('0, then EISCONN');
  });
});
