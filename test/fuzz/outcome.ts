// How a call ended, as one histogram key. Expected keys: a valid result ('ok'), a raw -errno
// ('errno'), a SocketError, a programmer error with a Node-style code, the fuzzer's own sentinel
// propagated from a hostile input, the batch's abort reason, or an error a row documents. Anything
// else — and a call that accepted an argument it must refuse, or returned an impossible result —
// gets a key starting with '!' and fails the run.
import { SocketError, errnoName } from '../../lib/index.js';
import { FuzzAbort, FuzzSentinel } from './values.js';

/** How a row's call is classified. */
export interface Classifier {
  /** The raw layer: a negative number is -errno ('errno'), never thrown. */
  readonly raw?: boolean;
  /** SocketErrors made from the caller's own number (SocketError, check): any errno is fine. */
  readonly anyErrno?: boolean;
  /** Errors this row documents besides the common ones: their histogram key, or undefined. */
  documented?(error: unknown): string | undefined;
}

/** The outcome of one call: its histogram key, and what was wrong when the key starts with '!'. */
export interface Outcome {
  readonly key: string;
  /** The errno or SocketError code, for the secondary histogram. */
  readonly code?: string;
  readonly problem?: string;
}

const ARG_CODES: Record<string, 'TypeError' | 'RangeError'> = {
  ERR_INVALID_ARG_TYPE: 'TypeError',
  ERR_INVALID_ARG_VALUE: 'TypeError',
  ERR_OUT_OF_RANGE: 'RangeError',
  ERR_SOCKET_BLOCKING: 'TypeError',
};

/** A known errno name for a negative result (errnoName gives 'E<n>' for unknown ones). */
function knownErrno(errno: number): string | undefined {
  const name = errnoName(errno);
  return /^E\d+$/.test(name) ? undefined : name;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.constructor.name}${code === undefined ? '' : ` [${String(code)}]`}: ${error.message.slice(0, 300)}`;
  }
  try {
    return `a non-Error thrown: ${String(error)}`;
  } catch {
    return 'a non-Error thrown';
  }
}

/** SocketError messages of errors raised without a syscall (closed Socket, absent feature). */
const NO_SYSCALL = /no syscall was made|not available on this platform/;

/**
 * Classifies a call that threw (or whose promise rejected) with `error`. `bad` names checked
 * arguments that were invalid; `closedTarget` says the target Socket was closed.
 */
export function classifyError(row: Classifier, error: unknown, bad: readonly string[], closedTarget: boolean): Outcome {
  if (error instanceof FuzzSentinel) return { key: 'propagated' };
  if (error instanceof FuzzAbort) return { key: 'aborted' };
  if (error instanceof SocketError) {
    const name = Number.isInteger(error.errno) && error.errno < 0 ? knownErrno(error.errno) : undefined;
    if (!row.anyErrno && (name === undefined || error.code !== name))
      return { key: '!bad-socketerror', problem: `SocketError errno ${error.errno} code ${error.code}` };
    if (bad.length > 0 && !(closedTarget && error.code === 'EBADF') && !NO_SYSCALL.test(error.message))
      return {
        key: '!late-validation',
        problem: `invalid ${bad.join(', ')} got a SocketError, not a TypeError/RangeError: ${describe(error)}`,
      };
    return { key: 'SocketError', code: error.code };
  }
  const documented = row.documented?.(error);
  if (documented !== undefined) return { key: documented };
  if (error instanceof TypeError || error instanceof RangeError) {
    const code = (error as { code?: unknown }).code;
    const expectedClass = typeof code === 'string' ? ARG_CODES[code] : undefined;
    if (expectedClass !== undefined && error instanceof (expectedClass === 'TypeError' ? TypeError : RangeError))
      return { key: `${expectedClass} ${String(code)}` };
  }
  return { key: '!exception', problem: describe(error) };
}

/** Classifies a call that returned `result` (or whose promise resolved with it). */
export function classifyResult(
  row: Classifier,
  result: unknown,
  bad: readonly string[],
  problem: string | undefined,
): Outcome {
  if (bad.length > 0) return { key: '!accepted-invalid', problem: `invalid ${bad.join(', ')} was accepted` };
  if (problem !== undefined) return { key: '!bad-result', problem };
  if (row.raw) {
    if (typeof result !== 'number' || !Number.isInteger(result))
      return { key: '!bad-result', problem: `the raw layer returned ${String(result)}` };
    if (result < 0) {
      const name = knownErrno(result);
      if (name === undefined) return { key: '!bad-result', problem: `${result} is no known -errno` };
      // EFAULT means the addon handed the kernel a pointer it cannot use: never acceptable.
      if (name === 'EFAULT') return { key: '!efault', problem: 'the kernel reported EFAULT (a bad buffer pointer)' };
      return { key: 'errno', code: name };
    }
  }
  return { key: 'ok' };
}

/** Counts by key, plus the errno/SocketError codes and the calls per row. */
export class Histogram {
  readonly outcomes = new Map<string, number>();
  readonly codes = new Map<string, number>();
  readonly rows = new Map<string, number>();
  /** Unexpected outcomes by '<key> <row>'. */
  readonly failuresByRow = new Map<string, number>();
  calls = 0;

  add(row: string, outcome: Outcome): void {
    this.calls += 1;
    this.outcomes.set(outcome.key, (this.outcomes.get(outcome.key) ?? 0) + 1);
    if (outcome.code !== undefined) {
      const key = `${outcome.key === 'errno' ? '-' : ''}${outcome.code}`;
      this.codes.set(key, (this.codes.get(key) ?? 0) + 1);
    }
    this.rows.set(row, (this.rows.get(row) ?? 0) + 1);
    if (outcome.key.startsWith('!')) {
      const key = `${outcome.key} ${row}`;
      this.failuresByRow.set(key, (this.failuresByRow.get(key) ?? 0) + 1);
    }
  }

  /** Keys that mean failure. */
  unexpected(): string[] {
    return [...this.outcomes.keys()].filter((k) => k.startsWith('!'));
  }
}

/** A histogram as aligned text lines, biggest first. */
export function formatCounts(counts: ReadonlyMap<string, number>, total: number, limit = Infinity): string[] {
  const sorted = [...counts].sort((a, b) => b[1] - a[1]).slice(0, limit);
  const width = Math.max(...sorted.map(([k]) => k.length), 4);
  return sorted.map(
    ([key, n]) => `  ${key.padEnd(width)}  ${String(n).padStart(9)}  ${((100 * n) / total).toFixed(2).padStart(6)} %`,
  );
}
