// Rows for the helpers that make no syscall of their own (or one, poll): constants, errno names,
// address builders and formatting, TCP_INFO decoding, poll(), SocketError and check.
import {
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
  poll,
  strerror,
  sys,
  tcpStateName,
  unixPath,
  unspec,
} from '../../../lib/index.js';
import type { Gen } from '../gen.js';
import { HUGE_STRING, NOT_INT32, STRINGS, throwSentinel } from '../values.js';
import { call, isObject, type Call, type Row } from './common.js';

const helper = (name: string, make: (g: Gen) => Call, extra: Partial<Row> = {}): Row => ({ name, make, ...extra });

const expectType = (type: 'string' | 'boolean' | 'number' | 'object') => (result: unknown) =>
  typeof result === type ? undefined : `returned ${typeof result}, not a ${type}`;

const CONSTANT_NAMES = Object.keys(c);

/** A number for errno-taking helpers (any number is valid), or (marked bad) a non-number. */
function errnoValue(g: Gen, name: string): unknown {
  if (g.rng.chance(0.85)) {
    return g.rng.chance(0.6)
      ? g.rng.pick([c.EAGAIN!, -c.EAGAIN!, c.ECONNREFUSED!, -c.EPIPE!, 0, -0, 4095, 100000, -1])
      : g.rng.pick(NOT_INT32);
  }
  g.bad.push(name);
  return g.rng.pick<unknown>(['11', null, undefined, Symbol('e'), 11n, {}, { valueOf: () => 11 }]);
}

/** A string argument, or (marked bad when `checked`) a non-string. */
function text(g: Gen, name: string, checked: boolean): unknown {
  if (g.rng.chance(0.8)) return g.rng.pick(STRINGS);
  if (checked) g.bad.push(name);
  return g.rng.pick<unknown>([5, null, undefined, Symbol('s'), {}, { toString: throwSentinel }]);
}

/**
 * An address object of any shape (the helpers take what they are given), or a non-object (bad when
 * `checked`; null and undefined too unless `optional`).
 */
function anyAddress(g: Gen, checked: boolean, optional = false, name = 'addr'): unknown {
  const before = g.bad.length;
  const value = g.address(g.rng.chance(0.5) ? 'bind' : 'connect');
  g.bad.length = before; // a malformed *object* is fine here; only the type is checked
  const absent = value === null || value === undefined;
  if (checked && !isObject(value) && !(optional && absent)) g.bad.push(name);
  return value;
}

function decodeCall(g: Gen): Call {
  const size = sys.layouts.tcp_info?.size ?? 0;
  let buf: unknown = Buffer.alloc(size);
  const r = g.rng.int(100);
  if (r < 15) buf = Buffer.alloc(g.rng.pick([0, 8, size >> 1]));
  else if (r < 20) buf = new Uint8Array(size);
  else if (r < 28) {
    g.bad.push('buf');
    buf = g.rng.pick([null, undefined, 5, 'buf', {}, new ArrayBuffer(size)]);
  }
  const bytes = ArrayBuffer.isView(buf) ? buf.byteLength : 0;
  let length: unknown = g.rng.pick([0, bytes, bytes >> 1, Math.min(bytes, 8)]);
  if (g.rng.chance(0.2)) {
    g.bad.push('length');
    length = g.rng.pick([bytes + 1, size + 100, -1, 1.5, NaN, Infinity, '8', null, undefined]);
  }
  return call([buf, length], decodeTcpInfo, { check: expectType('object') });
}

function pollRequestsCall(g: Gen): Call {
  const n = g.rng.int(100) < 95 ? g.rng.int(5) : 2000;
  const requests: unknown[] = [];
  for (let i = 0; i < n; i++) requests.push({ fd: g.poolFd(), events: g.rng.int(0x10000) });
  let value: unknown = requests;
  const r = g.rng.int(100);
  if (r < 25) {
    g.bad.push('requests');
    const bad = g.rng.pick<unknown>([
      null,
      undefined,
      5,
      'requests',
      { length: 1 },
      [null],
      [{}],
      [5],
      [{ fd: '3', events: 1 }],
      [{ fd: 1.5, events: 1 }],
      [{ fd: g.poolFd(), events: 0x10000 }],
      [{ fd: g.poolFd(), events: -1 }],
      [{ fd: g.poolFd(), events: 1.5 }],
      [{ fd: g.poolFd(), events: 1n }],
      [{ fd: g.poolFd(), events: Symbol('e') }],
      [{ fd: g.poolFd() }],
      new Array(2),
      [{ fd: 2 ** 32 + g.poolFd(), events: 1 }],
    ]);
    value = bad;
  } else if (r < 30) {
    value = [
      Object.defineProperty({ events: 1 }, 'fd', {
        enumerable: true,
        get: throwSentinel,
      }),
    ];
  }
  const timeout = g.rng.chance(0.85) ? 0 : g.int('timeout', [0], { badRate: 1 });
  return call([value, timeout], poll, {
    check: (result) =>
      Array.isArray(result) &&
      result.length === (value as unknown[]).length &&
      result.every((v) => typeof v === 'number')
        ? undefined
        : 'poll() must return one revents number per request',
  });
}

function socketErrorArgs(g: Gen, forCheck: boolean): unknown[] {
  const errno = errnoValue(g, forCheck ? 'result' : 'errno');
  const failing = typeof errno === 'number' && errno < 0;
  // check() builds an error only for a negative result: then its other arguments must be valid.
  const checked = !forCheck || failing;
  const syscall = text(g, 'syscall', checked);
  const args: unknown[] = [errno, syscall];
  const r = g.rng.int(10);
  if (r < 3) return args;
  if (r < 5) args.push(g.rng.pick([undefined, null]));
  else args.push(anyAddress(g, checked, true));
  if (!forCheck && g.rng.chance(0.5)) {
    const detail = text(g, 'detail', true);
    if (detail === undefined) g.bad.splice(g.bad.indexOf('detail'), 1); // undefined: no detail
    args.push(detail);
  }
  return args;
}

export const helperRows: Row[] = [
  helper(
    'constant',
    (g) => {
      const r = g.rng.int(100);
      let name: unknown;
      if (r < 60) name = g.rng.pick(CONSTANT_NAMES);
      else if (r < 80)
        name = g.rng.pick(['NOPE', 'SO_NOSIGPIPE', '__proto__', 'toString', 'constructor', '', 'af_inet']);
      else {
        g.bad.push('name');
        name = g.rng.pick([5, null, undefined, Symbol('AF_INET'), {}, ['AF_INET']]);
      }
      return call([name], constant, { check: expectType('number') });
    },
    {
      documented: (e) =>
        e instanceof Error && !(e instanceof TypeError) && / is not defined on this platform$/.test(e.message)
          ? 'Error (constant not defined)'
          : undefined,
    },
  ),
  helper('errnoName', (g) => call([errnoValue(g, 'errno')], errnoName, { check: expectType('string') })),
  helper('strerror', (g) => call([errnoValue(g, 'errno')], strerror, { check: expectType('string') })),
  helper('abstractName', (g) => call([text(g, 'name', true)], abstractName, { check: expectType('object') })),
  helper('unixPath', (g) => call([g.rng.chance(0.7) ? g.rng.pick(STRINGS) : g.anything()], unixPath)),
  helper('inet', (g) => call([g.rng.pick(['127.0.0.1', '::1', '', 'x', HUGE_STRING, 5]), g.anything()], inet)),
  helper('inet6', (g) => {
    const args: unknown[] = [g.rng.pick(['::1', '127.0.0.1', '', null]), g.anything()];
    if (g.rng.chance(0.6)) {
      if (g.rng.chance(0.75)) args.push(g.rng.pick([undefined, {}, { flowinfo: 1 }, { scopeId: 2, flowinfo: 'x' }]));
      else {
        g.bad.push('options');
        args.push(g.rng.pick([null, 5, 'options', Symbol('o')]));
      }
    }
    return call(args, inet6, { check: expectType('object') });
  }),
  helper('unspec', () => call([], unspec, { check: expectType('object') }), { weight: 0.2 }),
  helper('formatAddress', (g) => call([anyAddress(g, true)], formatAddress, { check: expectType('string') })),
  helper('isInetAddress', (g) => call([anyAddress(g, false)], isInetAddress, { check: expectType('boolean') })),
  helper('isUnixAddress', (g) => call([anyAddress(g, false)], isUnixAddress, { check: expectType('boolean') })),
  helper('tcpStateName', (g) => {
    let state: unknown = g.rng.chance(0.6) ? g.rng.int(15) : g.rng.pick(NOT_INT32);
    if (g.rng.chance(0.2)) {
      g.bad.push('state');
      state = g.rng.pick(['1', null, undefined, Symbol('s'), Object.create(null), 1n]);
    }
    return call([state], tcpStateName, { check: expectType('string') });
  }),
  helper('decodeTcpInfo', decodeCall),
  helper('poll', pollRequestsCall),
  {
    name: 'new SocketError',
    anyErrno: true,
    make: (g) => {
      const args = socketErrorArgs(g, false);
      return {
        args,
        run: () => Reflect.construct(SocketError, args),
        check: (r) => (r instanceof SocketError ? undefined : 'not a SocketError'),
      };
    },
  },
  {
    name: 'check',
    anyErrno: true,
    make: (g) => call(socketErrorArgs(g, true), check),
  },
];
