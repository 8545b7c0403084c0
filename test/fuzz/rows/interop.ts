// Rows for the node:net interop: borrow / BorrowedSocket (on the run's net objects: live, destroyed,
// never connected, never listening), and the hand-overs toNetSocket / listenOnNet (on Sockets made
// for the call; the harness destroys what node:net then owns).
import net from 'node:net';
import { BorrowedSocket, borrow, listenOnNet, toNetSocket } from '../../../lib/index.js';
import type { Gen } from '../gen.js';
import { call, invoke, read, type Call, type Row } from './common.js';
import { NOT_OPTION_NAMES, OPTION_NAMES, optionPair, optionValue } from './shapes.js';

const noop = () => undefined;

/** A net.Socket or net.Server of the run, or (marked bad) something else. */
function netTarget(g: Gen): unknown {
  if (g.rng.chance(0.85)) return g.rng.pick(g.ctx.net.borrowed).target;
  g.bad.push('target');
  return g.rng.pick([null, undefined, {}, 5, 'socket', g.ctx.pool.socketAt(0), { _handle: { fd: 0 } }]);
}

const borrowed = (g: Gen) => g.rng.pick(g.ctx.net.borrowed);

const row = (name: string, make: (g: Gen) => Call, weight = 1): Row => ({
  name: `BorrowedSocket#${name}`,
  weight,
  make,
});

function optionName(g: Gen): unknown {
  if (g.rng.chance(0.85)) return g.rng.pick(OPTION_NAMES);
  g.bad.push('name');
  return g.rng.pick(NOT_OPTION_NAMES);
}

function toNetSocketCall(g: Gen): Call {
  const r = g.rng.int(100);
  let socket: unknown;
  if (r < 60) socket = g.fresh('unix-stream-connected').socket;
  else if (r < 70) socket = g.fresh('udp4').socket;
  else if (r < 80) socket = g.fresh('tcp4').socket;
  else if (r < 85) {
    g.closedTarget = true;
    socket = g.rng.pick(g.ctx.pool.closed);
  } else {
    g.bad.push('socket');
    socket = g.rng.pick([null, undefined, {}, 5, new net.Socket()]);
  }
  const args: unknown[] = [socket];
  const o = g.rng.int(100);
  if (o < 60)
    args.push(
      g.rng.pick([
        undefined,
        {},
        { allowHalfOpen: true },
        { readable: false },
        { signal: new AbortController().signal },
      ]),
    );
  else if (o < 80) {
    g.bad.push('options');
    args.push(g.rng.pick([{ fd: 3 }, { handle: {} }, { signal: 'abort' }, null, 5, 'options']));
  }
  return call(args, toNetSocket);
}

function listenOnNetCall(g: Gen): Call {
  const r = g.rng.int(100);
  let server: unknown;
  if (r < 75) {
    const fresh = net.createServer();
    fresh.on('error', noop);
    server = fresh;
  } else if (r < 85) server = g.ctx.net.server;
  else {
    g.bad.push('server');
    server = g.rng.pick([null, undefined, {}, 5, new net.Socket()]);
  }
  const s = g.rng.int(100);
  let socket: unknown;
  if (s < 45) socket = g.fresh('tcp4-listening').socket;
  else if (s < 60) socket = g.fresh('unix-listening').socket;
  else if (s < 70) socket = g.fresh('udp4').socket;
  else if (s < 80) socket = g.fresh('tcp4-bound').socket;
  else if (s < 85) {
    g.closedTarget = true;
    socket = g.rng.pick(g.ctx.pool.closed);
  } else {
    g.bad.push('socket');
    socket = g.rng.pick([null, undefined, {}, 5]);
  }
  const args: unknown[] = [server, socket];
  const o = g.rng.int(100);
  if (o < 50) args.push(g.rng.pick([undefined, {}, { backlog: 1 }, { backlog: 16 }, { backlog: 511 }]));
  else if (o < 70) {
    g.bad.push('options');
    args.push(g.rng.pick([{ backlog: 0 }, { backlog: -1 }, { backlog: 1.5 }, { backlog: '16' }, null, 5, 'options']));
  }
  return call(args, listenOnNet);
}

/** The Errors listenOnNet documents besides the argument errors. */
function listenErrors(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && (code === 'ERR_SERVER_ALREADY_LISTEN' || code === 'ERR_INVALID_STATE')
    ? `Error ${code}`
    : undefined;
}

export const interopRows: Row[] = [
  { name: 'borrow', make: (g) => call([netTarget(g)], borrow) },
  {
    name: 'new BorrowedSocket',
    make: (g) => {
      const args = [netTarget(g)];
      return { args, run: () => Reflect.construct(BorrowedSocket, args) };
    },
  },
  row('target', (g) => read(borrowed(g), 'target'), 0.3),
  row('fd', (g) => read(borrowed(g), 'fd'), 0.3),
  row('getsockopt', (g) => {
    const [level, optname] = optionPair(g, true);
    return invoke(borrowed(g), 'getsockopt', [level, optname, g.bytes('optval')]);
  }),
  row('setsockopt', (g) => {
    const [level, optname] = optionPair(g, false);
    return invoke(borrowed(g), 'setsockopt', [level, optname, g.bytes('optval')]);
  }),
  row('getOption', (g) => invoke(borrowed(g), 'getOption', [optionName(g)])),
  row('setOption', (g) => {
    const name = optionName(g);
    const value = OPTION_NAMES.includes(name as never) ? optionValue(g, name as never) : g.anything();
    return invoke(borrowed(g), 'setOption', [name, value]);
  }),
  row('tcpInfo', (g) => invoke(borrowed(g), 'tcpInfo', [])),
  row('sendQueue', (g) => invoke(borrowed(g), 'sendQueue', [])),
  row('recvQueue', (g) => invoke(borrowed(g), 'recvQueue', [])),
  row('getsockname', (g) => invoke(borrowed(g), 'getsockname', [])),
  row('getpeername', (g) => invoke(borrowed(g), 'getpeername', [])),
  row('isNonBlocking', (g) => invoke(borrowed(g), 'isNonBlocking', [])),
  { name: 'toNetSocket', weight: 0.5, make: toNetSocketCall },
  { name: 'listenOnNet', weight: 0.5, make: listenOnNetCall, documented: listenErrors },
];
