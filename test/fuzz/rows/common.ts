// What a call-table row is, and the helpers every row file uses.
import { constants as c } from '../../../lib/index.js';
import type { Gen } from '../gen.js';
import type { Classifier } from '../outcome.js';
import { closeRaw } from '../pool.js';

/** One generated call, ready to run. */
export interface Call {
  /** The arguments (for the failure report). */
  readonly args: readonly unknown[];
  /** Makes the call: returns its result, a promise of it, or throws. */
  run(): unknown;
  /** A problem with a successful result (undefined: none). */
  check?(result: unknown): string | undefined;
  /**
   * Runs right after the call returned or threw (sync) or settled (async): restores pool flags,
   * closes what the call made. Sockets and net objects in the result are closed by the harness.
   */
  after?(result: unknown, threw: boolean): void;
}

/** One exported function and how to call it. */
export interface Row extends Classifier {
  /** 'sys.send', 'Socket#send', 'Socket.create', 'new Poller', 'formatAddress' … */
  readonly name: string;
  /** Relative frequency (default 1). */
  readonly weight?: number;
  /** May bind, connect, send to or listen: the harness runs Pool.guard right after it. */
  readonly touchesAddress?: boolean;
  make(g: Gen): Call;
}

/** A call of `fn` with `args`. */
export function call(args: unknown[], fn: (...a: never[]) => unknown, extra: Partial<Call> = {}): Call {
  return { args, run: () => Reflect.apply(fn, undefined, args), ...extra };
}

/** A call of method `name` of `target` with `args`. */
export function invoke(target: object, name: string | symbol, args: unknown[], extra: Partial<Call> = {}): Call {
  const fn = (target as Record<string | symbol, unknown>)[name] as (...a: unknown[]) => unknown;
  return { args: [target, ...args], run: () => Reflect.apply(fn, target, args), ...extra };
}

/** A getter's value. */
export function read(target: object, name: string): Call {
  return { args: [target], run: () => (target as Record<string, unknown>)[name] };
}

/** Closes the fd a raw call returned (≥ 0). */
export function closeReturnedFd(result: unknown): void {
  if (typeof result === 'number' && result >= 0) closeRaw(result);
}

/** A byte count that must not exceed `limit`. */
export function atMost(limit: () => number, what: string): (result: unknown) => string | undefined {
  return (result) => {
    if (typeof result !== 'number' || result < 0) return undefined;
    const max = limit();
    return result > max ? `${what}: ${result} bytes, but the buffer range holds ${max} now` : undefined;
  };
}

/** The byte length a view has now (0 once detached or out of bounds). */
export function lengthNow(view: unknown): number {
  return ArrayBuffer.isView(view) ? view.byteLength : 0;
}

/** A combination of `names` (POLL*, MSG_* …), each present with probability 1/2. */
export function someOf(g: Gen, names: readonly string[]): number {
  let bits = 0;
  for (const name of names) if (g.rng.chance(0.5)) bits |= c[name] ?? 0;
  return bits;
}

/** A value of type `T`, for generated arguments passed where the types say otherwise. */
export const as = <T>(value: unknown): T => value as T;

/** Whether a value is a non-null object (or function). */
export function isObject(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}
