// The arguments of one call. Every generator knows whether the value it returns is valid for the
// parameter; an invalid value of a checked parameter is recorded in `bad`, and the classifier then
// demands that the call refused it (TypeError/RangeError, or EBADF from a closed Socket, both before
// any syscall) instead of returning or failing in the kernel.
//
// Safety rules kept here, whatever the PRNG says:
// - an fd is one of the pool's, a number that can never be open (>= 2^31 - 64: above the kernel's
//   largest possible fd table), a negative number, or a value that is not an int32; every wrong-typed
//   or fractional fd is derived from a pool fd, so a coercion bug would hit our own fd;
// - addresses that could reach the network are the pool's own loopback addresses; unix paths lie in
//   the epoch's temp dir; abstract names carry a per-process prefix; the rest is malformed;
// - wait timeouts are 0–2 ms, or the batch's AbortSignal bounds them; poll(2) timeouts are 0.
import type { Poller, Socket, SockAddr } from '../../lib/index.js';
import { constants as c } from '../../lib/index.js';
import type { NetTargets } from './net-targets.js';
import { closeOwned, freshSocket, type FreshKind, type Pool } from './pool.js';
import type { Rng } from './prng.js';
import {
  EDGE_INT32,
  HUGE_STRING,
  NOT_INT32,
  STRINGS,
  WRONG_TYPES_ZERO_ONE,
  detach,
  resizable,
  throwSentinel,
  wrongTypesNear,
} from './values.js';

/** What the harness gives every call. */
export interface CallContext {
  readonly pool: Pool;
  readonly net: NetTargets;
  /** Pollers the fuzzer made this batch (closed at its end). */
  readonly pollers: Poller[];
  /** Aborted (with a FuzzAbort) when the batch ends: bounds every wait given it. */
  readonly batchSignal: AbortSignal;
  /** Aborted already. */
  readonly abortedSignal: AbortSignal;
  /** Views reused across calls (never detached). */
  readonly cache: Map<string, ArrayBufferView>;
  /** Work for the end of the batch (closing pollers, net objects …). */
  readonly atBatchEnd: (() => void)[];
  /** A counter for unique names. */
  next(): number;
}

/** Numbers no fd can ever have: Linux caps the fd table at 2^31 - 64 (sysctl_nr_open_max). */
export const NEVER_OPEN_FDS: readonly number[] = [0x7fffffff, 0x7fffffc1, 0x7fffffe0];

const SIZES: readonly number[] = [0, 1, 3, 8, 8, 16, 16, 64, 64, 512, 1500, 4096, 65536];

type Kind = 'view' | 'range' | 'type' | 'value';

export class Gen {
  /** Checked parameters that got an invalid value. */
  readonly bad: string[] = [];
  /** The call targets a closed Socket: EBADF (no syscall) may come before the argument checks. */
  closedTarget = false;
  /** Run when the call has settled (closing what was made for it). */
  readonly cleanups: (() => void)[] = [];
  /** What hostile getters do to this call's fresh buffers while the addon reads other arguments. */
  readonly #shrinkers: (() => void)[] = [];

  constructor(
    readonly rng: Rng,
    readonly ctx: CallContext,
  ) {}

  #mark(name: string, _kind: Kind): void {
    this.bad.push(name);
  }

  /** Detaches or shrinks this call's fresh buffers (what a hostile getter does). */
  shrinkAll(): void {
    for (const shrink of this.#shrinkers) shrink();
  }

  // ── numbers ──────────────────────────────────────────────────────────────────────────────

  /** A pool fd. */
  poolFd(): number {
    const entries = this.ctx.pool.entries;
    return entries[this.rng.int(entries.length)]!.fd;
  }

  /**
   * An fd argument: a pool fd (or `own`, for calls that may close it), a never-open number, a
   * negative one, or (marked bad) a value that is not an int32.
   */
  fd(name = 'fd', own?: number): unknown {
    const near = own ?? this.poolFd();
    const r = this.rng.int(100);
    if (r < 72) return near;
    if (r < 77) return this.rng.pick(NEVER_OPEN_FDS);
    if (r < 82) return this.rng.pick([-1, -near, -0x80000000]);
    this.#mark(name, 'type');
    if (r < 88)
      return this.rng.pick([near + 0.5, near - 0.25, near + 2 ** 32, -(2 ** 32) + near, NaN, Infinity, -Infinity]);
    if (r < 97) return this.rng.pick(wrongTypesNear(near));
    return this.rng.pick(WRONG_TYPES_ZERO_ONE);
  }

  /**
   * An integer argument: one of `valid` (or any int32 when `anyInt32`), or (marked bad) a number
   * that is not an int32 or a value of another type. `optional`: undefined is valid.
   */
  int(
    name: string,
    valid: readonly number[],
    opts: { anyInt32?: boolean; optional?: boolean; badRate?: number } = {},
  ): unknown {
    const r = this.rng.next() / 0x100000000;
    const badRate = opts.badRate ?? 0.18;
    if (r >= badRate) {
      if (opts.optional && this.rng.chance(0.1)) return undefined;
      if (opts.anyInt32 && this.rng.chance(0.3))
        return this.rng.chance(0.5) ? this.rng.int32() : this.rng.pick(EDGE_INT32);
      return this.rng.pick(valid);
    }
    const value = this.rng.chance(0.5) ? this.rng.pick(NOT_INT32) : this.rng.pick(this.#wrongTypes());
    if (!(value === undefined && opts.optional)) this.#mark(name, 'range');
    return value;
  }

  #wrongTypes(): readonly unknown[] {
    return [...wrongTypesNear(1), ...WRONG_TYPES_ZERO_ONE];
  }

  /** send(2)/recv(2) flags: OR-ed MSG_* constants, any int32, or bad. */
  msgFlags(name = 'flags', optional = false): unknown {
    const names = [
      'MSG_DONTWAIT',
      'MSG_NOSIGNAL',
      'MSG_PEEK',
      'MSG_TRUNC',
      'MSG_OOB',
      'MSG_WAITALL',
      'MSG_MORE',
      'MSG_CONFIRM',
      'MSG_ERRQUEUE',
      'MSG_EOR',
      'MSG_DONTROUTE',
      'MSG_CTRUNC',
    ];
    if (this.rng.chance(0.85)) {
      if (optional && this.rng.chance(0.1)) return undefined;
      if (this.rng.chance(0.08)) return this.rng.int32();
      let flags = 0;
      const n = this.rng.int(3);
      for (let i = 0; i < n; i++) flags |= c[this.rng.pick(names)] ?? 0;
      return flags;
    }
    return this.int(name, [0], { badRate: 1, optional });
  }

  /** A boolean or anything (unchecked: the parameter takes truthiness). */
  truthy(): unknown {
    return this.rng.pick([true, 1, 'yes', {}, [], Symbol('t'), -1]);
  }

  /** Any value at all (for unchecked parameters). */
  anything(): unknown {
    return this.rng.pick([
      ...this.#wrongTypes(),
      ...NOT_INT32,
      0,
      1,
      -1,
      'x',
      HUGE_STRING,
      new Uint8Array(2),
      { family: 2 },
    ]);
  }

  /**
   * A string from `valid`, another string, or a non-string. `check`: 'exact' (only `valid` is
   * valid), 'type' (any string is), 'none' (anything is).
   */
  string(name: string, valid: readonly string[], check: 'exact' | 'type' | 'none', validRate = 0.7): unknown {
    if (this.rng.chance(validRate)) return this.rng.pick(valid);
    if (this.rng.chance(0.5)) {
      const s = this.rng.pick(STRINGS);
      if (check === 'exact' && !valid.includes(s)) this.#mark(name, 'value');
      return s;
    }
    if (check !== 'none') this.#mark(name, 'type');
    return this.rng.pick<unknown>([
      5,
      null,
      undefined,
      Symbol('s'),
      {},
      ['ignore'],
      new String('ignore'),
      { toString: throwSentinel },
    ]);
  }

  // ── bytes ────────────────────────────────────────────────────────────────────────────────

  #cached(key: string, make: () => ArrayBufferView): ArrayBufferView {
    let view = this.ctx.cache.get(key);
    if (view === undefined) {
      view = make();
      this.ctx.cache.set(key, view);
    }
    return view;
  }

  /**
   * A byte view: a Buffer (pooled or not, with an offset), a TypedArray of any element size, a
   * DataView, a SharedArrayBuffer or resizable-ArrayBuffer view, one out of bounds after a
   * shrink, a detached one — or one (fresh) that a hostile getter will detach or shrink during
   * the call. `checked`: a non-view is marked bad.
   */
  bytes(name: string, checked = true): ArrayBufferView {
    const size = this.rng.pick(SIZES);
    const r = this.rng.int(100);
    if (r < 40) return this.#cached(`buffer${size}`, () => Buffer.alloc(size));
    if (r < 46) return this.#cached(`sub${size}`, () => Buffer.alloc(size + 8).subarray(3, 3 + size));
    if (r < 50) return this.#cached(`unsafe${size}`, () => Buffer.allocUnsafe(size).fill(0));
    if (r < 62) {
      const kind = this.rng.pick(['i16', 'u32', 'f64', 'b64', 'u8c', 'f32', 'dv', 'i8'] as const);
      return this.#cached(`${kind}${size}`, () => typedView(kind, size));
    }
    if (r < 65) return this.#cached(`shared${size}`, () => new Uint8Array(new SharedArrayBuffer(size)));
    if (r < 68) return this.#cached(`rab${size}`, () => new Uint8Array(resizable(size, size * 2 + 16)));
    if (r < 70) {
      const rab = resizable(size + 16, size + 64);
      const view = new Uint8Array(rab, 8, 8);
      rab.resize(4); // the fixed-length view now lies past the end
      return view;
    }
    if (r < 73) {
      const view = new Uint8Array(new ArrayBuffer(size));
      detach(view.buffer as ArrayBuffer);
      return view;
    }
    if (r < 88) {
      // Fresh, so that a hostile getter can pull it away mid-call.
      if (this.rng.chance(0.5)) {
        const view = new Uint8Array(new ArrayBuffer(size));
        this.#shrinkers.push(() => detach(view.buffer as ArrayBuffer));
        return view;
      }
      const rab = resizable(size, size + 4096);
      this.#shrinkers.push(() => rab.resize(0));
      return new Uint8Array(rab);
    }
    if (r < 97 || !checked) return this.#cached(`zero`, () => Buffer.alloc(0));
    this.#mark(name, 'view');
    // No strings: where a view is asked for, some parameters take a string as well.
    return this.rng.pick([
      null,
      undefined,
      5,
      {},
      [1, 2],
      new ArrayBuffer(8),
      { byteLength: 8, buffer: new ArrayBuffer(8) },
    ]) as never;
  }

  /**
   * (offset, length) for a view of `byteLength` bytes: in range, or (marked bad) past the end,
   * negative, fractional, NaN/Infinity, beyond 2^53, or not a number.
   */
  range(byteLength: number, optional = false): [unknown, unknown] {
    const r = this.rng.int(100);
    if (r < 70) {
      if (optional && this.rng.chance(0.2)) return [undefined, undefined];
      const offset = this.rng.pick([0, 0, 0, Math.min(1, byteLength), byteLength >> 1, byteLength]);
      const rest = byteLength - offset;
      return [offset, this.rng.pick([rest, rest, 0, rest >> 1, Math.min(1, rest)])];
    }
    const badOffset = this.rng.chance(0.5);
    const bad = this.rng.pick<unknown>([
      byteLength + 1,
      byteLength + 4096,
      -1,
      0.5,
      NaN,
      Infinity,
      -Infinity,
      2 ** 53,
      2 ** 53 + 2,
      2 ** 64,
      '0',
      1n,
      { valueOf: () => 0 },
      // An optional offset/length treats null like undefined (`??`).
      ...(optional ? [] : [undefined, null]),
    ]);
    this.#mark(badOffset ? 'offset' : 'length', 'range');
    // An optional length left out makes the caller compute it from the offset: a bad offset must
    // still be refused as such, never break that arithmetic.
    if (badOffset && optional && this.rng.chance(0.5)) return [bad, undefined];
    return badOffset ? [bad, 0] : [0, bad];
  }

  /** An Int32Array of at least `min` elements, or (marked bad) a shorter or other array. */
  int32Array(name: string, min: number): unknown {
    const r = this.rng.int(100);
    if (r < 60) return new Int32Array(min + this.rng.int(2));
    if (r < 68) return new Int32Array(min + 2).subarray(1);
    if (r < 74) return new Int32Array(new SharedArrayBuffer(4 * min));
    this.#mark(name, 'view');
    if (r < 80 && min > 0) return new Int32Array(min - 1);
    if (r < 85) {
      const a = new Int32Array(min + 1);
      detach(a.buffer as ArrayBuffer);
      return a;
    }
    return this.rng.pick([new Uint32Array(min + 1), new Int16Array(8), [0, 0], null, undefined, 'x', Buffer.alloc(8)]);
  }

  // ── addresses ────────────────────────────────────────────────────────────────────────────

  /**
   * An address for bind (`'bind'`) or connect/sendto (`'connect'`): one of the pool's (copied,
   * sometimes behind getters that shrink the call's buffers or throw), or a malformed one (bad).
   */
  address(purpose: 'bind' | 'connect', name = 'address', nullable = false): unknown {
    const pool = this.ctx.pool;
    const list = purpose === 'bind' ? pool.bindAddresses : pool.connectAddresses;
    const r = this.rng.int(100);
    if (r < 62) return { ...this.rng.pick(list) };
    if (r < 70) return Object.freeze({ ...this.rng.pick(list) });
    if (r < 78) return this.#hostileAddress(this.rng.pick(list));
    const malformed = this.#malformedAddress();
    // sendto takes null/undefined for "the connected peer".
    if (!(nullable && (malformed === null || malformed === undefined))) this.#mark(name, 'value');
    return malformed;
  }

  #hostileAddress(address: SockAddr): unknown {
    const copy: Record<string, unknown> = { ...address };
    const key = this.rng.pick(Object.keys(copy));
    const r = this.rng.int(3);
    if (r === 0) {
      const value = copy[key];
      return Object.defineProperty(copy, key, {
        enumerable: true,
        get: () => {
          this.shrinkAll();
          return value;
        },
      });
    }
    if (r === 1) return Object.defineProperty(copy, key, { enumerable: true, get: throwSentinel });
    return new Proxy(copy, {
      get: (target, property, receiver) => {
        this.shrinkAll();
        return Reflect.get(target, property, receiver);
      },
    });
  }

  #malformedAddress(): unknown {
    const dir = this.ctx.pool.dir;
    const AF_INET = c.AF_INET!;
    const AF_INET6 = c.AF_INET6!;
    const AF_UNIX = c.AF_UNIX!;
    const lo = '127.0.0.1';
    return this.rng.pick([
      null,
      undefined,
      5,
      'address',
      Symbol('address'),
      true,
      [],
      {},
      { family: 'x' },
      { family: -1 },
      { family: 65536 },
      { family: 1.5 },
      { family: 9999, address: lo, port: 0 },
      { family: c.AF_PACKET ?? 17 },
      { family: null },
      { family: new Number(AF_INET), address: lo, port: 0 },
      { family: AF_INET },
      { family: AF_INET, address: 5, port: 0 },
      { family: AF_INET, address: '', port: 0 },
      // Malformed, and chosen so that a parser that wrongly accepted them would still land in
      // 127.0.0.0/8 (inet_aton reads '127.1' as 127.0.0.1): never a routable address.
      { family: AF_INET, address: '127.1', port: 0 },
      { family: AF_INET, address: '127.0.0.256', port: 0 },
      { family: AF_INET, address: '127.0.0.1\0junk', port: 0 },
      { family: AF_INET, address: ' 127.0.0.1', port: 0 },
      { family: AF_INET, address: 'localhost', port: 0 },
      { family: AF_INET, address: HUGE_STRING, port: 0 },
      { family: AF_INET, address: '::1', port: 0 },
      { family: AF_INET, address: lo },
      { family: AF_INET, address: lo, port: -1 },
      { family: AF_INET, address: lo, port: 65536 },
      { family: AF_INET, address: lo, port: 1.5 },
      { family: AF_INET, address: lo, port: NaN },
      { family: AF_INET, address: lo, port: '80' },
      { family: AF_INET, address: lo, port: null },
      { family: AF_INET, address: lo, port: 2 ** 53 },
      { family: AF_INET, address: lo, port: Infinity },
      { family: AF_INET6, address: lo, port: 0 },
      { family: AF_INET6, address: 'fe80::1%lo', port: 0 },
      { family: AF_INET6, address: '::1::', port: 0 },
      { family: AF_INET6, address: '::1', port: 0, flowinfo: -1 },
      { family: AF_INET6, address: '::1', port: 0, flowinfo: 2 ** 32 },
      { family: AF_INET6, address: '::1', port: 0, flowinfo: 1.5 },
      { family: AF_INET6, address: '::1', port: 0, flowinfo: 'x' },
      { family: AF_INET6, address: '::1', port: 0, scopeId: -1 },
      { family: AF_INET6, address: '::1', port: 0, scopeId: 2 ** 32 },
      { family: AF_INET6, address: '::1', port: 0, scopeId: NaN },
      { family: AF_INET6, address: '::1', port: 70000 },
      { family: AF_UNIX },
      { family: AF_UNIX, path: 5 },
      { family: AF_UNIX, path: '' },
      { family: AF_UNIX, path: new Uint16Array(4) },
      { family: AF_UNIX, path: `${dir}/${'x'.repeat(120)}` },
      { family: AF_UNIX, path: `${dir}/a\0b.sock` },
      { family: AF_UNIX, path: new Uint8Array(200) },
      { family: AF_UNIX, path: detachedBytes() },
      { family: AF_UNIX, path: `\0${this.ctx.pool.abstractPrefix}${'x'.repeat(120)}` },
      { family: AF_UNIX, path: HUGE_STRING },
      { family: AF_UNIX, path: null },
      {
        get family(): number {
          return throwSentinel();
        },
      },
    ]);
  }

  /** An object the call writes an address into; null/undefined are valid only when `nullable`. */
  addressTarget(name: string, nullable: boolean): unknown {
    const r = this.rng.int(100);
    if (r < 55) return {};
    if (r < 60) return Object.create(null);
    if (r < 64) return Object.freeze({});
    if (r < 67) return [];
    if (r < 75) {
      if (!nullable) this.#mark(name, 'type');
      return this.rng.pick([null, undefined]);
    }
    if (r < 85)
      return this.rng.chance(0.5)
        ? new Proxy({}, { set: throwSentinel, defineProperty: throwSentinel })
        : Object.defineProperty({}, 'family', { set: throwSentinel });
    this.#mark(name, 'type');
    return this.rng.pick([5, 'address', Symbol('t'), true, 1n]);
  }

  // ── sockets and options ──────────────────────────────────────────────────────────────────

  /** A pool Socket whose entry name matches `pattern` (with probability `p`), else {@link socket}. */
  socketNamed(pattern: RegExp, p = 0.6): Socket {
    const matching = this.ctx.pool.entries.filter((e) => pattern.test(e.name));
    if (matching.length > 0 && this.rng.chance(p)) return this.rng.pick(matching).socket;
    return this.socket();
  }

  /** A Socket made for this call (closed when the call settles unless the call gave it away). */
  fresh(kind: FreshKind): { socket: Socket; peer?: Socket } {
    const made = freshSocket(kind, this.ctx.pool.dir, this.ctx.next());
    this.cleanups.push(() => {
      closeOwned(made.socket);
      if (made.peer !== undefined) closeOwned(made.peer);
    });
    return made;
  }

  /** A Socket of the pool, or (sometimes) a closed one. */
  socket(): Socket {
    const pool = this.ctx.pool;
    if (this.rng.chance(0.08)) {
      this.closedTarget = true;
      return this.rng.pick(pool.closed);
    }
    return pool.socketAt(this.rng.int(pool.entries.length));
  }

  /**
   * WaitOptions for an async helper: a timeout of 0–2 ms, or the batch's signal (so nothing waits
   * past the batch), an aborted signal — or (marked bad) a wrong type or value.
   */
  waitOptions(name = 'options'): unknown {
    const { batchSignal, abortedSignal } = this.ctx;
    const r = this.rng.int(100);
    if (r < 30) return { timeout: 0 };
    if (r < 45) return { timeout: this.rng.pick([1, 2, 0.5]) };
    if (r < 55) return { signal: batchSignal };
    if (r < 60) return { timeout: Infinity, signal: batchSignal };
    if (r < 65) return { timeout: 2, signal: abortedSignal };
    if (r < 68)
      return {
        get timeout(): number {
          return throwSentinel();
        },
      };
    this.#mark(name, 'value');
    return this.rng.pick([
      null,
      5,
      'options',
      Symbol('o'),
      true,
      { timeout: -1 },
      { timeout: NaN },
      { timeout: '1' },
      { timeout: 2 ** 31 },
      { timeout: -Infinity },
      { timeout: 1n },
      { timeout: 0, signal: {} },
      { timeout: 0, signal: 'abort' },
      { timeout: 0, signal: null },
    ]);
  }
}

function typedView(kind: 'i16' | 'u32' | 'f64' | 'b64' | 'u8c' | 'f32' | 'dv' | 'i8', size: number): ArrayBufferView {
  const buffer = new ArrayBuffer(size + 8);
  switch (kind) {
    case 'i16':
      return new Int16Array(buffer, 2, size >> 1);
    case 'u32':
      return new Uint32Array(buffer, 4, size >> 2);
    case 'f64':
      return new Float64Array(buffer, 8, size >> 3);
    case 'b64':
      return new BigInt64Array(buffer, 0, size >> 3);
    case 'u8c':
      return new Uint8ClampedArray(buffer, 1, size);
    case 'f32':
      return new Float32Array(buffer, 0, size >> 2);
    case 'dv':
      return new DataView(buffer, 3, size);
    case 'i8':
      return new Int8Array(buffer, 5, size);
  }
}

function detachedBytes(): Uint8Array {
  const bytes = new Uint8Array(16);
  detach(bytes.buffer as ArrayBuffer);
  return bytes;
}
