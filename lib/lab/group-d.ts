/**
 * Small helpers shared by E16 short-reads and E19 read-write-order (group d):
 * one clock for the main thread and its workers, and a cleanup that wakes threads asleep in a
 * socket syscall before joining them.
 * @module
 */
import { constants as c } from '../constants.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import type { Scope } from './scope.js';
import type { ThreadHandle } from './thread.js';

/**
 * The process-wide monotonic clock in ms (CLOCK_MONOTONIC through process.hrtime, the same in
 * every worker thread, unlike performance.now(), whose origin is per thread). Worker bodies are
 * self-contained and compute the same expression themselves.
 */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/**
 * shutdown(SHUT_RDWR) on each open socket, ignoring the result: it wakes a thread asleep in
 * send/recv on that fd (close(2) would not), and on a connection that is already down it fails
 * harmlessly with ENOTCONN — this is cleanup, where either outcome is fine.
 */
export function wake(...sockets: Socket[]): void {
  for (const s of sockets) if (!s.closed) sys.shutdown(s.fd, c.SHUT_RDWR!);
}

/**
 * Registers the cleanup for threads that use the fds of `sockets`: wake them (shutdown), then
 * join each (bounded by `timeoutMs`, then terminated). Register it after the sockets, so that the
 * scope (LIFO) runs it before they are closed.
 */
export function deferJoin(scope: Scope, sockets: Socket[], threads: ThreadHandle<unknown>[], timeoutMs = 2000): void {
  scope.defer(async () => {
    wake(...sockets);
    for (const t of threads) await t.stop(timeoutMs);
  });
}
