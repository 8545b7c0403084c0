// E05 set-nonblocking: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/05-set-nonblocking.js';
import { constants } from '../../lib/constants.js';
import { setNonblocking, type SetNonBlockingData } from '../../lib/lab/set-nonblocking.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<SetNonBlockingData>;
const O_NONBLOCK = constants.O_NONBLOCK!;

beforeAll(async () => {
  result = await setNonblocking.run();
}, 30_000);

describe('E05 set-nonblocking', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('fcntl F_GETFL/F_SETFL sets O_NONBLOCK, and recv then gives -EAGAIN', () => {
    const { fcntl } = result.data;
    expect(fcntl.before!.flags & O_NONBLOCK).toBe(0);
    expect(fcntl.after.flags & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(fcntl.recv).toBe(-constants.EAGAIN!);
  });

  it('socket(SOCK_NONBLOCK) is born nonblocking; its connect gives 0 or -EINPROGRESS', () => {
    const s = result.data.socketFlag;
    expect(s.after.flags & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(s.recv).toBe(-constants.EAGAIN!);
    // Loopback allows exactly two outcomes: connected at once, or in progress and then
    // POLLOUT with SO_ERROR 0.
    expect([0, -constants.EINPROGRESS!]).toContain(s.connect);
    if (s.connect !== 0) {
      expect(s.pollRevents! & constants.POLLOUT!).toBe(constants.POLLOUT);
      expect(s.soError).toBe(0);
    }
  });

  it('ioctl(FIONBIO) sets O_NONBLOCK, and FIONBIO 0 clears it', () => {
    const { ioctl } = result.data;
    expect(ioctl.before!.flags & O_NONBLOCK).toBe(0);
    expect(ioctl.after.flags & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(ioctl.recv).toBe(-constants.EAGAIN!);
    expect(ioctl.cleared.flags).toBe(ioctl.before!.flags);
  });

  it('accept4(SOCK_NONBLOCK) sets O_NONBLOCK even from a blocking listener', () => {
    const { accept4 } = result.data;
    expect(accept4.listener.flags & O_NONBLOCK).toBe(0);
    expect(accept4.after.flags & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(accept4.recv).toBe(-constants.EAGAIN!);
  });

  it('accept() does not inherit O_NONBLOCK from a nonblocking listener', () => {
    const { accept } = result.data;
    expect(accept.listener.flags & O_NONBLOCK).toBe(O_NONBLOCK);
    expect(accept.emptyAccept).toBe(-constants.EAGAIN!);
    expect(accept.emptyAcceptCode).toBe('EAGAIN');
    expect(accept.accepted.flags & O_NONBLOCK).toBe(0);
    expect(accept.plainRecvWhere.state).toBe('S');
    expect(accept.plainRecvWhere.syscall?.name).toBe('recvfrom');
    expect(accept.plainRecvReturned).toBe(1);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const hex = (n: number) => `0x${n.toString(16)}`;
    expect(text).toContain(`O_NONBLOCK is ${hex(O_NONBLOCK)}`);
    expect(text).toContain(`had F_GETFL ${hex(result.data.accept.accepted.flags)} — blocking`);
    expect(text).toContain(hex(result.data.fcntl.after.flags));
  });
});
