// How async waits end other than by readiness — timeout (ETIMEDOUT), abort (the signal's
// reason), close (ECANCELED), release — and the poll handle's lifecycle: stopped and closed
// before close(2) (checked in the kernel's own epoll tables), freed in libuv's close callback,
// one handle per fd, never armed for a blocking socket. Also the native poller's own contract.
import { readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { addon } from '../lib/native.js';
import { Poller, Socket, SocketError, constant, constants as c, pollHandleCount, sys } from '../lib/index.js';
import { loopTurn, rejection, turnsUntil } from './helpers/async.js';
import { epollRegistrations } from './helpers/epoll.js';
import { listener, Sockets } from './helpers/peers.js';
import { WAIT_MS, expectCode, nonBlockingFlag, nonBlockingPair } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

const POLLIN = constant('POLLIN');

/** An idle nonblocking AF_UNIX stream pair (nothing arrives unless the test sends it). */
function idlePair(): [Socket, Socket] {
  const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!);
  return [sockets.add(a), sockets.add(b)];
}

/** The socket inode behind `fd`, from /proc/self/fd. */
function inodeOf(fd: number): number {
  const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
  if (!match) throw new Error(`fd ${fd} is not a socket`);
  return Number(match[1]);
}

describe('timeout', () => {
  it('rejects with SocketError ETIMEDOUT, and the handle is stopped', async () => {
    const [a] = idlePair();
    const started = performance.now();
    const err = (await rejection(a.readable({ timeout: 30 }))) as SocketError;
    expectCode(err, 'ETIMEDOUT', 'poll');
    expect(err.message).toMatch(/no POLLIN within 30 ms \(a timer of this library/);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    // Still usable: data now resolves a new wait.
    const [x, y] = idlePair();
    const waiting = y.readable({ timeout: WAIT_MS });
    x.send('!');
    expect((await waiting) & POLLIN).toBe(POLLIN);
  });

  it('a helper reports its own syscall and the caller timeout', async () => {
    const [a] = idlePair();
    const err = (await rejection(a.recvSome(Buffer.alloc(4), { timeout: 20 }))) as SocketError;
    expectCode(err, 'ETIMEDOUT', 'recv');
    expect(err.message).toContain('within 20 ms');
    const { socket: server } = listener(sockets, { nonBlocking: true });
    expectCode((await rejection(server.acceptAsync({ timeout: 20 }))) as SocketError, 'ETIMEDOUT', 'accept4');
  });

  it('leaves the poller idle (armed with nothing) once its only wait timed out', async () => {
    const [a] = idlePair();
    const poller = new Poller(a.fd);
    try {
      const waiting = poller.wait(POLLIN, { timeout: 20 });
      expect(poller.armed).toBe(POLLIN);
      expectCode((await rejection(waiting)) as SocketError, 'ETIMEDOUT');
      expect(poller.armed).toBe(0);
      expect(poller.handleState).toBe('idle');
    } finally {
      poller.close();
    }
  });

  it('timeout 0 looks once with poll(2) and opens no handle', async () => {
    const [a, b] = idlePair();
    const before = pollHandleCount();
    expectCode((await rejection(a.readable({ timeout: 0 }))) as SocketError, 'ETIMEDOUT', 'poll');
    b.send('x');
    expect((await a.readable({ timeout: 0 })) & POLLIN).toBe(POLLIN);
    expect(pollHandleCount()).toBe(before);
  });
});

describe('abort', () => {
  it('rejects with the signal reason itself, and the handle is stopped', async () => {
    const [a] = idlePair();
    const poller = new Poller(a.fd);
    try {
      const controller = new AbortController();
      const reason = { why: 'caller gave up' };
      const waiting = poller.wait(POLLIN, { signal: controller.signal });
      controller.abort(reason);
      expect(await rejection(waiting)).toBe(reason);
      expect(poller.armed).toBe(0);
    } finally {
      poller.close();
    }
  });

  it('rejects a helper with the default reason (an AbortError DOMException) when none is given', async () => {
    const [a] = idlePair();
    const controller = new AbortController();
    const waiting = a.recvSome(Buffer.alloc(4), { signal: controller.signal, timeout: WAIT_MS });
    controller.abort();
    const err = (await rejection(waiting)) as DOMException;
    expect(err).toBe(controller.signal.reason);
    expect(err.name).toBe('AbortError');
  });

  it('an already aborted signal rejects at once, without a handle', async () => {
    const [a] = idlePair();
    const before = pollHandleCount();
    const reason = new Error('too late');
    expect(await rejection(a.readable({ signal: AbortSignal.abort(reason) }))).toBe(reason);
    expect(pollHandleCount()).toBe(before);
  });

  it('timeout and abort are distinct: the first to come wins, the other is disarmed', async () => {
    const [a] = idlePair();
    const controller = new AbortController();
    const err = (await rejection(a.readable({ timeout: 10, signal: controller.signal }))) as SocketError;
    expectCode(err, 'ETIMEDOUT', 'poll');
    controller.abort(new Error('after the timeout: nobody listens any more'));
  });
});

describe('close while waiting', () => {
  it('rejects every pending wait with ECANCELED (each naming its syscall); later calls get EBADF', async () => {
    const [client, server] = nonBlockingPair(sockets);
    client.setOption('SO_SNDBUF', 4096);
    const readable = client.readable();
    const receiving = client.recvSome(Buffer.alloc(16));
    // Fill the send buffer so that a sendAll is left waiting for POLLOUT.
    const sending = client.sendAll(Buffer.alloc(8 * 1024 * 1024));
    await loopTurn();
    client.close();
    const errors = (await Promise.all([readable, receiving, sending].map(rejection))) as SocketError[];
    errors.forEach((e) => expect(e).toBeInstanceOf(SocketError));
    expect(errors.map((e) => [e.code, e.syscall])).toEqual([
      ['ECANCELED', 'poll'],
      ['ECANCELED', 'recv'],
      ['ECANCELED', 'send'],
    ]);
    expect(errors[0]!.errno).toBe(-constant('ECANCELED'));
    expect(errors[0]!.message).toMatch(/the socket was closed while waiting/);
    expectCode((await rejection(client.readable())) as SocketError, 'EBADF', 'poll');
    expectCode((await rejection(client.recvSome(Buffer.alloc(1)))) as SocketError, 'EBADF', 'recv');
    expect(server.closed).toBe(false);
  });

  it('the poll handle leaves epoll before close(2): no registration survives, even with a dup of the fd open', async () => {
    const [a] = idlePair();
    // A dup keeps the open file alive after close(2). Had close(2) come first, the handle's
    // EPOLL_CTL_DEL by fd number would fail (EBADF) and the registration would outlive the fd.
    const dup = sockets.add(Socket.fromFd(a.fcntl(c.F_DUPFD_CLOEXEC!, 0)));
    const fd = a.fd;
    const inode = inodeOf(fd);
    const waiting = a.readable();
    await loopTurn(); // libuv makes its epoll_ctl(ADD) in the next poll phase
    expect(epollRegistrations({ fd, inode })).toHaveLength(1);
    const handles = pollHandleCount();
    a.close();
    expect(epollRegistrations({ fd, inode })).toEqual([]);
    expect(() => readlinkSync(`/proc/self/fd/${fd}`)).toThrow(); // the fd itself is closed
    expectCode((await rejection(waiting)) as SocketError, 'ECANCELED', 'poll');
    // The handle was closed (uv_close) but is freed only in its close callback, a loop phase later.
    expect(await turnsUntil(() => pollHandleCount() === handles - 1)).toBe(true);
    expect(dup.closed).toBe(false);
  });

  it('control: the check above sees the stale registration when close(2) runs before the handle is closed', async () => {
    const [a] = idlePair();
    const dup = sockets.add(Socket.fromFd(a.fcntl(c.F_DUPFD_CLOEXEC!, 0)));
    const fd = a.release(); // this test closes fd itself, in the wrong order
    const inode = inodeOf(fd);
    const poller = new Poller(fd);
    const waiting = poller.wait(POLLIN);
    await loopTurn();
    expect(sys.close(fd)).toBe(0); // wrong order: the fd goes while the handle still watches it
    poller.close(); // EPOLL_CTL_DEL(fd) now fails: the fd number is gone
    expect(epollRegistrations({ fd, inode })).toHaveLength(1);
    dup.close(); // the last reference to the file: the kernel drops the registration itself
    expect(epollRegistrations({ fd, inode })).toEqual([]);
    expectCode((await rejection(waiting)) as SocketError, 'ECANCELED');
  });

  it('close from inside a wake-up is fine (the handle closes within its own callback)', async () => {
    const [a, b] = idlePair();
    const waiting = a.readable().then((revents) => {
      a.close();
      return revents;
    });
    b.send('x');
    expect((await waiting) & POLLIN).toBe(POLLIN);
    expect(a.closed).toBe(true);
  });

  it('release() detaches the poller too: waits reject with ECANCELED, the fd stays open and unwatched', async () => {
    const [a] = idlePair();
    const waiting = a.readable();
    await loopTurn();
    const inode = inodeOf(a.fd);
    const fd = a.release();
    const err = (await rejection(waiting)) as SocketError;
    expectCode(err, 'ECANCELED', 'poll');
    expect(err.message).toMatch(/released/);
    expect(epollRegistrations({ fd, inode })).toEqual([]);
    // The new owner can watch it on the same loop at once.
    const owner = sockets.add(Socket.fromFd(fd));
    expectCode((await rejection(owner.readable({ timeout: 10 }))) as SocketError, 'ETIMEDOUT');
  });
});

describe('blocking sockets and bad arguments', () => {
  it('a blocking socket is refused with a TypeError (ERR_SOCKET_BLOCKING) and left blocking', async () => {
    const [a] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!).map((s) => sockets.add(s));
    const before = pollHandleCount();
    for (const call of [() => a!.readable(), () => a!.recvSome(Buffer.alloc(1)), () => a!.sendAll('x')]) {
      const err = (await rejection(call())) as TypeError & { code?: string };
      expect(err).toBeInstanceOf(TypeError);
      expect(err.code).toBe('ERR_SOCKET_BLOCKING');
    }
    expect(nonBlockingFlag(a!)).toBe(false);
    expect(pollHandleCount()).toBe(before);
    // A blocking connect would block the thread: refused before connect(2) is made.
    const client = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    const { address } = listener(sockets);
    expect(((await rejection(client.connectAsync(address))) as { code?: string }).code).toBe('ERR_SOCKET_BLOCKING');
    expect(() => client.getpeername()).toThrow(SocketError); // ENOTCONN: no connect happened
  });

  it('bad options are programmer errors (TypeError / RangeError), before any wait', async () => {
    const [a] = idlePair();
    const codeOf = async (p: Promise<unknown>) => ((await rejection(p)) as { code?: string }).code;
    expect(await codeOf(a.readable({ timeout: -1 }))).toBe('ERR_OUT_OF_RANGE');
    expect(await codeOf(a.readable({ timeout: NaN }))).toBe('ERR_OUT_OF_RANGE');
    expect(await codeOf(a.readable({ timeout: 2 ** 31 }))).toBe('ERR_OUT_OF_RANGE');
    expect(await codeOf(a.readable({ timeout: '5' as unknown as number }))).toBe('ERR_INVALID_ARG_TYPE');
    expect(await codeOf(a.readable({ signal: {} as AbortSignal }))).toBe('ERR_INVALID_ARG_TYPE');
    const poller = new Poller(a.fd);
    try {
      expect(await codeOf(poller.wait(0))).toBe('ERR_OUT_OF_RANGE');
      expect(await codeOf(poller.wait(c.POLLERR!))).toBe('ERR_OUT_OF_RANGE');
    } finally {
      poller.close();
    }
  });

  it('a second handle for the same fd on this loop is refused with EEXIST (one handle per fd)', async () => {
    const [a] = idlePair();
    const first = a.readable();
    const second = new Poller(a.fd);
    try {
      expectCode((await rejection(second.wait(POLLIN))) as SocketError, 'EEXIST', 'uv_poll_init');
    } finally {
      second.close();
    }
    a.close();
    expectCode((await rejection(first)) as SocketError, 'ECANCELED');
  });

  it('unref() / ref() / hasRef() need no syscall and work before and after the handle exists', async () => {
    const [a, b] = idlePair();
    expect(a.unref().hasRef()).toBe(false);
    const waiting = a.readable({ timeout: WAIT_MS });
    expect(a.ref().hasRef()).toBe(true);
    b.send('x');
    expect((await waiting) & POLLIN).toBe(POLLIN);
  });
});

describe('native poller (pollerOpen)', () => {
  it('goes idle → active → idle → closing → closed; freed only in the close callback', async () => {
    // Handles of earlier tests (closed in afterEach) are freed within a few loop turns.
    expect(await turnsUntil(() => pollHandleCount() === 0)).toBe(true);
    const [a, b] = idlePair();
    const events: [number, number][] = [];
    const handle = addon.pollerOpen(a.fd, (status, revents) => events.push([status, revents]));
    if (typeof handle === 'number') throw new Error(`pollerOpen failed: ${handle}`);
    const count = pollHandleCount();
    expect(count).toBe(1);
    expect([handle.state, handle.fd, handle.events, handle.error, handle.hasRef()]).toEqual(['idle', a.fd, 0, 0, true]);
    expect(handle.start(POLLIN)).toBe(0);
    expect([handle.state, handle.events]).toEqual(['active', POLLIN]);
    b.send('x');
    expect(await turnsUntil(() => events.length > 0)).toBe(true);
    expect(events[0]![0]).toBe(0);
    expect(events[0]![1] & POLLIN).toBe(POLLIN);
    expect(handle.stop()).toBe(0);
    expect(handle.state).toBe('idle');
    handle.close();
    handle.close(); // idempotent
    expect(handle.state).toBe('closing');
    expect(handle.start(POLLIN)).toBe(-constant('EBADF'));
    expect(handle.stop()).toBe(-constant('EBADF'));
    expect(pollHandleCount()).toBe(count);
    expect(await turnsUntil(() => handle.state === 'closed')).toBe(true);
    expect(pollHandleCount()).toBe(count - 1);
  });

  it('validates its arguments before any libuv call', () => {
    const [a] = idlePair();
    expect(() => addon.pollerOpen(-1, () => {})).toThrow(RangeError);
    expect(() => addon.pollerOpen(1.5, () => {})).toThrow(RangeError);
    expect(() => addon.pollerOpen('3' as unknown as number, () => {})).toThrow(TypeError);
    expect(() => addon.pollerOpen(a.fd, null as unknown as () => void)).toThrow(TypeError);
    const handle = addon.pollerOpen(a.fd, () => {});
    if (typeof handle === 'number') throw new Error(`pollerOpen failed: ${handle}`);
    try {
      expect(() => handle.start(0)).toThrow(RangeError);
      expect(() => handle.start(c.POLLHUP!)).toThrow(RangeError);
      expect(addon.pollerOpen(a.fd, () => {})).toBe(-constant('EEXIST'));
      const Ctor = (handle as object).constructor as new (...args: unknown[]) => unknown;
      expect(() => new Ctor(a.fd, () => {})).toThrow(TypeError);
    } finally {
      handle.close();
    }
  });

  it('reports uv_poll_init errors as -errno: a closed fd gives -EBADF', () => {
    const [a] = idlePair();
    const fd = a.fd;
    a.close();
    expect(addon.pollerOpen(fd, () => {})).toBe(-constant('EBADF'));
  });

  it('a blocking fd is refused by Poller before uv_poll_init could set O_NONBLOCK on it', () => {
    const [a] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!).map((s) => sockets.add(s));
    expect(() => new Poller(a!.fd)).toThrow(TypeError);
    expect(nonBlockingFlag(a!)).toBe(false);
  });
});

describe('after all of the above', () => {
  it('every poll handle of this file has been freed', async () => {
    sockets.closeAll();
    expect(await turnsUntil(() => pollHandleCount() === 0)).toBe(true);
  });
});
