/**
 * The pieces the async helpers share: their options, deadlines, and the errors that are theirs
 * rather than the kernel's (a wait cancelled by close, a timeout, a blocking socket).
 *
 * Error codes, and why:
 * - **ECANCELED** (a {@link SocketError}): the socket was closed (or released) while a wait was
 *   pending. libuv uses the same code for requests pending on a handle that is closed. EBADF
 *   stays reserved for calls *made* after close, which fail without a syscall.
 * - **ETIMEDOUT** (a {@link SocketError}): the helper's own timer ran out before readiness. The
 *   message says so ("a timer of this library, no syscall failed"); a kernel ETIMEDOUT (a SYN or
 *   keepalive timeout) comes from a syscall instead and says which.
 * - **the AbortSignal's reason**, exactly as given (the web platform's convention).
 * - **TypeError `ERR_SOCKET_BLOCKING`**: a programmer error, for a socket whose O_NONBLOCK is
 *   clear. Nothing is changed silently, so the helpers never set the flag themselves.
 * @module
 */
import { argError, SocketError } from './errors.js';
import { constants } from './constants.js';

/** How long a wait may take, and a signal that cancels it. */
export interface WaitOptions {
  /**
   * Milliseconds before the wait rejects with ETIMEDOUT (integer-valued or not, 0 to 2^31-1;
   * `undefined` or `Infinity`: no limit). 0 looks once with poll(2) and never arms a handle.
   * For a helper that waits several times (sendAll, connectAsync) it bounds the whole call.
   */
  timeout?: number;
  /** Aborting it rejects the wait with `signal.reason`. */
  signal?: AbortSignal;
}

/** The largest timeout a Node timer takes (2^31-1 ms). */
export const MAX_TIMEOUT_MS = 0x7fffffff;

/** Validated {@link WaitOptions}: TypeError/RangeError before anything happens. */
export function checkWaitOptions(options: WaitOptions | undefined): { timeout: number; signal?: AbortSignal } {
  if (options === undefined) return { timeout: Infinity };
  if (options === null || typeof options !== 'object')
    throw argError('ERR_INVALID_ARG_TYPE', `The "options" argument must be of type object. Received ${typeof options}`);
  const { timeout = Infinity, signal } = options;
  if (typeof timeout !== 'number')
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "options.timeout" property must be of type number. Received ${typeof timeout}`,
    );
  if (timeout !== Infinity && !(timeout >= 0 && timeout <= MAX_TIMEOUT_MS))
    throw argError(
      'ERR_OUT_OF_RANGE',
      `The value of "options.timeout" is out of range. It must be >= 0 and <= ${MAX_TIMEOUT_MS}, or Infinity. Received ${timeout}`,
    );
  if (signal !== undefined && !(signal instanceof AbortSignal))
    throw argError('ERR_INVALID_ARG_TYPE', 'The "options.signal" property must be an instance of AbortSignal');
  return signal === undefined ? { timeout } : { timeout, signal };
}

/**
 * One deadline for a helper that may wait several times: each wait gets what is left of the
 * caller's timeout, and a timeout still reports the caller's number.
 */
export class Deadline {
  readonly #end: number;
  readonly #signal: AbortSignal | undefined;
  /** The caller's timeout in ms (Infinity: none). */
  readonly timeout: number;

  /** Validates `options` (TypeError/RangeError) and starts the clock. */
  constructor(options: WaitOptions | undefined) {
    const { timeout, signal } = checkWaitOptions(options);
    this.timeout = timeout;
    this.#signal = signal;
    this.#end = timeout === Infinity ? Infinity : performance.now() + timeout;
  }

  /** Set once a wait with no time left (the last look) was handed out. */
  #lookedLast = false;

  /**
   * Options for the next wait: the time left (≥ 0) and the caller's signal. With no time left,
   * the first call still gives one last look (timeout 0); any later call throws the ETIMEDOUT a
   * timer would. Without that, a helper whose syscall keeps failing with EAGAIN while the fd
   * reports readiness (recv with MSG_ERRQUEUE on a readable UDP socket) would retry forever in
   * microtasks, and the event loop would never run again (found by fuzzing).
   */
  next(syscall = 'poll', events = 0): WaitOptions {
    const left = this.#end === Infinity ? Infinity : Math.max(0, Math.ceil(this.#end - performance.now()));
    // An abort wins over a timeout, as it does in a wait.
    this.#signal?.throwIfAborted();
    if (left === 0) {
      if (this.#lookedLast) throw timeoutError(syscall, this.timeout, pollEventNames(events));
      this.#lookedLast = true;
    }
    return this.#signal === undefined ? { timeout: left } : { timeout: left, signal: this.#signal };
  }
}

/** ECANCELED for a wait that was pending when the socket was closed or released. */
export function cancelledError(syscall: string, why: 'close' | 'release'): SocketError {
  return new SocketError(
    constants.ECANCELED!,
    syscall,
    undefined,
    why === 'close'
      ? 'the socket was closed while waiting (close() closes the poll handle, then the fd)'
      : 'the socket was released while waiting (release() closes the poll handle and gives the fd away)',
  );
}

/** ETIMEDOUT for a wait whose timer ran out. */
export function timeoutError(syscall: string, timeout: number, events: string): SocketError {
  return new SocketError(
    constants.ETIMEDOUT!,
    syscall,
    undefined,
    `no ${events} within ${timeout} ms (a timer of this library; no syscall failed)`,
  );
}

/** The TypeError for a socket whose O_NONBLOCK is clear. */
export function blockingError(syscall: string, fd: number): TypeError {
  return Object.assign(
    new TypeError(
      `${syscall}: fd ${fd} is blocking (O_NONBLOCK is clear), and the async helpers need a nonblocking ` +
        'socket: create it with SOCK_NONBLOCK or call setNonBlocking() first. Nothing was changed.',
    ),
    { code: 'ERR_SOCKET_BLOCKING' },
  );
}

/** The names of the POLL* bits in `events`, for messages: 'POLLIN|POLLOUT'. */
export function pollEventNames(events: number): string {
  const names = ['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLRDHUP', 'POLLERR', 'POLLHUP', 'POLLNVAL'].filter((name) => {
    const bit = constants[name];
    return bit !== undefined && (events & bit) !== 0;
  });
  return names.length > 0 ? names.join('|') : String(events);
}
