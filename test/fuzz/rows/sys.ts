// Rows for the raw layer: one per function of `sys`. Every call returns >= 0 or -errno, or throws
// a TypeError/RangeError before the syscall.
import { constants as c, sys } from '../../../lib/index.js';
import type { Gen } from '../gen.js';
import { freshFd, closeRaw } from '../pool.js';
import { throwSentinel } from '../values.js';
import { atMost, call, closeReturnedFd, lengthNow, type Call, type Row } from './common.js';
import { fcntlCmd, ioctlRequest, optionPair, safeSignals, socketTriple } from './shapes.js';

const ADDRESS_CALLS = new Set(['bind', 'connect', 'sendto', 'listen']);
const raw = (name: string, make: (g: Gen) => Call, weight = 1): Row => ({
  name: `sys.${name}`,
  raw: true,
  weight,
  make,
  touchesAddress: ADDRESS_CALLS.has(name),
});

/** The most a call may report for (view, offset, length): the range, as the view is now. */
function rangeNow(view: unknown, offset: unknown, length: unknown): number {
  if (typeof offset !== 'number' || typeof length !== 'number') return 0;
  return Math.max(0, Math.min(length, lengthNow(view) - offset));
}

function ioCall(g: Gen, fn: 'send' | 'recv'): Call {
  const view = g.bytes('buffer');
  const [offset, length] = g.range(lengthNow(view));
  const flags = g.msgFlags();
  const truncates = fn === 'recv' && typeof flags === 'number' && (flags & c.MSG_TRUNC!) !== 0;
  return call([g.fd(), view, offset, length, flags], sys[fn], {
    check: truncates ? undefined : atMost(() => rangeNow(view, offset, length), fn),
  });
}

let segmentsForm: boolean | undefined;

/** Whether this build has writev(fd, buffer, segments) (it is new; probed with fd -1). */
function hasSegmentsForm(): boolean {
  if (segmentsForm === undefined) {
    try {
      segmentsForm = typeof sys.writev(-1, Buffer.alloc(0) as never, new Uint32Array(0) as never) === 'number';
    } catch {
      segmentsForm = false;
    }
  }
  return segmentsForm;
}

const IOV_MAX = 1024;
const manyViews = (n: number) => new Array<Buffer>(n).fill(Buffer.alloc(1));

/** writev's arguments: an array of views (hostile ones too), or (new form) a buffer and segments. */
function writevCall(g: Gen): Call {
  const fd = g.fd();
  const r = g.rng.int(100);
  if (r < 16 && hasSegmentsForm()) {
    const buffer = g.bytes('buffer');
    const n = lengthNow(buffer);
    let segments: unknown;
    if (g.rng.chance(0.75)) {
      const pairs = g.rng.int(5);
      const s = new Uint32Array(pairs * 2);
      for (let i = 0; i < pairs; i++) {
        const offset = g.rng.int(n + 1);
        s[2 * i] = offset;
        s[2 * i + 1] = g.rng.int(n - offset + 1);
      }
      segments = s;
    } else {
      g.bad.push('segments');
      segments = g.rng.pick([
        new Uint32Array([0]),
        new Uint32Array([n, 1]),
        new Uint32Array([0, n + 1]),
        new Uint32Array([0xffffffff, 0xffffffff]),
        new Uint32Array(2 * (IOV_MAX + 1)),
        new Int32Array(2),
        [0, 0],
        null,
        'segments',
      ]);
    }
    const total = () =>
      segments instanceof Uint32Array ? segments.reduce((sum, v, i) => (i % 2 === 1 ? sum + v : sum), 0) : 0;
    return call([fd, buffer, segments], sys.writev, { check: atMost(total, 'writev') });
  }
  let buffers: unknown;
  if (r < 62) {
    const list = Array.from({ length: g.rng.int(6) }, () => g.bytes('buffers[i]'));
    buffers = list;
  } else if (r < 72) {
    // A getter on one element runs while the addon walks the array: it detaches or shrinks the
    // elements before it, or throws.
    const list: unknown[] = Array.from({ length: 2 + g.rng.int(3) }, () => g.bytes('buffers[i]'));
    const at = 1 + g.rng.int(list.length - 1);
    const value = list[at];
    const throws = g.rng.chance(0.3);
    Object.defineProperty(list, at, {
      enumerable: true,
      get: () => {
        if (throws) throwSentinel();
        g.shrinkAll();
        return value;
      },
    });
    buffers = list;
  } else if (r < 76) {
    buffers = manyViews(IOV_MAX);
  } else {
    g.bad.push('buffers');
    buffers = g.rng.pick([
      manyViews(IOV_MAX + 1),
      new Array(1_000_000),
      [Buffer.alloc(1), , Buffer.alloc(1)], // eslint-disable-line no-sparse-arrays
      [Buffer.alloc(1), 'x'],
      [null],
      Buffer.alloc(4),
      { length: 1, 0: Buffer.alloc(1) },
      'buffers',
      null,
      undefined,
      5,
      new Set([Buffer.alloc(1)]),
    ]);
  }
  const total = () => (Array.isArray(buffers) ? buffers.reduce((sum: number, v: unknown) => sum + lengthNow(v), 0) : 0);
  return call([fd, buffers], sys.writev, { check: atMost(total, 'writev') });
}

/** A struct pollfd array over pool fds (and -1 and never-open numbers), in views of every kind. */
function pollCall(g: Gen): Call {
  const layout = sys.layouts.pollfd!;
  const f = layout.fields;
  const n = g.rng.int(5);
  const buf = Buffer.alloc(layout.size * n);
  for (let i = 0; i < n; i++) {
    const base = i * layout.size;
    const fd = g.rng.chance(0.85) ? g.poolFd() : g.rng.pick([-1, 0x7fffffff]);
    buf.writeInt32LE(fd, base + f.fd![0]);
    buf.writeInt16LE((g.rng.next() & 0xffff) - 0x8000, base + f.events![0]);
  }
  let fds: unknown = buf;
  const r = g.rng.int(100);
  if (r < 10) fds = new Int32Array(buf.buffer, buf.byteOffset, buf.byteLength >> 2);
  else if (r < 15) fds = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  else if (r < 22 && n > 0) {
    const misaligned = Buffer.alloc(buf.length + 1);
    buf.copy(misaligned, 1);
    fds = misaligned.subarray(1);
    g.bad.push('fds');
  } else if (r < 26) {
    g.bad.push('fds');
    fds = g.rng.pick([null, [buf], 'fds', 5]);
  }
  let nfds: unknown = g.rng.chance(0.8) ? n : 0;
  if (g.rng.chance(0.12)) {
    g.bad.push('nfds');
    nfds = g.rng.pick([n + 1, n + 1000, 2 ** 31, -1, 0.5, NaN, '1', null]);
  }
  // Only 0: a negative timeout waits forever, a positive one sleeps; both are fuzzed as refused values.
  const timeout = g.rng.chance(0.85) ? 0 : g.int('timeout', [0], { badRate: 1 });
  return call([fds, nfds, timeout], sys.poll, { check: atMost(() => (typeof nfds === 'number' ? nfds : 0), 'poll') });
}

let signals: ReturnType<typeof safeSignals> | undefined;

/** sys.signal with the signals that are safe to change (see shapes.safeSignals). */
function signalCall(g: Gen): Call {
  signals ??= safeSignals();
  const r = g.rng.int(100);
  let signum: unknown;
  let disposition: unknown;
  if (r < 40 && signals.both.length > 0) {
    signum = g.rng.pick(signals.both);
    disposition = g.string('disposition', ['default', 'ignore'], 'exact', 0.8);
  } else if (r < 55 && signals.ignoreOnly.length > 0) {
    signum = g.rng.pick(signals.ignoreOnly);
    disposition = 'ignore';
  } else if (r < 80) {
    signum = g.rng.pick(signals.refused);
    disposition = g.string('disposition', ['default', 'ignore'], 'exact', 0.8);
  } else {
    signum = g.int('signum', [0], { badRate: 1 });
    disposition = 'ignore';
  }
  return call([signum, disposition], sys.signal);
}

export const sysRows: Row[] = [
  raw('socket', (g) => call(socketTriple(g, false), sys.socket, { after: closeReturnedFd })),
  raw('socketpair', (g) => {
    const sv = g.int32Array('sv', 2);
    return call([...socketTriple(g, false), sv], sys.socketpair, {
      after: (result) => {
        if (result === 0 && sv instanceof Int32Array) {
          closeRaw(sv[0]!);
          closeRaw(sv[1]!);
        }
      },
    });
  }),
  raw('bind', (g) => call([g.fd(), g.address('bind')], sys.bind)),
  raw('listen', (g) => call([g.fd(), g.int('backlog', [0, 1, 16, 4096, -1], { anyInt32: true })], sys.listen)),
  raw('accept', (g) => call([g.fd(), g.addressTarget('peer', true)], sys.accept, { after: closeReturnedFd })),
  raw('accept4', (g) => {
    const flags = g.int('flags', [c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!, c.SOCK_NONBLOCK!, c.SOCK_CLOEXEC!, 0], {
      anyInt32: true,
    });
    return call([g.fd(), g.addressTarget('peer', true), flags], sys.accept4, { after: closeReturnedFd });
  }),
  raw('connect', (g) => call([g.fd(), g.address('connect')], sys.connect), 2),
  raw('send', (g) => ioCall(g, 'send'), 2),
  raw('recv', (g) => ioCall(g, 'recv'), 2),
  raw('writev', writevCall, 2),
  raw(
    'sendto',
    (g) => {
      const view = g.bytes('buffer');
      const [offset, length] = g.range(lengthNow(view));
      const address = g.rng.chance(0.2) ? g.rng.pick([null, undefined]) : g.address('connect', 'address', true);
      return call([g.fd(), view, offset, length, g.msgFlags(), address], sys.sendto, {
        check: atMost(() => rangeNow(view, offset, length), 'sendto'),
      });
    },
    2,
  ),
  raw(
    'recvfrom',
    (g) => {
      const view = g.bytes('buffer');
      const [offset, length] = g.range(lengthNow(view));
      const flags = g.msgFlags();
      const truncates = typeof flags === 'number' && (flags & c.MSG_TRUNC!) !== 0;
      return call([g.fd(), view, offset, length, flags, g.addressTarget('source', true)], sys.recvfrom, {
        check: truncates ? undefined : atMost(() => rangeNow(view, offset, length), 'recvfrom'),
      });
    },
    2,
  ),
  raw(
    'shutdown',
    (g) => call([g.fd(), g.int('how', [c.SHUT_RD!, c.SHUT_WR!, c.SHUT_RDWR!, 3, -1])], sys.shutdown),
    0.5,
  ),
  raw('close', (g) => {
    // Only an fd made for this call: closing a pool fd would free its number for anyone.
    const own = freshFd();
    const fd = g.fd('fd', own);
    return call([fd], sys.close, {
      after: (result, threw) => {
        const closed = fd === own && !threw && typeof result === 'number';
        if (!closed) sys.close(own);
      },
    });
  }),
  raw('fcntl', (g) => {
    const fd = g.fd();
    const cmd = fcntlCmd(g);
    const args: unknown[] = [fd, cmd];
    if (g.rng.chance(0.8))
      args.push(g.int('arg', [0, 1, c.O_NONBLOCK!, c.FD_CLOEXEC!, 3, 100], { anyInt32: true, optional: true }));
    return call(args, sys.fcntl, {
      after: (result) => {
        g.ctx.pool.restoreFlags(fd);
        const dups = cmd === c.F_DUPFD || cmd === c.F_DUPFD_CLOEXEC;
        if (dups && typeof result === 'number' && result >= 0) sys.close(result);
      },
    });
  }),
  raw('ioctl', (g) => {
    const fd = g.fd();
    const value = g.int32Array('value', 1);
    if (value instanceof Int32Array && value.length > 0) value[0] = g.rng.pick([0, 1, -1, 7]);
    return call([fd, ioctlRequest(g), value], sys.ioctl, { after: () => g.ctx.pool.restoreFlags(fd) });
  }),
  raw('getsockopt', (g) => {
    const [level, optname] = optionPair(g, true);
    const optval = g.bytes('optval');
    return call([g.fd(), level, optname, optval], sys.getsockopt, {
      check: atMost(() => lengthNow(optval), 'getsockopt optlen'),
    });
  }),
  raw('setsockopt', (g) => {
    const [level, optname] = optionPair(g, false);
    let optval: unknown;
    if (g.rng.chance(0.3)) {
      const bytes = Buffer.alloc(g.rng.pick([1, 4, 8, 16]));
      for (let i = 0; i < bytes.length; i++) bytes[i] = g.rng.int(256);
      optval = bytes;
    } else optval = g.bytes('optval');
    return call([g.fd(), level, optname, optval], sys.setsockopt);
  }),
  raw('getsockname', (g) => call([g.fd(), g.addressTarget('address', false)], sys.getsockname)),
  raw('getpeername', (g) => call([g.fd(), g.addressTarget('address', false)], sys.getpeername)),
  raw('poll', pollCall),
  raw('gettid', () => call([], sys.gettid, { check: (r) => (r === 0 ? 'thread id 0' : undefined) }), 0.2),
  raw('signal', signalCall, 0.5),
];
