// Rows for Socket: its static constructors and every method and getter, on pool Sockets (every
// family, type and state, and fds that are not sockets) and closed ones. Methods that close or
// give away the fd get a Socket made for the call.
import { Socket, constants as c, sys } from '../../../lib/index.js';
import type { Gen } from '../gen.js';
import { freshFd } from '../pool.js';
import { HUGE_STRING } from '../values.js';
import { as, atMost, call, invoke, lengthNow, read, type Call, type Row } from './common.js';
import {
  NOT_OPTION_NAMES,
  OPTION_NAMES,
  fcntlCmd,
  ioctlRequest,
  optionPair,
  optionValue,
  socketTriple,
  waitEvents,
} from './shapes.js';

const ADDRESS_CALLS = new Set(['bind', 'connect', 'sendto', 'listen', 'connectAsync']);
const method = (name: string, make: (g: Gen) => Call, weight = 1): Row => ({
  name: `Socket#${name}`,
  weight,
  make,
  touchesAddress: ADDRESS_CALLS.has(name),
});

/** Data for send-like methods: a view, or a string (sent as UTF-8). */
function data(g: Gen): ArrayBufferView | string {
  if (g.rng.chance(0.2)) return g.rng.pick(['', 'hello', 'é€😀', HUGE_STRING.slice(0, 3000)]);
  return g.bytes('data');
}

const byteLength = (d: unknown) => (typeof d === 'string' ? Buffer.byteLength(d) : lengthNow(d));

/** [flags?, offset?, length?] for send/recv: each optional, each sometimes bad. */
function ioTail(g: Gen, size: number): unknown[] {
  if (g.rng.chance(0.3)) return [];
  const flags = g.msgFlags('flags', true);
  if (g.rng.chance(0.4)) return [flags];
  const [offset, length] = g.range(size, true);
  return length === undefined ? [flags, offset] : [flags, offset, length];
}

function limit(size: () => number, tail: unknown[]): () => number {
  return () => {
    const offset = typeof tail[1] === 'number' ? tail[1] : 0;
    const length = typeof tail[2] === 'number' ? tail[2] : Infinity;
    return Math.max(0, Math.min(length, size() - offset));
  };
}

/** The options of sendAll/recvSome: WaitOptions plus flags/offset/length (when it is an object). */
function ioOptions(g: Gen, size: number): unknown {
  const options = g.waitOptions();
  if (typeof options !== 'object' || options === null || g.bad.length > 0 || g.rng.chance(0.4)) return options;
  if (Object.values(Object.getOwnPropertyDescriptors(options)).some((d) => d.get !== undefined)) return options;
  const extra: Record<string, unknown> = {};
  if (g.rng.chance(0.5)) extra.flags = g.msgFlags('options.flags', true);
  if (g.rng.chance(0.5)) {
    const [offset, length] = g.range(size, true);
    if (offset !== undefined) extra.offset = offset;
    if (length !== undefined) extra.length = length;
  }
  return Object.assign(Object.create(Object.getPrototypeOf(options) as object) as object, options, extra);
}

/** A Socket for a method that closes or releases it: one made for the call, or a closed one. */
function disposable(g: Gen): Socket {
  if (g.rng.chance(0.15)) {
    g.closedTarget = true;
    return g.rng.pick(g.ctx.pool.closed);
  }
  return g.fresh('unix-dgram').socket;
}

/** Rows for the constructors that make sockets (the harness closes what they return). */
const staticRows: Row[] = [
  {
    name: 'Socket.create',
    make: (g) => {
      const args = socketTriple(g, true);
      return call(args[2] === undefined && g.rng.chance(0.5) ? args.slice(0, 2) : args, Socket.create);
    },
  },
  { name: 'Socket.createRaw', make: (g) => call(socketTriple(g, true), Socket.createRaw) },
  { name: 'Socket.pair', make: (g) => call(socketTriple(g, true), Socket.pair) },
  {
    name: 'Socket.fromFd',
    make: (g) => {
      // fromFd takes ownership, and the harness closes what it returns: only an fd made for the call.
      const own = freshFd();
      const fd = g.fd('fd', own);
      return call([fd], Socket.fromFd, {
        // The harness closes a returned Socket (and so `own`, when it took it).
        after: (result) => void (result instanceof Socket && fd === own ? undefined : sys.close(own)),
      });
    },
  },
];

export const socketRows: Row[] = [
  ...staticRows,
  method('fd', (g) => read(g.socket(), 'fd'), 0.3),
  method('closed', (g) => read(g.socket(), 'closed'), 0.3),
  method('close', (g) => invoke(disposable(g), 'close', [])),
  method('release', (g) => {
    const target = disposable(g);
    return invoke(target, 'release', [], { after: (fd) => void (typeof fd === 'number' && fd >= 0 && sys.close(fd)) });
  }),
  method('[Symbol.dispose]', (g) => invoke(disposable(g), Symbol.dispose, [])),
  method('bind', (g) => invoke(g.socket(), 'bind', [g.address('bind')])),
  method('listen', (g) => {
    const target = g.socket();
    return invoke(
      target,
      'listen',
      g.rng.chance(0.3) ? [] : [g.int('backlog', [1, 16, 0, -1], { anyInt32: true, optional: true })],
    );
  }),
  method('accept', (g) => invoke(g.socketNamed(/listener/), 'accept', [])),
  method('acceptRaw', (g) => invoke(g.socketNamed(/listener/), 'acceptRaw', [])),
  method('accept4', (g) => {
    const flags = g.int('flags', [c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!, c.SOCK_CLOEXEC!, 0], { anyInt32: true });
    return invoke(g.socketNamed(/listener/), 'accept4', [flags]);
  }),
  method('connect', (g) => invoke(g.socket(), 'connect', [g.address('connect')])),
  method(
    'send',
    (g) => {
      const d = data(g);
      const tail = ioTail(g, byteLength(d));
      return invoke(g.socket(), 'send', [d, ...tail], {
        check: atMost(
          limit(() => byteLength(d), tail),
          'send',
        ),
      });
    },
    2,
  ),
  method(
    'recv',
    (g) => {
      const buffer = g.bytes('buffer');
      const tail = ioTail(g, lengthNow(buffer));
      const truncates = typeof tail[0] === 'number' && (tail[0] & c.MSG_TRUNC!) !== 0;
      return invoke(g.socket(), 'recv', [buffer, ...tail], {
        check: truncates
          ? undefined
          : atMost(
              limit(() => lengthNow(buffer), tail),
              'recv',
            ),
      });
    },
    2,
  ),
  method('sendto', (g) => {
    const address = g.rng.chance(0.25) ? g.rng.pick([null, undefined]) : g.address('connect', 'address', true);
    const args = [data(g), address];
    if (g.rng.chance(0.6)) args.push(g.msgFlags('flags', true));
    return invoke(g.socket(), 'sendto', args);
  }),
  method('recvfrom', (g) => {
    const args: unknown[] = [g.bytes('buffer')];
    if (g.rng.chance(0.6)) args.push(g.msgFlags('flags', true));
    return invoke(g.socket(), 'recvfrom', args);
  }),
  method(
    'shutdown',
    (g) => invoke(g.socket(), 'shutdown', [g.int('how', [c.SHUT_RD!, c.SHUT_WR!, c.SHUT_RDWR!, 3])]),
    0.5,
  ),
  method('fcntl', (g) => {
    const target = g.socket();
    const cmd = fcntlCmd(g);
    const args: unknown[] = [cmd];
    if (g.rng.chance(0.7)) args.push(g.int('arg', [0, 1, c.O_NONBLOCK!, 5], { anyInt32: true, optional: true }));
    const fd = target.fd;
    return invoke(target, 'fcntl', args, {
      after: (result) => {
        g.ctx.pool.restoreFlags(fd);
        const dups = cmd === c.F_DUPFD || cmd === c.F_DUPFD_CLOEXEC;
        if (dups && typeof result === 'number' && result >= 0) sys.close(result);
      },
    });
  }),
  method('ioctl', (g) => {
    const target = g.socket();
    const fd = target.fd;
    const args: unknown[] = [ioctlRequest(g)];
    if (g.rng.chance(0.7)) args.push(g.int('value', [0, 1, -1], { anyInt32: true, optional: true }));
    return invoke(target, 'ioctl', args, { after: () => g.ctx.pool.restoreFlags(fd) });
  }),
  method('getsockopt', (g) => {
    const [level, optname] = optionPair(g, true);
    return invoke(g.socket(), 'getsockopt', [level, optname, g.bytes('optval')]);
  }),
  method('setsockopt', (g) => {
    const [level, optname] = optionPair(g, false);
    return invoke(g.socket(), 'setsockopt', [level, optname, g.bytes('optval')]);
  }),
  method('getOption', (g) => invoke(g.socket(), 'getOption', [optionName(g)]), 2),
  method(
    'setOption',
    (g) => {
      const name = optionName(g);
      const value = OPTION_NAMES.includes(name as never) ? optionValue(g, as(name)) : g.anything();
      return invoke(g.socket(), 'setOption', [name, value]);
    },
    2,
  ),
  method('getsockname', (g) => invoke(g.socket(), 'getsockname', [])),
  method('getpeername', (g) => invoke(g.socket(), 'getpeername', [])),
  method('poll', (g) => {
    const events = g.int('events', [c.POLLIN!, c.POLLOUT!, c.POLLIN! | c.POLLOUT!, 0, c.POLLPRI!, 0x7fff], {});
    let bigEvents: unknown = events;
    if (g.rng.chance(0.05)) {
      g.bad.push('events');
      bigEvents = g.rng.pick([0x10000, -0x10001, 0x7fffffff]);
    }
    const timeout = g.rng.chance(0.85) ? 0 : g.int('timeout', [0], { badRate: 1 });
    return invoke(g.socket(), 'poll', [bigEvents, timeout]);
  }),
  method('isNonBlocking', (g) => invoke(g.socket(), 'isNonBlocking', [])),
  method('setNonBlocking', (g) => {
    const target = g.socket();
    const fd = target.fd;
    const args = g.rng.chance(0.3) ? [] : [g.rng.pick([true, false, 0, 1, 'yes', null, undefined, {}])];
    return invoke(target, 'setNonBlocking', args, { after: () => g.ctx.pool.restoreFlags(fd) });
  }),
  method('sendQueue', (g) => invoke(g.socket(), 'sendQueue', [])),
  method('recvQueue', (g) => invoke(g.socket(), 'recvQueue', [])),
  method('tcpInfo', (g) => invoke(g.socketNamed(/tcp/, 0.5), 'tcpInfo', [])),
  method('readable', (g) => invoke(g.socket(), 'readable', [g.waitOptions()])),
  method('writable', (g) => invoke(g.socket(), 'writable', [g.waitOptions()])),
  method('watch', (g) => {
    const target = g.socket();
    let listener: unknown = () => undefined;
    if (g.rng.chance(0.15)) {
      g.bad.push('listener');
      listener = g.rng.pick([null, undefined, 5, 'listener', {}]);
    }
    g.ctx.atBatchEnd.push(() => target.unwatch());
    return invoke(target, 'watch', [waitEvents(g), listener]);
  }),
  method('unwatch', (g) => invoke(g.socket(), 'unwatch', [])),
  method('acceptAsync', (g) => invoke(g.socketNamed(/listener/), 'acceptAsync', [g.waitOptions()])),
  method(
    'connectAsync',
    (g) => {
      const r = g.rng.int(100);
      const target =
        r < 40
          ? g.fresh('tcp4').socket
          : r < 50
            ? g.fresh('udp4').socket
            : r < 60
              ? g.fresh('unix-dgram').socket
              : g.socket();
      return invoke(target, 'connectAsync', [g.address('connect'), g.waitOptions()]);
    },
    1.5,
  ),
  method('sendAll', (g) => {
    const d = data(g);
    return invoke(g.socket(), 'sendAll', [d, ioOptions(g, byteLength(d))]);
  }),
  method('recvSome', (g) => {
    const buffer = g.bytes('buffer');
    return invoke(g.socket(), 'recvSome', [buffer, ioOptions(g, lengthNow(buffer))]);
  }),
  method('accepts', (g) => {
    const target = g.socketNamed(/listener/);
    const { batchSignal, abortedSignal } = g.ctx;
    let options: unknown = g.rng.pick([{ signal: batchSignal }, { signal: abortedSignal }]);
    if (g.rng.chance(0.25)) {
      g.bad.push('options');
      options = g.rng.pick([null, 5, 'options', { signal: 'abort' }, { signal: {} }, Symbol('o')]);
    }
    return {
      args: [target, options],
      run: () => {
        const loop = target.accepts(as(options));
        return loop.next().then(
          async (step) => {
            await loop.return(undefined);
            return step.value;
          },
          (error: unknown) => {
            throw error;
          },
        );
      },
    };
  }),
  method('ref', (g) => invoke(g.socket(), 'ref', []), 0.3),
  method('unref', (g) => invoke(g.socket(), 'unref', []), 0.3),
  method('hasRef', (g) => invoke(g.socket(), 'hasRef', []), 0.3),
];

function optionName(g: Gen): unknown {
  if (g.rng.chance(0.85)) return g.rng.pick(OPTION_NAMES);
  g.bad.push('name');
  return g.rng.pick(NOT_OPTION_NAMES);
}
