/**
 * Small helpers shared by the nonblocking/timeout experiments (E02–E05, E23): timing one call,
 * reading O_NONBLOCK back, waiting until a loopback connection is at rest, and a chart in KB
 * for the small-buffer timelines (the narrators' `chart` labels its axis in MB, too coarse for
 * buffers of a few tens of KB).
 * @module
 */
import asciichart from 'asciichart';
import { constants as c, errnoName } from '../constants.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { settled, waitFor } from './sample.js';
import type { Scope } from './scope.js';
import { startThread, type ThreadBody, type ThreadHandle } from './thread.js';
export { within } from './sample.js';

/** The result of one call and how long it took (ms, fractional). */
export interface Timed<T> {
  value: T;
  ms: number;
}

/** Runs `fn` once and measures it with the monotonic clock. */
export function timed<T>(fn: () => T): Timed<T> {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

/** A raw-layer result in words: the count when ≥ 0, the errno's name ('EAGAIN') when negative. */
export function outcome(result: number): string {
  return result < 0 ? errnoName(result) : String(result);
}

/** What fcntl(F_GETFL) says about one fd. */
export interface FdFlags {
  /** The file status flags (F_GETFL), or -errno if the call failed. */
  flags: number;
  /** O_NONBLOCK is set. */
  nonBlocking: boolean;
}

/** fcntl(fd, F_GETFL) (one syscall) and whether O_NONBLOCK is among the flags. */
export function fdFlags(fd: number): FdFlags {
  const flags = sys.fcntl(fd, c.F_GETFL!, 0);
  return { flags, nonBlocking: flags >= 0 && (flags & c.O_NONBLOCK!) !== 0 };
}

/** The queues of one loopback connection: the sender's Send-Q and the receiver's Recv-Q. */
export interface Queues {
  /** SIOCOUTQ of the sender: bytes not yet acknowledged by the peer (sent or not). */
  sendQ: number;
  /** SIOCINQ of the receiver: bytes received and not yet read. */
  recvQ: number;
}

/**
 * Waits until the connection `sender` → `receiver` is at rest and returns its queues, settled.
 *
 * Why: a segment the receiver has queued but not yet acknowledged is counted in the sender's
 * Send-Q *and* in the receiver's Recv-Q, so "Send-Q + Recv-Q == bytes accepted" holds exactly
 * only once nothing is unacknowledged (tcpi_unacked == 0, as E01 waits) and the numbers stop
 * moving. Bounded by `timeoutMs`.
 */
export async function queuesAtRest(sender: Socket, receiver: Socket, timeoutMs = 5000): Promise<Queues> {
  await waitFor(() => sender.tcpInfo().unacked === 0, timeoutMs, 'tcpi_unacked == 0');
  return settled(() => ({ sendQ: sender.sendQueue(), recvQ: receiver.recvQueue() }));
}

/**
 * A line chart of byte counts against their index, in KB, squeezed to `width` points, with a
 * legend (same look as examples/narrate.ts `chart`).
 */
export function chartKB(series: Record<string, number[]>, options: { height?: number; width?: number } = {}): string {
  const width = options.width ?? 60;
  const names = Object.keys(series);
  const colors = [asciichart.blue, asciichart.green, asciichart.magenta, asciichart.yellow];
  const squeezed = names.map((name) => squeeze(series[name]!, width));
  const plot = asciichart.plot(squeezed, {
    height: options.height ?? 10,
    colors: names.map((_, i) => colors[i % colors.length]!),
    format: (x: number) => `${(x / 1e3).toFixed(1).padStart(8)} KB`,
  });
  const legend = names.map((n, i) => `${colors[i % colors.length]}━━${asciichart.reset} ${n}`).join('   ');
  return `${plot}\n${' '.repeat(12)}${legend}`;
}

function squeeze(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  return Array.from({ length: width }, (_, i) => values[Math.floor((i * (values.length - 1)) / (width - 1))]!);
}

/** What one blocking recv on the worker thread returned. */
export interface RecvOutcome {
  /** recv's return value: a count, 0 at end of stream, or -errno. */
  returned: number;
  /** The bytes received, as text (latin1, so every byte maps to one character). */
  text: string;
  /** How long the thread was inside recv (ms, its own monotonic clock). */
  elapsedMs: number;
  /** When recv returned, as a wall-clock time in ms (performance.timeOrigin + now). */
  returnedAt: number;
}

/** The blocking side (worker thread; self-contained, sent as source): one recv(2), timed. */
export const recvOnce: ThreadBody<{ fd: number; size: number }, RecvOutcome> = (sys, arg) => {
  const buffer = Buffer.alloc(arg.size);
  const started = performance.now();
  const returned = sys.recv(arg.fd, buffer, 0, arg.size, 0);
  const ended = performance.now();
  return {
    returned,
    text: returned > 0 ? buffer.toString('latin1', 0, returned) : '',
    elapsedMs: ended - started,
    returnedAt: performance.timeOrigin + ended,
  };
};

/**
 * Runs {@link recvOnce} on `socket` (buffer of `size` bytes) on a worker thread. The scope wakes
 * the thread with shutdown(2) and joins it however the run ends.
 */
export async function startRecv(scope: Scope, socket: Socket, size: number): Promise<ThreadHandle<RecvOutcome>> {
  const thread = await startThread(recvOnce, { fd: socket.fd, size });
  scope.defer(async () => {
    // A thread asleep in recv cannot be terminated; shutdown(2) wakes it (recv returns 0),
    // close(2) would not. On the normal path the thread has already returned and this
    // shutdown of a socket about to be closed changes nothing.
    if (!socket.closed) sys.shutdown(socket.fd, c.SHUT_RDWR!);
    await thread.stop(2000);
  });
  return thread;
}
