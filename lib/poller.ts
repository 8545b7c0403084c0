/**
 * Readiness on the event loop, without threads: one libuv poll handle (uv_poll_t) per fd, on
 * the loop of the thread that uses it (native/poller.cc).
 *
 * A {@link Poller} keeps the waiters of one fd. The handle is opened on the first wait, armed
 * with the union of the pending waiters' events, stopped when none is left, and closed by
 * {@link Poller.close} — which stops it at once, so the fd may be closed right after.
 * {@link Socket} owns one Poller per socket and closes it before close(2).
 *
 * Each wake-up makes one poll(2) with timeout 0 on the fd, so a wait resolves with the kernel's
 * own revents (POLLIN, POLLOUT, POLLHUP, POLLERR, POLLRDHUP …): libuv itself folds POLLHUP into
 * readable/writable and reports POLLERR as an error status. A wake-up that no longer holds
 * (spurious readiness) resolves nothing: the waiters keep waiting. An error status stops the
 * handle for good; it is closed, never re-armed, and the next wait opens a fresh one.
 * @module
 */
import { blockingError, checkWaitOptions, pollEventNames, timeoutError, type WaitOptions } from './async.js';
import { constants } from './constants.js';
import { check, closedError, int32Arg, SocketError, argError } from './errors.js';
import { addon, type NativePoller, type NativePollerState } from './native.js';
import { poll } from './poll.js';
import * as sys from './sys.js';

export type { WaitOptions } from './async.js';
export type { NativePollCallback, NativePoller, NativePollerState } from './native.js';

const c = constants;

/** The events a wait may ask for. */
const WAITABLE = c.POLLIN! | c.POLLOUT! | c.POLLPRI! | (c.POLLRDHUP ?? 0);
/** What poll(2) reports whether asked or not: every waiter wakes for it. */
const ALWAYS = c.POLLERR! | c.POLLHUP! | c.POLLNVAL!;

interface Waiter {
  readonly events: number;
  readonly syscall: string;
  readonly resolve: (revents: number) => void;
  readonly reject: (reason: unknown) => void;
  timer?: ReturnType<typeof setTimeout>;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/** The poll handles of this thread's environment not yet freed by libuv (open or closing). */
export function pollHandleCount(): number {
  return addon.pollerCount();
}

/**
 * The waiters of one nonblocking fd, and its libuv poll handle. The fd stays the caller's:
 * call {@link Poller.close} before close(2) (Socket does).
 *
 * ```ts
 * const poller = new Poller(fd);                  // fcntl(F_GETFL): must be nonblocking
 * const revents = await poller.wait(constants.POLLIN, { timeout: 1000 });
 * poller.close();                                 // stops and closes the handle
 * sys.close(fd);
 * ```
 */
export class Poller {
  /** The fd it watches. */
  readonly fd: number;
  #native: NativePoller | undefined;
  readonly #waiters = new Set<Waiter>();
  #ref = true;
  #closed = false;
  #syncQueued = false;

  /**
   * Checks that `fd` is nonblocking: one fcntl(F_GETFL). Throws SocketError when fcntl fails
   * (EBADF) and a TypeError with code `ERR_SOCKET_BLOCKING` when O_NONBLOCK is clear (uv_poll_init
   * would set it, and nothing here changes a flag silently). Opens no handle yet.
   * @param syscall the name errors report (the helper that attached the poller)
   */
  constructor(fd: number, syscall = 'poll') {
    this.fd = int32Arg(fd, 'fd');
    const flags = check(sys.fcntl(fd, c.F_GETFL!), 'fcntl');
    if ((flags & c.O_NONBLOCK!) === 0) throw blockingError(syscall, fd);
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** How many waits are pending. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /** The handle's state: 'none' before the first wait (or after an error closed it), then libuv's. */
  get handleState(): NativePollerState | 'none' {
    return this.#native?.state ?? 'none';
  }

  /** The POLL* events the handle is armed with now (0: stopped or not open). */
  get armed(): number {
    return this.#native?.events ?? 0;
  }

  /**
   * Waits until the fd reports one of `events` (POLLIN, POLLOUT, POLLPRI, POLLRDHUP), or POLLERR
   * or POLLHUP, which poll(2) reports whatever was asked; resolves with the revents of that
   * moment. Arms the handle (uv_poll_start) if the union of the waiters' events changed.
   *
   * Rejects with SocketError ETIMEDOUT when `timeout` ms pass first, with `signal.reason` when
   * the signal aborts, with SocketError ECANCELED when the poller is closed meanwhile, with EBADF
   * (no syscall) when it is closed already or when poll(2) says POLLNVAL. `timeout: 0` makes one
   * poll(2) with timeout 0 and arms nothing.
   * @param syscall the name errors report
   * @param reportedTimeout the timeout a timeout error names (a helper's whole-call timeout,
   *   when `options.timeout` is only what is left of it)
   */
  wait(events: number, options?: WaitOptions, syscall = 'poll', reportedTimeout?: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      events = int32Arg(events, 'events');
      if (events === 0 || (events & ~WAITABLE) !== 0)
        throw argError(
          'ERR_OUT_OF_RANGE',
          `The value of "events" is out of range. It must be a non-zero combination of POLLIN, POLLOUT, POLLPRI and POLLRDHUP. Received ${events}`,
        );
      const { timeout, signal } = checkWaitOptions(options);
      if (this.#closed) throw closedError(syscall);
      if (signal?.aborted) throw signal.reason;
      const shownTimeout = reportedTimeout ?? timeout;
      if (timeout === 0) {
        const [revents = 0] = poll([{ fd: this.fd, events }], 0);
        if (revents & c.POLLNVAL!) throw this.#nvalError(syscall);
        if (revents & (events | ALWAYS)) resolve(revents);
        else throw timeoutError(syscall, shownTimeout, pollEventNames(events));
        return;
      }
      const waiter: Waiter = { events, syscall, resolve, reject };
      if (timeout !== Infinity) {
        waiter.timer = setTimeout(() => {
          this.#remove(waiter);
          this.#sync();
          reject(timeoutError(syscall, shownTimeout, pollEventNames(events)));
        }, timeout);
        // The poll handle keeps the loop alive while it waits (unless unref'd); the timer never does.
        waiter.timer.unref();
      }
      if (signal !== undefined) {
        waiter.signal = signal;
        waiter.onAbort = () => {
          this.#remove(waiter);
          this.#sync();
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#waiters.add(waiter);
      this.#sync();
    });
  }

  /**
   * Stops and closes the handle (uv_close: the fd leaves epoll before this returns, so it may be
   * closed right after; libuv frees the handle in its close callback a loop turn later), then
   * rejects every pending wait with `reason(syscall)` (by default SocketError ECANCELED).
   * Idempotent; later waits reject with EBADF without a syscall.
   */
  close(reason: (syscall: string) => unknown = (syscall) => new SocketError(c.ECANCELED!, syscall)): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native?.close();
    this.#native = undefined;
    const waiters = [...this.#waiters];
    for (const waiter of waiters) {
      this.#remove(waiter);
      waiter.reject(reason(waiter.syscall));
    }
  }

  /** uv_ref: while a wait is pending, the handle keeps the event loop alive (the default). */
  ref(): this {
    this.#ref = true;
    this.#native?.ref();
    return this;
  }

  /** uv_unref: pending waits no longer keep the event loop alive; the process may exit. */
  unref(): this {
    this.#ref = false;
    this.#native?.unref();
    return this;
  }

  /** Whether pending waits keep the event loop alive. */
  hasRef(): boolean {
    return this.#ref;
  }

  #remove(waiter: Waiter): void {
    this.#waiters.delete(waiter);
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
  }

  #nvalError(syscall: string): SocketError {
    return new SocketError(c.EBADF!, syscall, undefined, `poll(2) reports POLLNVAL: fd ${this.fd} is not open`);
  }

  /** Rejects every pending wait (the handle could not be opened or armed). */
  #failAll(error: (syscall: string) => unknown): void {
    for (const waiter of [...this.#waiters]) {
      this.#remove(waiter);
      waiter.reject(error(waiter.syscall));
    }
  }

  /** Makes the handle match the waiters: open it, arm it with their events, or stop it. */
  #sync(): void {
    if (this.#closed) return;
    let want = 0;
    for (const waiter of this.#waiters) want |= waiter.events;
    if (want === 0) {
      if (this.#native !== undefined && this.#native.events !== 0) this.#native.stop();
      return;
    }
    if (this.#native === undefined) {
      const opened = addon.pollerOpen(this.fd, this.#onEvent);
      if (typeof opened === 'number') {
        this.#failAll(() => new SocketError(opened, 'uv_poll_init'));
        return;
      }
      this.#native = opened;
      if (!this.#ref) opened.unref();
    }
    const rc = this.#native.start(want);
    if (rc < 0) {
      this.#native.close();
      this.#native = undefined;
      this.#failAll(() => new SocketError(rc, 'uv_poll_start'));
    }
  }

  /** After a wake-up the stop (if no waiter is left) waits for the microtasks that follow it,
   * where the resumed code usually waits again: no stop/start churn. */
  #syncSoon(): void {
    if (this.#syncQueued) return;
    this.#syncQueued = true;
    queueMicrotask(() => {
      this.#syncQueued = false;
      this.#sync();
    });
  }

  readonly #onEvent = (status: number, revents: number): void => {
    if (this.#closed) return;
    if (revents & c.POLLNVAL!) {
      this.#failAll((syscall) => this.#nvalError(syscall));
    } else {
      for (const waiter of [...this.#waiters]) {
        if ((revents & (waiter.events | ALWAYS)) === 0) continue;
        this.#remove(waiter);
        waiter.resolve(revents);
      }
    }
    if (status < 0) {
      // libuv stopped the handle on an error status: it is never started again.
      this.#native?.close();
      this.#native = undefined;
    }
    this.#syncSoon();
  };
}
