// The event-driven side of the poller: watch() (a persistent, level-triggered listener), the
// two kinds of wake-up a wait can ask for (the kernel's revents from one poll(2), or libuv's
// events without a syscall), parking (a POLLIN handle left armed, unref'd, between waits) and
// the hold a pending wait or watch keeps on its Socket.
import { closeSync, constants, openSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Poller, Socket, constant, constants as c, sys } from '../lib/index.js';
import { loopTurn, turnsUntil } from './helpers/async.js';
import { runFixture } from './helpers/fixture.js';
import { Sockets } from './helpers/peers.js';
import { WAIT_MS } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

const POLLIN = constant('POLLIN');
const POLLOUT = constant('POLLOUT');
const POLLERR = constant('POLLERR');
const POLLHUP = constant('POLLHUP');

/** An idle nonblocking AF_UNIX stream pair (nothing arrives unless the test sends it). */
function idlePair(): [Socket, Socket] {
  const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!);
  return [sockets.add(a), sockets.add(b)];
}

describe('watch()', () => {
  it('calls the listener with POLLIN when data arrives, and again on each turn while it is left unread', async () => {
    const [a, b] = idlePair();
    const calls: number[] = [];
    a.watch(POLLIN, (revents) => calls.push(revents));
    for (let i = 0; i < 3; i++) await loopTurn();
    expect(calls).toEqual([]); // nothing to read: no call
    b.send('xy');
    expect(await turnsUntil(() => calls.length >= 3)).toBe(true); // level-triggered: not read, so again
    expect(calls.every((r) => (r & POLLIN) === POLLIN)).toBe(true);
    a.unwatch();
    const after = calls.length;
    for (let i = 0; i < 5; i++) await loopTurn();
    expect(calls.length).toBe(after);
  });

  it('is called once per arrival when the listener reads until EAGAIN', async () => {
    const [a, b] = idlePair();
    const buf = Buffer.alloc(64);
    const reads: string[] = [];
    let calls = 0;
    a.watch(POLLIN, () => {
      calls++;
      for (let i = 0; i < 10; i++) {
        const n = sys.recv(a.fd, buf, 0, buf.length, 0);
        if (n === -c.EAGAIN!) return;
        reads.push(buf.subarray(0, n).toString());
      }
    });
    b.send('one');
    expect(await turnsUntil(() => reads.length === 1)).toBe(true);
    for (let i = 0; i < 5; i++) await loopTurn();
    expect(calls).toBe(1);
    b.send('two');
    expect(await turnsUntil(() => reads.length === 2)).toBe(true);
    expect(reads).toEqual(['one', 'two']);
  });

  it('is never called after close(), and the handle is freed', async () => {
    const [a, b] = idlePair();
    let calls = 0;
    a.watch(POLLIN, () => calls++);
    b.send('x');
    a.close();
    for (let i = 0; i < 5; i++) await loopTurn();
    expect(calls).toBe(0);
    expect(() => a.watch(POLLIN, () => {})).toThrow(expect.objectContaining({ code: 'EBADF' }));
    a.unwatch(); // nothing to do once closed
  });

  it('a second watch replaces the first; waits and a watch share one handle armed with the union', async () => {
    const [a, b] = idlePair();
    const poller = new Poller(a.fd);
    try {
      const first: number[] = [];
      const second: number[] = [];
      poller.watch(POLLIN, (r) => first.push(r));
      poller.watch(POLLIN, (r) => second.push(r));
      expect(poller.watching).toBe(POLLIN);
      const writable = poller.wait(POLLOUT, { timeout: WAIT_MS });
      expect(poller.armed).toBe(POLLIN | POLLOUT);
      expect((await writable) & POLLOUT).toBe(POLLOUT);
      b.send('x');
      expect(await turnsUntil(() => second.length > 0)).toBe(true);
      expect(first).toEqual([]);
      // The wait is over: the handle narrows to the watch's events.
      expect(await turnsUntil(() => poller.armed === POLLIN)).toBe(true);
      poller.unwatch();
      expect([poller.watching, poller.armed]).toEqual([0, 0]);
    } finally {
      poller.close();
    }
  });

  it('reports POLLERR when the peer resets, then keeps watching on a fresh handle', async () => {
    const [client, server] = tcpLikePair();
    const calls: number[] = [];
    server.watch(POLLIN, (revents) => {
      calls.push(revents);
      if (calls.length >= 2) server.unwatch();
    });
    client.setOption('SO_LINGER', { onoff: true, linger: 0 });
    client.close();
    expect(await turnsUntil(() => calls.length >= 2)).toBe(true);
    // libuv reports the RST as an error status (POLLERR); the reset socket then stays readable
    // (recv would say ECONNRESET, then 0), which the fresh handle reports as POLLIN.
    expect(calls[0]! & POLLERR).toBe(POLLERR);
    expect(calls[1]! & (POLLIN | POLLERR)).not.toBe(0);
  });

  it('throws the SocketError when the handle cannot be opened (an fd epoll refuses), and is not left watching', () => {
    const fd = openSync('/dev/null', constants.O_RDONLY | constants.O_NONBLOCK);
    const poller = new Poller(fd);
    try {
      let calls = 0;
      expect(() => poller.watch(POLLIN, () => calls++)).toThrow(
        expect.objectContaining({ code: 'EPERM', syscall: 'uv_poll_init' }),
      );
      expect([poller.watching, poller.handleState, calls]).toEqual([0, 'none', 0]);
    } finally {
      poller.close();
      closeSync(fd);
    }
  });

  it('validates its arguments before anything happens', () => {
    const [a] = idlePair();
    expect(() => a.watch(0, () => {})).toThrow(RangeError);
    expect(() => a.watch(POLLIN, 'no' as never)).toThrow(TypeError);
    expect(() => a.watch(1.5, () => {})).toThrow(RangeError);
    const [blocking, other] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!);
    sockets.add(blocking!);
    sockets.add(other!);
    expect(() => blocking!.watch(POLLIN, () => {})).toThrow(expect.objectContaining({ code: 'ERR_SOCKET_BLOCKING' }));
  });
});

/** A loopback TCP pair, both ends nonblocking (a reset needs TCP). */
function tcpLikePair(): [Socket, Socket] {
  const listener = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
  listener.bind({ family: c.AF_INET!, address: '127.0.0.1', port: 0 });
  listener.listen(1);
  const client = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
  client.connect(listener.getsockname());
  const { socket: server } = listener.accept4(c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!);
  listener.close();
  return [client, sockets.add(server)];
}

describe("what a wake-up resolves with: 'kernel' (poll(2)) or 'libuv' (no syscall)", () => {
  it('after a reset, a kernel wait sees POLLHUP|POLLERR; a libuv wait sees POLLERR alone', async () => {
    const [client, server] = tcpLikePair();
    const poller = new Poller(server.fd);
    try {
      const kernel = poller.wait(POLLIN, { timeout: WAIT_MS });
      const libuv = poller.wait(POLLIN, { timeout: WAIT_MS }, 'recv', undefined, 'libuv');
      client.setOption('SO_LINGER', { onoff: true, linger: 0 });
      client.close();
      const [k, l] = await Promise.all([kernel, libuv]);
      expect(k & (POLLHUP | POLLERR)).toBe(POLLHUP | POLLERR);
      expect(l & POLLHUP).toBe(0); // libuv folds POLLHUP away; its error status is POLLERR
      expect(l & POLLERR).toBe(POLLERR);
    } finally {
      poller.close();
    }
  });
});

describe('the revents argument of Poller.wait', () => {
  it("is 'kernel' or 'libuv'; anything else rejects with ERR_INVALID_ARG_VALUE before a handle is armed", async () => {
    const [a] = idlePair();
    const poller = new Poller(a.fd);
    try {
      const err = await poller.wait(POLLIN, { timeout: WAIT_MS }, 'recv', undefined, 'LIBUV' as never).catch((e) => e);
      expect(err).toBeInstanceOf(TypeError);
      expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE' });
      expect(poller.handleState).toBe('none');
    } finally {
      poller.close();
    }
  });
});

describe('parking: a POLLIN handle stays armed, unref’d, between waits', () => {
  it('stays armed after a libuv wait resolves, and the next wait re-uses it as it is', async () => {
    const [a, b] = idlePair();
    const poller = new Poller(a.fd);
    try {
      const first = poller.wait(POLLIN, { timeout: WAIT_MS }, 'recv', undefined, 'libuv');
      b.send('x');
      await first;
      expect([poller.handleState, poller.armed]).toEqual(['active', POLLIN]);
      expect(sys.recv(a.fd, Buffer.alloc(1), 0, 1, 0)).toBe(1);
      const second = poller.wait(POLLIN, { timeout: WAIT_MS }, 'recv', undefined, 'libuv');
      expect([poller.handleState, poller.armed]).toEqual(['active', POLLIN]);
      b.send('y');
      expect((await second) & POLLIN).toBe(POLLIN);
    } finally {
      poller.close();
    }
  });

  it('stops at the first wake-up that finds nobody waiting: unread data does not spin the loop', async () => {
    const [a, b] = idlePair();
    const poller = new Poller(a.fd);
    try {
      const first = poller.wait(POLLIN, { timeout: WAIT_MS }, 'recv', undefined, 'libuv');
      b.send('x');
      await first;
      expect(poller.armed).toBe(POLLIN);
      // The byte stays unread and nobody waits: one wake-up, then the handle is stopped.
      expect(await turnsUntil(() => poller.armed === 0)).toBe(true);
      expect(poller.handleState).toBe('idle');
    } finally {
      poller.close();
    }
  });

  it('a POLLOUT handle is not parked: stopped once the microtasks after its wake-up have run', async () => {
    const [a] = idlePair();
    const poller = new Poller(a.fd);
    try {
      await poller.wait(POLLOUT, { timeout: WAIT_MS }, 'send', undefined, 'libuv');
      expect(await turnsUntil(() => poller.armed === 0, 2)).toBe(true);
    } finally {
      poller.close();
    }
  });
});

describe('in a child process (node --expose-gc)', () => {
  const run = (mode: string) =>
    runFixture('async-watch-gc.ts', { args: [mode], nodeArgs: ['--expose-gc'], limitMs: 15_000 });

  it('a watched Socket that nobody references is kept alive by its watch, and collected after unwatch()', async () => {
    const r = await run('watch');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      'collected while watched: false\n' +
        'accepted through the watch: true\n' +
        'collected after unwatch: true\n' +
        'listening fd closed by the finalizer: true\n',
    );
    // The finalizer says so, once.
    expect(r.stderr.match(/SYSSOCK_UNCLOSED_SOCKET/g)).toHaveLength(1);
  }, 20_000);

  it('a wait ended by an error status (RST) lets go of its Socket: dropped, it is collected and closed', async () => {
    const r = await run('error-status');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('readable() saw POLLERR: true\ncollected after the error status: true\n');
    expect(r.stderr.match(/SYSSOCK_UNCLOSED_SOCKET/g)).toHaveLength(1);
  }, 20_000);

  it('a process whose handle is parked (no wait pending) exits by itself', async () => {
    const r = await run('parked');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('received 1\n');
  }, 20_000);
});
