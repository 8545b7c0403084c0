/**
 * Readiness on the event loop, without threads: one libuv poll handle (uv_poll_t) per fd, on
 * the loop of the thread that uses it (native/poller.cc).
 *
 * A {@link Poller} keeps the waiters of one fd. The handle is opened on the first wait, armed
 * with the union of the pending waiters' events, and closed by {@link Poller.close} — which
 * stops it at once, so the fd may be closed right after. {@link Socket} owns one Poller per
 * socket and closes it before close(2).
 *
 * What a wake-up resolves with: a plain {@link Poller.wait} (and `Socket.readable`/`writable`)
 * makes one poll(2) with timeout 0 on the fd, so it resolves with the kernel's own revents
 * (POLLIN, POLLOUT, POLLHUP, POLLERR, POLLRDHUP …), and a wake-up that no longer holds (spurious
 * readiness) resolves nothing: the waiter keeps waiting. The Socket helpers that retry a
 * syscall after the wait (recvSome, sendAll, acceptAsync, connectAsync) ask for libuv's events
 * instead (`revents: 'libuv'`): no poll(2); the retried syscall tells what happened, and meets
 * EAGAIN after a spurious wake-up. libuv folds POLLHUP into readable/writable and reports
 * POLLERR as an error status, which stops the handle for good: it is closed, never re-armed,
 * and the next wait opens a fresh one.
 *
 * Between waits: when the last waiter of a POLLIN-only handle resolves, the handle stays armed
 * but unref'd ("parked"), because the resumed code nearly always waits for POLLIN again (a recv
 * loop, an accept loop) and re-arming would cost epoll_ctl calls each time. A parked handle does
 * not keep the process alive. If the fd becomes readable while nobody waits, that one wake-up
 * stops the handle, so level-triggered readiness never spins. A handle armed with POLLOUT (which
 * is ready nearly always) is stopped once the microtasks after its wake-up have run.
 * @module
 */
import { blockingError, checkWaitOptions, pollEventNames, timeoutError, type WaitOptions } from './async.js';
import { constants } from './constants.js';
import { check, closedError, int32Arg, SocketError, argError } from './errors.js';
import { addon, type NativePoller, type NativePollerState } from './native.js';
import { pollNow } from './poll.js';
import * as sys from './sys.js';

export type { WaitOptions } from './async.js';
export type { NativePollCallback, NativePoller, NativePollerState } from './native.js';

const c = constants;

/** The events a wait may ask for. */
const WAITABLE = c.POLLIN! | c.POLLOUT! | c.POLLPRI! | (c.POLLRDHUP ?? 0);
/** What poll(2) reports whether asked or not: every waiter wakes for it. */
const ALWAYS = c.POLLERR! | c.POLLHUP! | c.POLLNVAL!;
const RDHUP = c.POLLRDHUP ?? 0;

/**
 * What a wait resolves with: `'kernel'`, the revents of one poll(2) with timeout 0 made on the
 * wake-up; `'libuv'`, libuv's events as POLL* bits (no syscall; POLLERR on an error status).
 */
export type ReventsSource = 'kernel' | 'libuv';

/** Called by a {@link Poller.watch} on every wake-up, with libuv's events as POLL* bits. */
export type ReadinessListener = (revents: number) => void;

/** `value` when it is a string (a name errors report: a Symbol would break their message). */
function stringArg(value: unknown, name: string): void {
  if (typeof value !== 'string')
    throw argError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type string. Received ${typeof value}`);
}

/** `events` checked: an int32, a non-zero combination of the waitable POLL* bits. */
function eventsArg(events: number): number {
  events = int32Arg(events, 'events');
  if (events === 0 || (events & ~WAITABLE) !== 0)
    throw argError(
      'ERR_OUT_OF_RANGE',
      `The value of "events" is out of range. It must be a non-zero combination of POLLIN, POLLOUT, POLLPRI and POLLRDHUP. Received ${events}`,
    );
  return events;
}

interface Waiter {
  readonly events: number;
  readonly kernel: boolean;
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
  /** The events the native handle is started with (0: stopped or not open); mirrors native `events`. */
  #armed = 0;
  /** Armed with no waiter, and unref'd (see the module comment). */
  #parked = false;
  /** The persistent interest of {@link watch}, if any. */
  #watch: { readonly events: number; readonly listener: ReadinessListener } | undefined;
  /** The constructor's `owner`, held weakly; `#held` is the strong hold while waits/a watch are pending. */
  readonly #owner: WeakRef<object> | undefined;
  // eslint-disable-next-line no-unused-private-class-members -- written, never read: holding is its job
  #held: object | undefined;

  /**
   * Checks that `fd` is nonblocking: one fcntl(F_GETFL). Throws SocketError when fcntl fails
   * (EBADF) and a TypeError with code `ERR_SOCKET_BLOCKING` when O_NONBLOCK is clear (uv_poll_init
   * would set it, and nothing here changes a flag silently). Opens no handle yet.
   * @param syscall the name errors report (the helper that attached the poller)
   * @param owner an object kept alive while a wait or a watch is pending, and only then (held
   *   weakly otherwise): Socket passes itself, so that a socket the event loop is serving (a
   *   listener whose watch callback never mentions the Socket, say) is not collected — and
   *   closed by its finalizer — under the loop's feet, as a net.Server is not while it listens
   */
  constructor(fd: number, syscall = 'poll', owner?: object) {
    this.fd = int32Arg(fd, 'fd');
    stringArg(syscall, 'syscall');
    if (owner !== undefined && !((typeof owner === 'object' && owner !== null) || typeof owner === 'function'))
      throw argError('ERR_INVALID_ARG_TYPE', `The "owner" argument must be an object. Received ${typeof owner}`);
    const flags = check(sys.fcntl(fd, c.F_GETFL!), 'fcntl');
    if ((flags & c.O_NONBLOCK!) === 0) throw blockingError(syscall, fd);
    if (owner !== undefined) this.#owner = new WeakRef(owner);
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
   * (no syscall) when it is closed already or — a `'kernel'` wait, whose wake-up makes a poll(2)
   * — when poll(2) says POLLNVAL (a `'libuv'` wait resolves, and its caller's retried syscall
   * says EBADF). With the SocketError of uv_poll_init/uv_poll_start when the handle cannot be
   * opened or armed (EPERM for an fd epoll refuses). `timeout: 0` makes one poll(2) with
   * timeout 0 and arms nothing.
   * @param syscall the name errors report
   * @param reportedTimeout the timeout a timeout error names (a helper's whole-call timeout,
   *   when `options.timeout` is only what is left of it)
   * @param revents `'kernel'` (the default): resolve with one poll(2)'s revents, and keep waiting
   *   through a spurious wake-up; `'libuv'`: resolve with libuv's events, without a syscall, for
   *   a caller that retries its own syscall anyway (it meets EAGAIN after a spurious wake-up)
   */
  wait(
    events: number,
    options?: WaitOptions,
    syscall = 'poll',
    reportedTimeout?: number,
    revents: ReventsSource = 'kernel',
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      events = eventsArg(events);
      stringArg(syscall, 'syscall');
      if (reportedTimeout !== undefined && typeof reportedTimeout !== 'number')
        throw argError(
          'ERR_INVALID_ARG_TYPE',
          `The "reportedTimeout" argument must be of type number. Received ${typeof reportedTimeout}`,
        );
      if (revents !== 'kernel' && revents !== 'libuv')
        throw argError(
          'ERR_INVALID_ARG_VALUE',
          `The "revents" argument must be 'kernel' or 'libuv'. Received ${typeof revents === 'string' ? `'${revents}'` : typeof revents}`,
        );
      const { timeout, signal } = checkWaitOptions(options);
      if (this.#closed) throw closedError(syscall);
      if (signal?.aborted) throw signal.reason;
      const shownTimeout = reportedTimeout ?? timeout;
      if (timeout === 0) {
        const revents = pollNow(this.fd, events);
        if (revents < 0) throw new SocketError(revents, 'poll');
        if (revents & c.POLLNVAL!) throw this.#nvalError(syscall);
        if (revents & (events | ALWAYS)) resolve(revents);
        else throw timeoutError(syscall, shownTimeout, pollEventNames(events));
        return;
      }
      const waiter: Waiter = { events, kernel: revents === 'kernel', syscall, resolve, reject };
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
   * Calls `listener` on every wake-up while the fd reports one of `events` (or POLLERR/POLLHUP),
   * until {@link unwatch} or {@link close}: uv_poll_start's own shape, for a server with many
   * connections — no promise, no timer and no poll(2) per wake-up. `listener` gets libuv's
   * events as POLL* bits (POLLIN, POLLOUT, POLLPRI, POLLRDHUP; POLLERR when libuv reports an
   * error status, after which a fresh handle is opened for the watch). Readiness is
   * level-triggered, as epoll reports it to libuv: a listener that leaves the fd ready (does not
   * recv until EAGAIN, say) is called again on the next loop turn. A second call replaces the
   * first. Waits and a watch may be pending together; the handle is armed with the union.
   * A watch keeps the event loop alive like a pending wait (see {@link unref}). A listener that
   * throws raises an uncaught exception, as any event source does. Never called after close.
   */
  watch(events: number, listener: ReadinessListener): void {
    events = eventsArg(events);
    if (typeof listener !== 'function')
      throw argError(
        'ERR_INVALID_ARG_TYPE',
        `The "listener" argument must be of type function. Received ${typeof listener}`,
      );
    if (this.#closed) throw closedError('poll');
    // Armed synchronously: a handle that cannot be opened (an fd epoll refuses: EPERM) throws here.
    this.#watch = { events, listener };
    const error = this.#sync({ quiet: true });
    if (error !== undefined) throw error;
  }

  /** Ends the {@link watch}; the handle stops unless waits are pending. Idempotent. */
  unwatch(): void {
    if (this.#watch === undefined) return;
    this.#watch = undefined;
    this.#sync();
  }

  /** The events of the current {@link watch} (0: none). */
  get watching(): number {
    return this.#watch?.events ?? 0;
  }

  /**
   * Stops and closes the handle (uv_close: the fd leaves epoll before this returns, so it may be
   * closed right after; libuv frees the handle in its close callback a loop turn later), then
   * rejects every pending wait with `reason(syscall)` (by default SocketError ECANCELED).
   * Idempotent; later waits reject with EBADF without a syscall.
   */
  close(reason: (syscall: string) => unknown = (syscall) => new SocketError(c.ECANCELED!, syscall)): void {
    if (typeof reason !== 'function')
      throw argError(
        'ERR_INVALID_ARG_TYPE',
        `The "reason" argument must be of type function. Received ${typeof reason}`,
      );
    if (this.#closed) return;
    this.#closed = true;
    this.#native?.close();
    this.#native = undefined;
    this.#armed = 0;
    this.#parked = false;
    this.#watch = undefined;
    this.#held = undefined;
    const waiters = [...this.#waiters];
    for (const waiter of waiters) {
      this.#remove(waiter);
      waiter.reject(reason(waiter.syscall));
    }
  }

  /** uv_ref: while a wait is pending, the handle keeps the event loop alive (the default). */
  ref(): this {
    this.#ref = true;
    // A parked handle stays unref'd: it has no waiter to keep the process alive for.
    if (!this.#parked) this.#native?.ref();
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
    this.#held = undefined;
  }

  /**
   * Makes the handle match the waiters and the watch: open it, arm it with their events, or stop
   * it. When the handle cannot be opened or armed, every wait rejects with that error and the
   * watch ends, its listener called a last time with POLLERR|POLLNVAL — unless `quiet` (watch()
   * throws the returned error instead of calling the listener it was just given).
   */
  #sync({ quiet = false } = {}): SocketError | undefined {
    if (this.#closed) return undefined;
    const want = this.#wanted();
    this.#held = want === 0 ? undefined : this.#owner?.deref();
    if (want === 0) {
      if (this.#armed !== 0) this.#stop();
      return undefined;
    }
    if (this.#native === undefined) {
      const opened = addon.pollerOpen(this.fd, this.#onEvent);
      if (typeof opened === 'number') return this.#fail(new SocketError(opened, 'uv_poll_init'), quiet);
      this.#native = opened;
      if (!this.#ref) opened.unref();
    }
    if (this.#parked) {
      this.#parked = false;
      if (this.#ref) this.#native.ref();
    }
    if (want === this.#armed) return undefined;
    const rc = this.#native.start(want);
    if (rc < 0) {
      this.#native.close();
      this.#native = undefined;
      this.#armed = 0;
      return this.#fail(new SocketError(rc, 'uv_poll_start'), quiet);
    }
    this.#armed = want;
    return undefined;
  }

  /** The handle could not be opened or armed: see {@link #sync}. */
  #fail(error: SocketError, quiet: boolean): SocketError {
    this.#failAll(() => new SocketError(error.errno, error.syscall));
    const watch = this.#watch;
    this.#watch = undefined;
    // Last: the listener may throw (an uncaught exception, as from any event source).
    if (!quiet) watch?.listener(c.POLLERR! | c.POLLNVAL!);
    return error;
  }

  /** uv_poll_stop; a parked handle gets its ref back for the next start. */
  #stop(): void {
    this.#native!.stop();
    this.#armed = 0;
    if (this.#parked) {
      this.#parked = false;
      if (this.#ref) this.#native!.ref();
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

  /** One poll(2) with timeout 0 for `events` (and POLLRDHUP with POLLIN): the kernel's revents. */
  #kernelRevents(events: number): number {
    const asked = events & c.POLLIN! ? events | RDHUP : events;
    const revents = pollNow(this.fd, asked);
    // poll(2) with timeout 0 on one fd fails only on ENOMEM: then it counts as not ready (wait on).
    return revents < 0 ? 0 : revents;
  }

  readonly #onEvent = (status: number, uvRevents: number): void => {
    if (this.#closed) return;
    const errored = status < 0;
    if (errored) {
      // libuv stopped the handle on an error status: it is never started again.
      this.#native?.close();
      this.#native = undefined;
      this.#armed = 0;
      this.#parked = false;
    }
    const watch = this.#watch;
    if (this.#waiters.size === 0 && watch === undefined) {
      // Parked, and the fd became ready with nobody waiting: stop, or level-triggered readiness
      // would wake this loop on every turn.
      if (this.#native !== undefined && this.#armed !== 0) this.#stop();
      return;
    }
    if (this.#waiters.size > 0) this.#resolveWaiters(errored, uvRevents);
    if (this.#native === undefined) {
      // After an error status: a fresh handle for whoever still waits or watches.
      if (this.#waiters.size > 0 || watch !== undefined) this.#syncSoon();
    } else if (this.#waiters.size === 0 && watch === undefined && (this.#armed & ~(c.POLLIN! | RDHUP)) === 0) {
      this.#parked = true;
      if (this.#ref) this.#native.unref();
    } else if (this.#armed !== this.#wanted()) {
      this.#syncSoon();
    }
    // Hold the owner exactly while something is pending (parked, or after an error status that
    // resolved the last waiter with no stop and no sync queued).
    if (this.#waiters.size === 0 && this.#watch === undefined) this.#held = undefined;
    // Last: the listener may close the socket, unwatch, or throw (an uncaught exception).
    if (watch !== undefined && this.#watch === watch && (errored || (uvRevents & (watch.events | ALWAYS)) !== 0))
      watch.listener(uvRevents);
  };

  /** The union of what the waiters and the watch want. */
  #wanted(): number {
    let want = this.#watch?.events ?? 0;
    for (const waiter of this.#waiters) want |= waiter.events;
    return want;
  }

  /** Resolves the waiters this wake-up satisfies (see the module comment for the two kinds). */
  #resolveWaiters(errored: boolean, uvRevents: number): void {
    let kernel: number | undefined;
    for (const waiter of [...this.#waiters]) {
      if (waiter.kernel) {
        kernel ??= this.#kernelRevents(this.#wanted());
        if (kernel & c.POLLNVAL!) {
          this.#remove(waiter);
          waiter.reject(this.#nvalError(waiter.syscall));
          continue;
        }
        if ((kernel & (waiter.events | ALWAYS)) === 0) continue;
        this.#remove(waiter);
        waiter.resolve(kernel);
      } else {
        if (!errored && (uvRevents & waiter.events) === 0) continue;
        this.#remove(waiter);
        waiter.resolve(uvRevents);
      }
    }
  }
}
