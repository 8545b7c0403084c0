// The bounded fuzz run (four seeds, 25k calls each; `npm run fuzz` runs a million), and one
// regression test for every bug the fuzzer found. A failing call is replayed alone with
// `npm run fuzz -- --seed=S --first=I --calls=1 --verbose`.
import { readlinkSync } from 'node:fs';
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  Poller,
  Socket,
  SocketError,
  abstractName,
  check,
  constant,
  constants as c,
  decodeTcpInfo,
  errnoName,
  formatAddress,
  inet,
  inet6,
  isInetAddress,
  isUnixAddress,
  listenOnNet,
  poll,
  strerror,
  sys,
  tcpStateName,
} from '../lib/index.js';
import { runFuzz, type FuzzReport } from './fuzz/harness.js';
import { Histogram } from './fuzz/outcome.js';
import { formatReport } from './fuzz/report.js';
import { NOT_CALLED, exportedNames, rows } from './fuzz/table.js';
import { detach, resizable } from './fuzz/values.js';
import { startWatchdog } from './fuzz/watchdog.js';
import { expectArgError, socketFdCount, type ArgCode } from './helpers/net.js';
import { Sockets } from './helpers/peers.js';

const TYPE: ArgCode = 'ERR_INVALID_ARG_TYPE';
const VALUE: ArgCode = 'ERR_INVALID_ARG_VALUE';
const RANGE: ArgCode = 'ERR_OUT_OF_RANGE';
const any = <T>(value: T) => value as never;

const SEEDS = [1, 2, 3, 4];
const CALLS_PER_SEED = 25_000;
/** Each seed's run, made once: the seed tests and the coverage test share it, in any order. */
const runs = new Map<number, Promise<FuzzReport>>();
const fuzzOnce = (seed: number): Promise<FuzzReport> => {
  let run = runs.get(seed);
  if (run === undefined) runs.set(seed, (run = fuzz(seed)));
  return run;
};

async function fuzz(seed: number): Promise<FuzzReport> {
  const watchdog = await startWatchdog(
    seed,
    rows.map((r) => r.name),
    10_000,
  );
  try {
    return await runFuzz({ seed, calls: CALLS_PER_SEED, watchdog });
  } finally {
    await watchdog.stop();
  }
}

describe(`fuzzing every export (${SEEDS.length} seeds × ${CALLS_PER_SEED} calls)`, () => {
  it('the call table has a row for every exported function, method and getter', () => {
    const names = new Set(rows.map((r) => r.name));
    expect(names.size, 'row names are unique').toBe(rows.length);
    const exported = exportedNames().filter((name) => !(name in NOT_CALLED));
    expect(
      exported.filter((name) => !names.has(name)),
      'exports without a row',
    ).toEqual([]);
    expect(
      [...names].filter((name) => !exported.includes(name)),
      'rows for no export',
    ).toEqual([]);
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}: no unexpected outcome, no leak, pool intact`, async () => {
      const report = await fuzzOnce(seed);
      const text = formatReport(report);
      expect(report.histogram.calls, text).toBe(CALLS_PER_SEED);
      expect(report.histogram.unexpected(), text).toEqual([]);
      expect(report.failures, text).toEqual([]);
      expect(report.harness, text).toEqual([]);
      // Every fd a pool opened is closed: its number is free, or names another file now.
      const stillOpen = report.poolFds.filter(([fd, identity]) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === identity;
        } catch {
          return false;
        }
      });
      expect(stillOpen).toEqual([]);
      expect(report.poolFds.length).toBeGreaterThan(100);
    });
  }

  it('every row was exercised, and every expected outcome class occurred', async () => {
    // Runs the seeds itself when it runs alone (-t), shares their runs otherwise.
    const total = new Histogram();
    for (const seed of SEEDS) {
      const { histogram } = await fuzzOnce(seed);
      for (const [key, n] of histogram.outcomes) total.outcomes.set(key, (total.outcomes.get(key) ?? 0) + n);
      for (const [row, n] of histogram.rows) total.rows.set(row, (total.rows.get(row) ?? 0) + n);
      total.calls += histogram.calls;
    }
    expect(total.calls).toBe(SEEDS.length * CALLS_PER_SEED);
    const idle = rows.map((r) => r.name).filter((name) => (total.rows.get(name) ?? 0) < 20);
    expect(idle, 'rows called fewer than 20 times').toEqual([]);
    const classes = [
      'ok',
      'errno',
      'SocketError',
      'TypeError ERR_INVALID_ARG_TYPE',
      'TypeError ERR_INVALID_ARG_VALUE',
      'RangeError ERR_OUT_OF_RANGE',
      'TypeError ERR_SOCKET_BLOCKING',
      'propagated',
      'aborted',
      'Error (constant not defined)',
      'Error ERR_SERVER_ALREADY_LISTEN',
    ];
    for (const key of classes) expect(total.outcomes.get(key) ?? 0, key).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('bugs found by fuzzing (regressions)', () => {
  const sockets = new Sockets();
  afterAll(() => sockets.closeAll());

  function udpPair(): [Socket, sys.RawAddress] {
    const receiver = sockets.add(Socket.create(c.AF_INET!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
    receiver.bind(inet('127.0.0.1', 0));
    return [receiver, receiver.getsockname() as sys.RawAddress];
  }

  it('sys.sendto reads the address before the buffer: a getter that detaches it gets a RangeError', () => {
    const [receiver, address] = udpPair();
    const sender = sockets.add(Socket.create(c.AF_INET!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
    const view = new Uint8Array(new ArrayBuffer(1000));
    const hostile = {
      ...address,
      get family() {
        detach(view.buffer as ArrayBuffer);
        return address.family;
      },
    };
    // Before: 1000 bytes were sent from memory the view no longer owned.
    expectArgError(() => sys.sendto(sender.fd, view, 0, 1000, 0, any(hostile)), RANGE);
    expect(sys.recv(receiver.fd, Buffer.alloc(8), 0, 8, c.MSG_DONTWAIT!)).toBe(-c.EAGAIN!);
    // A resizable buffer shrunk by the getter: before, the kernel was handed a dead pointer (EFAULT).
    const rab = resizable(60000, 1 << 20);
    const shrinking = {
      ...address,
      get port() {
        rab.resize(0);
        return address.port;
      },
    };
    expectArgError(() => sys.sendto(sender.fd, new Uint8Array(rab), 0, 60000, 0, any(shrinking)), RANGE);
  });

  it('sys.writev takes every element before any pointer: a getter that shrinks an earlier one cannot EFAULT', () => {
    const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s)) as [
      Socket,
      Socket,
    ];
    const rab = resizable(60000, 1 << 20);
    const buffers: unknown[] = [new Uint8Array(rab), Buffer.from('x')];
    Object.defineProperty(buffers, 1, {
      get: () => {
        rab.resize(0);
        return Buffer.from('x');
      },
    });
    // Before: -EFAULT (the first iovec pointed into decommitted memory). Now the first element is empty.
    expect(sys.writev(a.fd, any(buffers))).toBe(1);
    const got = Buffer.alloc(16);
    expect(sys.recv(b.fd, got, 0, 16, 0)).toBe(1);
    const view = new Uint8Array(new ArrayBuffer(500));
    const detaching: unknown[] = [view, Buffer.from('y')];
    Object.defineProperty(detaching, 1, {
      get: () => {
        detach(view.buffer as ArrayBuffer);
        return Buffer.from('y');
      },
    });
    // Before: 501 bytes, 500 of them from the detached view's old memory.
    expect(sys.writev(a.fd, any(detaching))).toBe(1);
  });

  it('sys.accept closes the new fd when writing the peer address throws (no leak)', () => {
    const name = abstractName(`syssock-fuzz-regress-${process.pid}`);
    const listener = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!));
    listener.bind(name);
    listener.listen(4);
    const client = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    client.connect(name);
    const before = socketFdCount();
    const thrower = new Proxy(
      {},
      {
        set: () => {
          throw new Error('setter');
        },
      },
    );
    expect(() => sys.accept(listener.fd, any(thrower))).toThrow('setter');
    expect(socketFdCount()).toBe(before);
    expect(sys.accept(listener.fd, null)).toBe(-c.EAGAIN!); // the connection was taken, not left queued
  });

  it('recvSome gets ETIMEDOUT, instead of spinning in microtasks, when recv says EAGAIN on a readable socket', async () => {
    const [receiver, address] = udpPair();
    const sender = sockets.add(Socket.create(c.AF_INET!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
    sender.sendto('x', any(address));
    expect(receiver.poll(c.POLLIN!, 1000) & c.POLLIN!).toBe(c.POLLIN!);
    // MSG_ERRQUEUE: the error queue is empty (EAGAIN) while a datagram makes the socket readable.
    // Before: the retry loop never yielded, so not even this timer could fire.
    let timerRan = false;
    const timer = setTimeout(() => (timerRan = true), 0);
    for (const timeout of [0, 20]) {
      const error = await receiver.recvSome(Buffer.alloc(8), { flags: c.MSG_ERRQUEUE!, timeout }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SocketError);
      expect((error as SocketError).code).toBe('ETIMEDOUT');
    }
    clearTimeout(timer);
    expect(timerRan).toBe(true);
  });

  it('sendAll refuses an offset or length it would coerce; send/recv never do arithmetic on a bad offset', async () => {
    const [a] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s)) as [Socket];
    const buf = Buffer.alloc(8);
    for (const options of [{ offset: { valueOf: () => 0 } }, { length: { valueOf: () => 1 } }, { offset: '0' }]) {
      const error = await a.sendAll(buf, any({ timeout: 0, ...options })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TypeError);
      expect((error as { code?: string }).code).toBe(TYPE);
    }
    // Before: `byteLength - 1n` threw a TypeError without a code.
    expectArgError(() => a.recv(buf, 0, any(1n)), TYPE);
    expectArgError(() => a.send(buf, 0, any(Symbol('offset'))), TYPE);
  });

  it('accepts() checks its options before the loop (null, a number, a signal that is not one)', async () => {
    const listener = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!));
    listener.bind(inet('127.0.0.1', 0));
    listener.listen(4);
    const closed = Socket.create(c.AF_UNIX!, c.SOCK_DGRAM!);
    closed.close();
    // Before: null failed on `.signal` (no code), 5 waited forever, a bad signal passed on a closed listener.
    for (const [target, options] of [
      [listener, null],
      [listener, 5],
      [closed, { signal: {} }],
    ] as const) {
      const error = await target
        .accepts(any(options))
        .next()
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((error as { code?: string }).code).toBe(TYPE);
    }
  });

  it('Poller refuses a reason that is not a function, and names that are not strings', async () => {
    const [a] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s)) as [Socket];
    expectArgError(() => new Poller(a.fd, any(Symbol('s'))), TYPE);
    expectArgError(() => new Poller(a.fd, 'poll', any(5)), TYPE); // before: WeakRef's own TypeError
    const poller = new Poller(a.fd);
    const waiting = poller.wait(c.POLLIN!, { timeout: 1000 }).then(
      () => 'resolved',
      (e: unknown) => e,
    );
    expectArgError(() => poller.close(any('reason')), TYPE); // before: "reason is not a function" after closing
    expect(poller.closed).toBe(false);
    for (const args of [
      [c.POLLIN!, { timeout: 0 }, Symbol('syscall')],
      [c.POLLIN!, { timeout: 0 }, 'poll', '5'],
    ]) {
      const error = await poller.wait(...(args as [number])).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as { code?: string }).code).toBe(TYPE);
    }
    poller.close();
    expect(await waiting).toMatchObject({ code: 'ECANCELED' });
  });

  it('listenOnNet refuses null options before ownership moves', () => {
    const socket = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    socket.bind(inet('127.0.0.1', 0));
    socket.listen(1);
    expectArgError(() => listenOnNet(new net.Server(), socket, any(null)), TYPE);
    expect(socket.closed).toBe(false);
  });

  it('poll() and Socket#poll refuse requests the struct would truncate', () => {
    const [a] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s)) as [Socket];
    const cases: [unknown, ArgCode][] = [
      [undefined, TYPE],
      [[, { fd: a.fd, events: 1 }], TYPE], // eslint-disable-line no-sparse-arrays
      [[null], TYPE],
      [[{ fd: '3', events: 1 }], TYPE],
      [[{ fd: a.fd, events: 0x10000 }], RANGE],
      [[{ fd: a.fd, events: -1 }], RANGE],
      [[{ fd: a.fd, events: 1.5 }], RANGE],
      [[{ fd: a.fd + 2 ** 32, events: 1 }], RANGE],
    ];
    for (const [requests, code] of cases) expectArgError(() => poll(any(requests), 0), code);
    expectArgError(() => a.poll(5e-324, 0), RANGE); // before: written as events 0, and polled
    expect(poll([{ fd: a.fd, events: c.POLLOUT! }], 0)).toEqual([c.POLLOUT!]);
  });

  it('the helpers refuse wrong types with a coded TypeError/RangeError (before: bare errors or garbage)', () => {
    const dead = new Uint8Array(4);
    detach(dead.buffer as ArrayBuffer);
    const [a] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s)) as [Socket];
    const cases: [string, () => unknown, ArgCode][] = [
      ['errnoName(Symbol)', () => errnoName(any(Symbol('e'))), TYPE],
      ['errnoName({})', () => errnoName(any({})), TYPE],
      ['strerror(11n)', () => strerror(any(11n)), TYPE],
      ['constant(Symbol)', () => constant(any(Symbol('AF_INET'))), TYPE],
      ["constant(['AF_INET'])", () => constant(any(['AF_INET'])), TYPE],
      ['abstractName(null)', () => abstractName(any(null)), TYPE],
      ['inet6(…, null)', () => inet6('::1', 0, any(null)), TYPE],
      ['formatAddress(null)', () => formatAddress(any(null)), TYPE],
      ['formatAddress(Symbol)', () => formatAddress(any(Symbol('a'))), TYPE],
      ['tcpStateName(Symbol)', () => tcpStateName(any(Symbol('s'))), TYPE],
      ['decodeTcpInfo(null, 0)', () => decodeTcpInfo(any(null), 0), TYPE],
      ['decodeTcpInfo(4 bytes, 100)', () => decodeTcpInfo(Buffer.alloc(4), 100), RANGE],
      ['decodeTcpInfo(…, NaN)', () => decodeTcpInfo(Buffer.alloc(4), NaN), RANGE],
      ['new SocketError(Symbol)', () => new SocketError(any(Symbol('e')), 'send'), TYPE],
      ['new SocketError(11, undefined)', () => new SocketError(11, any(undefined)), TYPE],
      ['new SocketError(…, detail 5)', () => new SocketError(11, 'send', undefined, any(5)), TYPE],
      ['check(null)', () => check(any(null), 'send'), TYPE],
      ['check(-11, null)', () => check(-11, any(null)), TYPE],
      ["getOption('__proto__')", () => a.getOption(any('__proto__')), VALUE],
      ["getOption('constructor')", () => a.getOption(any('constructor')), VALUE],
      ['setOption({ toString })', () => a.setOption(any({ toString: () => 'SO_RCVBUF' }), any(1)), TYPE],
    ];
    for (const [what, fn, code] of cases) {
      try {
        fn();
      } catch (e) {
        expect((e as { code?: string }).code, what).toBe(code);
        expect(e, what).toBeInstanceOf(code === RANGE ? RangeError : TypeError);
        continue;
      }
      expect.fail(`${what} returned instead of throwing ${code}`);
    }
    // Own properties only: before, these returned Object.prototype and a function.
    expect(() => constant('__proto__')).toThrow('__proto__ is not defined on this platform');
    expect(() => constant('constructor')).toThrow('constructor is not defined on this platform');
    // The type guards and the formatter never throw on an object of any shape.
    expect(isInetAddress(any(undefined))).toBe(false);
    expect(isUnixAddress(any(null))).toBe(false);
    expect(formatAddress({ family: c.AF_UNIX!, path: dead })).toBe('(unnamed)');
    expect(formatAddress(any({ family: c.AF_INET!, address: Symbol('x'), port: Object.create(null) }))).toBe(
      'Symbol(x):(object)',
    );
  });
});
