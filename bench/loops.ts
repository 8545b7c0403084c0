/**
 * The timed loops for `sys.send` and `Socket.send`: the same loops as bench/c/send_bench.c, one
 * call per iteration with the same check, timed with process.hrtime.bigint() around the loop
 * only. Each loop is its own function so V8 optimizes it for its one call site.
 * @module
 */
import { constants as c, Socket, SocketError, sys } from '../lib/index.js';

const EAGAIN = -c.EAGAIN!;
const EBADF = -c.EBADF!;

/** One timed repetition. */
export interface LoopResult {
  /** Wall time of the whole loop, ns. */
  ns: number;
  /** Calls whose outcome was not the expected one (must be 0). */
  unexpected: number;
  /** Exceptions thrown (and caught) inside the loop. */
  thrown: number;
}

function since(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0);
}

/** `n` × sys.send(fd, buf) on a blocking socket; like C, any result but buf.length aborts. */
export function sysSend(fd: number, buf: Buffer, n: number): LoopResult {
  const length = buf.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = sys.send(fd, buf, 0, length, 0);
    if (r !== length) throw new Error(`sys.send returned ${r} (expected ${length})`);
  }
  return { ns: since(t0), unexpected: 0, thrown: 0 };
}

/** `n` × socket.send(buf) on a blocking socket; a failure throws SocketError and aborts. */
export function socketSend(socket: Socket, buf: Buffer, n: number): LoopResult {
  const length = buf.length;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = socket.send(buf);
    if (r !== length) throw new Error(`Socket.send returned ${r} (expected ${length})`);
  }
  return { ns: since(t0), unexpected: 0, thrown: 0 };
}

/** `n` × sys.send on a full nonblocking socket: each returns -EAGAIN, nothing is thrown. */
export function sysSendEagain(fd: number, buf: Buffer, n: number): LoopResult {
  const length = buf.length;
  let unexpected = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (sys.send(fd, buf, 0, length, 0) !== EAGAIN) unexpected++;
  return { ns: since(t0), unexpected, thrown: 0 };
}

/**
 * `n` × socket.send on a full nonblocking socket: each throws a SocketError EAGAIN, which is
 * caught. That is Socket's contract (EAGAIN is reported, never swallowed), so this measures the
 * throwing path: constructing the error (message, stack trace) and unwinding to the catch.
 */
export function socketSendEagain(socket: Socket, buf: Buffer, n: number): LoopResult {
  let unexpected = 0;
  let thrown = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    try {
      socket.send(buf);
      unexpected++;
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      thrown++;
      if (e.errno !== EAGAIN) unexpected++;
    }
  }
  return { ns: since(t0), unexpected, thrown };
}

/** Diagnostic: `n` × sys.send(-1, …) → -EBADF, the cheapest send the kernel has. */
export function sysSendBadFd(buf: Buffer, n: number): LoopResult {
  const length = buf.length;
  let unexpected = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (sys.send(-1, buf, 0, length, 0) !== EBADF) unexpected++;
  return { ns: since(t0), unexpected, thrown: 0 };
}

/** Diagnostic: `n` × sys.send of 0 bytes on a connected socket → 0: the send path, no data. */
export function sysSendEmpty(fd: number, buf: Buffer, n: number): LoopResult {
  let unexpected = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (sys.send(fd, buf, 0, 0, 0) !== 0) unexpected++;
  return { ns: since(t0), unexpected, thrown: 0 };
}

/** Diagnostic: `n` × socket.send of 0 bytes → 0: Socket's own per-call cost without a wake-up. */
export function socketSendEmpty(socket: Socket, buf: Buffer, n: number): LoopResult {
  let unexpected = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (socket.send(buf, 0, 0, 0) !== 0) unexpected++;
  return { ns: since(t0), unexpected, thrown: 0 };
}

/** Diagnostic: `n` × sys.gettid(), a syscall with no arguments: the price of a bare addon call. */
export function sysGettid(n: number): LoopResult {
  let unexpected = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) if (sys.gettid() <= 0) unexpected++;
  return { ns: since(t0), unexpected, thrown: 0 };
}
