// The raw material of generated arguments: the two sentinel errors (so the classifier can tell an
// exception the fuzzer's own hostile input threw from one the library threw), numbers that are not
// 32-bit integers, values of the wrong type, strings, and byte views of every kind — Buffers,
// TypedArrays, DataViews, SharedArrayBuffer and resizable-ArrayBuffer views, detached views.

/** Thrown by a hostile input (a getter, valueOf, a Proxy trap): it must propagate unchanged. */
export class FuzzSentinel extends Error {
  constructor() {
    super('thrown by a hostile fuzz input');
    this.name = 'FuzzSentinel';
  }
}

/** The reason the harness aborts a batch's AbortSignal with: pending waits must reject with it. */
export class FuzzAbort extends Error {
  constructor() {
    super('the fuzz batch ended');
    this.name = 'FuzzAbort';
  }
}

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;

/** Numbers that are not 32-bit integers: every integer argument must refuse them (RangeError). */
export const NOT_INT32: readonly number[] = [
  0.5,
  -0.5,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 32,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  -1e308,
  Number.MIN_VALUE,
  Number.EPSILON,
  2 ** 64,
];

/** Integers at the edges, for arguments where any int32 is acceptable. */
export const EDGE_INT32: readonly number[] = [0, 1, -1, 2, 7, 255, 256, 65535, 65536, INT32_MAX, INT32_MIN, -2];

/** A getter/valueOf that throws the sentinel. */
export function throwSentinel(): never {
  throw new FuzzSentinel();
}

/**
 * Values of the wrong type for a number argument. Every one that JavaScript would coerce to a
 * number coerces to `near` (the caller passes one of its own fds), so a validation bug that let
 * a coercion through would hit the harness's own fd, never a foreign one.
 */
export function wrongTypesNear(near: number): unknown[] {
  return [
    String(near),
    `${near}.0`,
    ` ${near}`,
    [near],
    { valueOf: () => near },
    { [Symbol.toPrimitive]: () => near },
    new Number(near),
    BigInt(Math.trunc(near)),
    Symbol('fuzz'),
    undefined,
    () => near,
    Object.create(null),
    { valueOf: throwSentinel },
    new Proxy({}, { get: throwSentinel }),
  ];
}

/**
 * Wrong types that coerce to 0 or 1 (null, booleans, '', []). For fd arguments they would name
 * stdin/stdout if a coercion slipped through, so the harness first proves with a read-only call
 * that the fd check refuses them (see Harness.preflight).
 */
export const WRONG_TYPES_ZERO_ONE: readonly unknown[] = [null, true, false, '', []];

/** A long string (100k characters), built once. */
export const HUGE_STRING = 'x'.repeat(100_000);

/** Strings for string-or-anything arguments. */
export const STRINGS: readonly string[] = [
  '',
  'a',
  'poll',
  'send',
  'Default',
  'IGNORE',
  'ignore\0',
  '\0',
  '\ud800',
  'é€😀',
  'x'.repeat(300),
  HUGE_STRING,
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
];

/** Views kept alive after their buffer was transferred away, so that a view the addon still
 * points at after a detach reads the clone's memory (and the length check catches it), never
 * freed memory. Bounded. */
const transferred: ArrayBuffer[] = [];

/** Detaches `buffer` (structuredClone with transfer; Node 20 has no ArrayBuffer#transfer). */
export function detach(buffer: ArrayBuffer): void {
  try {
    transferred.push(structuredClone(buffer, { transfer: [buffer] }));
  } catch {
    return; // detached already
  }
  if (transferred.length > 16) transferred.shift();
}

/** A resizable ArrayBuffer (Node 20 has them; the lib's types predate the options argument). */
export type ResizableBuffer = ArrayBuffer & { resize(length: number): void; readonly maxByteLength: number };

export function resizable(length: number, maxByteLength: number): ResizableBuffer {
  const Ctor = ArrayBuffer as unknown as new (length: number, options: { maxByteLength: number }) => ResizableBuffer;
  return new Ctor(length, { maxByteLength });
}

/** What a hostile getter can do to the call's buffer while the addon reads its other arguments. */
export interface Shrinkable {
  /** Detach or shrink the buffer to nothing. */
  shrink(): void;
}
