/**
 * Proof of blocking: where a thread of this process sleeps, read from /proc (Linux).
 *
 * - `/proc/self/task/<tid>/syscall`: the syscall number and arguments of a thread inside one
 *   (or "running"); the first argument of sendto/recvfrom/accept/connect is the fd.
 * - `/proc/self/task/<tid>/wchan`: the kernel function it waits in (often a generic one).
 * - `/proc/self/task/<tid>/stack`: the whole kernel stack, readable by root only — it shows
 *   `sk_stream_wait_memory` for a full send buffer, `sk_wait_data`/`wait_woken` for recv.
 * Each field that cannot be read is named in `unavailable` with the reason.
 * @module
 */
import { readFileSync } from 'node:fs';
import { constants } from '../constants.js';

/** Where a thread is, as far as /proc tells. */
export interface ThreadWhere {
  tid: number;
  /** The state letter from /proc/…/stat: 'S' sleeping, 'R' running, … */
  state: string | null;
  /** The syscall the thread is in, or null when running or unknown. */
  syscall: { number: number; name: string; fd: number } | null;
  /** The kernel function it waits in (wchan). */
  wchan: string | null;
  /** Kernel stack frames, innermost first, without offsets (root only). */
  stack: string[] | null;
  /** Fields that could not be read, with the reason. */
  unavailable: string[];
}

const syscallNames = new Map<number, string>(
  Object.entries(constants)
    .filter(([name, value]) => name.startsWith('SYS_') && value !== undefined)
    .map(([name, value]) => [value!, name.slice(4)]),
);

function read(path: string, field: string, unavailable: string[]): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    unavailable.push(`${field}: ${(e as NodeJS.ErrnoException).code ?? String(e)} reading ${path}`);
    return null;
  }
}

/** Reads /proc/self/task/<tid>/{stat,syscall,wchan,stack}. */
export function whereIs(tid: number): ThreadWhere {
  const unavailable: string[] = [];
  if (process.platform !== 'linux')
    return { tid, state: null, syscall: null, wchan: null, stack: null, unavailable: ['/proc: not Linux'] };
  const base = `/proc/self/task/${tid}`;
  const stat = read(`${base}/stat`, 'state', unavailable);
  // The command name in stat is parenthesised and may contain spaces: the state follows ") ".
  const state = stat ? (stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null) : null;
  const syscallText = read(`${base}/syscall`, 'syscall', unavailable);
  let syscall: ThreadWhere['syscall'] = null;
  if (syscallText && !syscallText.startsWith('running')) {
    const [nr, arg0] = syscallText.trim().split(' ');
    const number = Number(nr);
    if (number >= 0)
      syscall = { number, name: syscallNames.get(number) ?? `syscall ${number}`, fd: Number.parseInt(arg0 ?? '', 16) };
  }
  const wchanText = read(`${base}/wchan`, 'wchan', unavailable);
  const stackText = read(`${base}/stack`, 'stack (needs root)', unavailable);
  const stack = stackText
    ? stackText
        .trim()
        .split('\n')
        .map((line) => line.replace(/^\[<[0-9a-f]+>\]\s*/, '').replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, ''))
        .filter((f) => f.length > 0)
    : null;
  if (stack && stack.length === 0) unavailable.push('stack: empty (kernel hides it)');
  return { tid, state, syscall, wchan: wchanText && wchanText !== '0' ? wchanText : null, stack, unavailable };
}

/**
 * Waits until thread `tid` sleeps inside syscall `name` on `fd` (state 'S'), checking /proc
 * every few milliseconds, at most `timeoutMs`. This waits on an observed condition, not for a
 * guessed time. Resolves with the observation, or rejects on timeout with the last one seen.
 */
export async function waitUntilAsleepIn(
  tid: number,
  name: string,
  fd: number,
  timeoutMs: number,
): Promise<ThreadWhere> {
  const deadline = performance.now() + timeoutMs;
  let last = whereIs(tid);
  while (performance.now() < deadline) {
    last = whereIs(tid);
    if (last.state === 'S' && last.syscall?.name === name && last.syscall.fd === fd) return last;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(
    `thread ${tid} was not seen asleep in ${name}(${fd}) within ${timeoutMs} ms: ${JSON.stringify(last)}`,
  );
}
