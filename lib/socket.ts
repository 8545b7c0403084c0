/**
 * Socket: owns one fd. Each method performs exactly one syscall and is named after it (helpers
 * that make more say so); a failure throws {@link SocketError}. Expected outcomes stay visible:
 * EAGAIN and EINPROGRESS are thrown as they are, never swallowed or retried.
 *
 * The async helpers (`readable`, `writable`, `acceptAsync`, `connectAsync`, `sendAll`,
 * `recvSome`, `accepts`) are the exception, by name and by design: each makes several syscalls
 * and waits for readiness between them on the event loop (one libuv poll handle per socket, see
 * {@link Poller}), retrying EAGAIN after a wake-up. They need a nonblocking socket.
 * @module
 */
import type { SockAddr } from './address.js';
import { cancelledError, Deadline, type WaitOptions } from './async.js';
import { constants } from './constants.js';
import { absentError, argError, check, closedError, int32Arg, SocketError } from './errors.js';
import { addon, type RawAddress } from './native.js';
import { getOptionOf, setOptionOf, type OptionName, type OptionValue } from './options.js';
import { poll, pollNow } from './poll.js';
import { Poller } from './poller.js';
import * as sys from './sys.js';
import { tcpInfoOf, type TcpInfo } from './tcp-info.js';

const c = constants;

/** What accept returns: the new connection (owned by the caller) and the peer's address. */
export interface Accepted {
  socket: Socket;
  address: SockAddr;
}

/** Options of {@link Socket.sendAll}: a range of the data, send(2) flags, and the wait's limits. */
export interface SendAllOptions extends WaitOptions {
  /** send(2) flags (MSG_NOSIGNAL, MSG_MORE …); default 0. */
  flags?: number;
  /** Byte offset into the data; default 0. */
  offset?: number;
  /** Bytes to send from `offset`; default: to the end. */
  length?: number;
}

/** Options of {@link Socket.recvSome}: where in the buffer, recv(2) flags, and the wait's limits. */
export interface RecvSomeOptions extends WaitOptions {
  /** recv(2) flags (MSG_PEEK …); default 0. */
  flags?: number;
  /** Byte offset into the buffer; default 0. */
  offset?: number;
  /** At most this many bytes; default: to the end of the buffer. */
  length?: number;
}

/** Options of {@link Socket.accepts}. */
export interface AcceptLoopOptions {
  /** Aborting it ends the loop by rejecting the pending `next()` with `signal.reason`. */
  signal?: AbortSignal;
}

/** What recvfrom returns: the byte count and the sender's address. */
export interface Received {
  bytes: number;
  address: SockAddr;
}

function toBytes(data: ArrayBufferView | string): ArrayBufferView {
  return typeof data === 'string' ? Buffer.from(data) : data;
}

/**
 * The byte length of a view, or 0 for anything else, so that a wrong type reaches the native
 * check (a TypeError with code ERR_INVALID_ARG_TYPE) instead of failing on `.byteLength` here.
 */
function byteLengthOf(view: unknown): number {
  return ArrayBuffer.isView(view) ? view.byteLength : 0;
}

/**
 * The default length of a range: the bytes of `view` from `offset` to its end. An offset that is
 * not a number gives 0, and the native check then refuses the offset itself: arithmetic on it
 * here would coerce an object or a string, or throw a bare TypeError on a BigInt (found by fuzzing).
 */
function restOf(view: unknown, offset: unknown): number {
  return typeof offset === 'number' ? byteLengthOf(view) - offset : 0;
}

/** What a Socket's finalizer needs: its fd and poller (the Socket itself would keep it alive). */
interface Owned {
  readonly fd: number;
  poller: Poller | undefined;
}

let warnedUnclosed = false;

/**
 * A Socket that becomes garbage while it still owns its fd (neither close() nor release() was
 * called) would leak the fd. The garbage collector's finalizer closes it instead: the poll
 * handle first (rejecting any orphaned wait with ECANCELED), then close(2). It also emits one
 * process warning — the first time only, per thread — because such a Socket is a bug to fix: when
 * the collector runs is unpredictable, so the fd stays open until then. The finalizer can only
 * close an fd this Socket still owns: close() and release() unregister it.
 */
const unclosed = new FinalizationRegistry<Owned>((owned) => {
  owned.poller?.close((syscall) => cancelledError(syscall, 'close'));
  addon.disownFd(owned.fd);
  sys.close(owned.fd); // whatever it reports, the fd is released (Linux frees it even on EINTR)
  if (warnedUnclosed) return;
  warnedUnclosed = true;
  process.emitWarning(
    `Closing socket fd ${owned.fd} on garbage collection: a Socket was dropped without close() or release()`,
    {
      code: 'SYSSOCK_UNCLOSED_SOCKET',
      detail: 'Call close() (or `using`) when done. Later sockets closed this way are not reported again.',
    },
  );
});

/**
 * One socket file descriptor, owned.
 *
 * Ownership rules: `close()` marks the object closed before calling close(2), a second close is
 * a no-op, and every call after close throws EBADF **without a syscall**, so a closed Socket can
 * never touch a recycled fd number that now belongs to someone else. A Socket that becomes
 * garbage still owning its fd is closed by a finalizer, with one process warning
 * (`SYSSOCK_UNCLOSED_SOCKET`): keep a reference for as long as the fd is used.
 *
 * ```ts
 * const server = Socket.create(constants.AF_INET, constants.SOCK_STREAM);
 * server.bind(inet('127.0.0.1', 0));
 * server.listen(16);
 * ```
 */
export class Socket {
  #fd: number;
  /** What the finalizer closes if this Socket is dropped unclosed; holds the poller, never `this`. */
  readonly #owned: Owned;
  /** The poll handle's owner, from the first async wait until close/release. */
  get #poller(): Poller | undefined {
    return this.#owned.poller;
  }
  set #poller(poller: Poller | undefined) {
    this.#owned.poller = poller;
  }
  #ref = true;
  /** How this Socket gave up its fd (for the ECANCELED of a helper settling afterwards). */
  #endedBy: 'close' | 'release' | undefined;

  /** Takes ownership of `fd`. Use the static constructors. */
  private constructor(fd: number) {
    this.#fd = fd;
    this.#owned = { fd, poller: undefined };
    unclosed.register(this, this.#owned, this);
    // If this thread's environment goes away with the Socket still open (a worker terminated),
    // its teardown closes the fd: no JavaScript runs then, and fds outlive threads.
    addon.ownFd(fd);
  }

  /**
   * socket(2) with SOCK_CLOEXEC added, so spawned children do not inherit the fd.
   * `type` may also carry SOCK_NONBLOCK. Use {@link Socket.createRaw} for exactly your flags.
   */
  static create(domain: number, type: number, protocol = 0): Socket {
    return Socket.createRaw(domain, int32Arg(type, 'type') | (c.SOCK_CLOEXEC ?? 0), protocol);
  }

  /** socket(2) with exactly the flags given (nothing added). */
  static createRaw(domain: number, type: number, protocol = 0): Socket {
    return new Socket(check(sys.socket(domain, type, protocol), 'socket'));
  }

  /** socketpair(2) with SOCK_CLOEXEC added: two connected sockets, both owned by the caller. */
  static pair(domain: number, type: number, protocol = 0): [Socket, Socket] {
    const sv = new Int32Array(2);
    check(sys.socketpair(domain, int32Arg(type, 'type') | (c.SOCK_CLOEXEC ?? 0), protocol, sv), 'socketpair');
    return [new Socket(sv[0]!), new Socket(sv[1]!)];
  }

  /**
   * Takes ownership of an existing fd (no syscall): this Socket will close it. Do not keep
   * using the number elsewhere, and never wrap one fd in two Sockets.
   */
  static fromFd(fd: number): Socket {
    if (typeof fd !== 'number')
      throw argError('ERR_INVALID_ARG_TYPE', `The "fd" argument must be of type number. Received ${typeof fd}`);
    if (!Number.isInteger(fd) || fd < 0 || fd > 0x7fffffff)
      throw argError(
        'ERR_OUT_OF_RANGE',
        `The value of "fd" is out of range. It must be an integer >= 0 and <= 2147483647. Received ${fd}`,
      );
    return new Socket(fd);
  }

  /** The fd number, or -1 once closed. */
  get fd(): number {
    return this.#fd;
  }

  /** True once {@link close} has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The open fd, or EBADF for `syscall` without making it. */
  #use(syscall: string): number {
    if (this.#fd < 0) throw closedError(syscall);
    return this.#fd;
  }

  /**
   * close(2). Marks the Socket closed first, so even a failing close (EINTR, EIO, which Linux
   * reports after releasing the fd anyway) leaves it closed. A second call does nothing.
   *
   * When async waits are pending, the poll handle is stopped and closed first (uv_close, which
   * takes the fd out of epoll at once) and the waits reject with SocketError ECANCELED; only
   * then is the fd closed. libuv frees the handle a loop turn later.
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    unclosed.unregister(this);
    addon.disownFd(fd);
    this.#detach('close');
    check(sys.close(fd), 'close');
  }

  /**
   * Gives up ownership without closing: marks this Socket closed (later calls throw EBADF
   * without a syscall) and returns the fd, which now belongs to the caller — for handing it to
   * `new net.Socket({ fd })` or `server.listen({ fd })`. No syscall. The poll handle, if any,
   * is stopped and closed first (pending waits reject with ECANCELED), so the new owner can
   * watch the fd on the same loop.
   */
  release(): number {
    const fd = this.#use('release');
    this.#fd = -1;
    unclosed.unregister(this);
    addon.disownFd(fd);
    this.#detach('release');
    return fd;
  }

  /** Closes the poll handle (stopping it at once) and rejects pending waits with ECANCELED. */
  #detach(why: 'close' | 'release'): void {
    this.#endedBy = why;
    const poller = this.#poller;
    this.#poller = undefined;
    poller?.close((syscall) => cancelledError(syscall, why));
  }

  /** Same as {@link close}, for `using` declarations. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** bind(2). */
  bind(address: SockAddr): void {
    check(sys.bind(this.#use('bind'), address as RawAddress), 'bind', address);
  }

  /** listen(2). `backlog` defaults to SOMAXCONN. */
  listen(backlog: number = c.SOMAXCONN ?? 128): void {
    check(sys.listen(this.#use('listen'), backlog), 'listen');
  }

  /**
   * accept4(2) with SOCK_CLOEXEC on Linux (the new fd is not inherited by children; like
   * accept(2) it does **not** inherit O_NONBLOCK from the listener). Elsewhere accept(2).
   * Throws EAGAIN on a nonblocking listener with nothing queued.
   */
  accept(): Accepted {
    if (sys.platform !== 'linux') return this.acceptRaw();
    return this.accept4(c.SOCK_CLOEXEC!);
  }

  /** accept(2) exactly: the new fd has neither O_NONBLOCK nor FD_CLOEXEC. */
  acceptRaw(): Accepted {
    const peer = {} as RawAddress;
    const fd = check(sys.accept(this.#use('accept'), peer), 'accept');
    return { socket: new Socket(fd), address: peer as SockAddr };
  }

  /** accept4(2) with exactly `flags` (SOCK_NONBLOCK, SOCK_CLOEXEC). Linux only: ENOSYS elsewhere. */
  accept4(flags: number): Accepted {
    const peer = {} as RawAddress;
    const fd = check(sys.accept4(this.#use('accept4'), peer, flags), 'accept4');
    return { socket: new Socket(fd), address: peer as SockAddr };
  }

  /**
   * connect(2). On a nonblocking TCP socket this throws EINPROGRESS (the handshake goes on):
   * wait for POLLOUT, then read `getOption('SO_ERROR')` for the outcome.
   */
  connect(address: SockAddr): void {
    check(sys.connect(this.#use('connect'), address as RawAddress), 'connect', address);
  }

  /**
   * send(2): → bytes the kernel accepted (may be fewer than given). Strings are sent as UTF-8.
   * `offset`/`length` select a range of `data` without copying it.
   */
  send(data: ArrayBufferView | string, flags = 0, offset = 0, length?: number): number {
    const bytes = toBytes(data);
    return check(sys.send(this.#use('send'), bytes, offset, length ?? restOf(bytes, offset), flags), 'send');
  }

  /** recv(2) into `buffer` (from `offset`, at most `length` bytes): → bytes received, 0 at end of stream. */
  recv(buffer: ArrayBufferView, flags = 0, offset = 0, length?: number): number {
    return check(sys.recv(this.#use('recv'), buffer, offset, length ?? restOf(buffer, offset), flags), 'recv');
  }

  /** sendto(2): send to `address` (null: the connected peer) → bytes sent. */
  sendto(data: ArrayBufferView | string, address: SockAddr | null, flags = 0): number {
    const bytes = toBytes(data);
    return check(
      sys.sendto(this.#use('sendto'), bytes, 0, byteLengthOf(bytes), flags, address as RawAddress | null),
      'sendto',
      address ?? undefined,
    );
  }

  /** recvfrom(2) into `buffer`: → bytes received and the sender's address. */
  recvfrom(buffer: ArrayBufferView, flags = 0): Received {
    const source = {} as RawAddress;
    const bytes = check(
      sys.recvfrom(this.#use('recvfrom'), buffer, 0, byteLengthOf(buffer), flags, source),
      'recvfrom',
    );
    return { bytes, address: source as SockAddr };
  }

  /** shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR. */
  shutdown(how: number): void {
    check(sys.shutdown(this.#use('shutdown'), how), 'shutdown');
  }

  /** fcntl(2) with an int argument (F_GETFL, F_SETFL, F_GETFD, F_SETFD) → the command's result. */
  fcntl(cmd: number, arg = 0): number {
    return check(sys.fcntl(this.#use('fcntl'), cmd, arg), 'fcntl');
  }

  /**
   * ioctl(2) with an int argument → the int after the call: the queue length for FIONREAD
   * (SIOCINQ) / SIOCOUTQ, `value` itself for FIONBIO.
   */
  ioctl(request: number, value = 0): number {
    const arg = new Int32Array([int32Arg(value, 'value')]);
    check(sys.ioctl(this.#use('ioctl'), request, arg), 'ioctl');
    return arg[0]!;
  }

  /** getsockopt(2), raw: the value's bytes go into `optval` → the length written. */
  getsockopt(level: number, optname: number, optval: ArrayBufferView): number {
    return check(sys.getsockopt(this.#use('getsockopt'), level, optname, optval), 'getsockopt');
  }

  /** setsockopt(2), raw: `optval`'s bytes are the value. */
  setsockopt(level: number, optname: number, optval: ArrayBufferView): void {
    check(sys.setsockopt(this.#use('setsockopt'), level, optname, optval), 'setsockopt');
  }

  /**
   * getsockopt(2) for an option in the table ({@link socketOptions}), decoded: numbers, booleans,
   * `{ onoff, linger }` for SO_LINGER, milliseconds for SO_SNDTIMEO/SO_RCVTIMEO.
   * SO_ERROR is read-and-clear: a second read gives 0.
   */
  getOption<N extends OptionName>(name: N): OptionValue<N> {
    return getOptionOf(this.#use('getsockopt'), name);
  }

  /**
   * setsockopt(2) for an option in the table, encoded from its JavaScript value. Note that
   * Linux doubles SO_SNDBUF/SO_RCVBUF (a read gives 2× what was set, within floor and ceiling).
   */
  setOption<N extends OptionName>(name: N, value: OptionValue<N>): void {
    setOptionOf(this.#use('setsockopt'), name, value);
  }

  /** getsockname(2): the local address. */
  getsockname(): SockAddr {
    const out = {} as RawAddress;
    check(sys.getsockname(this.#use('getsockname'), out), 'getsockname');
    return out as SockAddr;
  }

  /** getpeername(2): the peer's address (ENOTCONN when not connected). */
  getpeername(): SockAddr {
    const out = {} as RawAddress;
    check(sys.getpeername(this.#use('getpeername'), out), 'getpeername');
    return out as SockAddr;
  }

  /**
   * poll(2) on this fd alone: waits up to `timeout` ms for `events` (POLLIN, POLLOUT …) and
   * returns revents (0 on timeout). Blocks the calling thread.
   */
  poll(events: number, timeout: number): number {
    return poll([{ fd: this.#use('poll'), events }], timeout)[0]!;
  }

  /** fcntl(F_GETFL) & O_NONBLOCK. One syscall. */
  isNonBlocking(): boolean {
    return (this.fcntl(c.F_GETFL!) & c.O_NONBLOCK!) !== 0;
  }

  /** Sets or clears O_NONBLOCK. **Two syscalls**: fcntl(F_GETFL) then fcntl(F_SETFL). */
  setNonBlocking(nonBlocking = true): void {
    const flags = this.fcntl(c.F_GETFL!);
    this.fcntl(c.F_SETFL!, nonBlocking ? flags | c.O_NONBLOCK! : flags & ~c.O_NONBLOCK!);
  }

  /**
   * ioctl(SIOCOUTQ): bytes in the send queue, sent but not yet acknowledged plus not yet sent
   * (netstat's Send-Q). Linux.
   */
  sendQueue(): number {
    this.#use('ioctl');
    if (c.SIOCOUTQ === undefined) throw absentError(c.ENOTTY!, 'ioctl', 'SIOCOUTQ');
    return this.ioctl(c.SIOCOUTQ);
  }

  /** ioctl(SIOCINQ, i.e. FIONREAD): bytes received and not yet read (netstat's Recv-Q). */
  recvQueue(): number {
    return this.ioctl(c.FIONREAD!);
  }

  /** getsockopt(TCP_INFO), decoded; fields the kernel did not provide are listed in `absent`. Linux. */
  tcpInfo(): TcpInfo {
    return tcpInfoOf(this.#use('getsockopt'));
  }

  // ── async helpers: several syscalls each, with readiness waits on the event loop ──────────

  /**
   * The socket's poller, made on first use. Its constructor makes one fcntl(F_GETFL) and throws
   * a TypeError (`ERR_SOCKET_BLOCKING`) when O_NONBLOCK is clear: the helpers need a
   * nonblocking socket and never set the flag themselves.
   */
  #attach(syscall: string): Poller {
    const fd = this.#use(syscall);
    if (this.#poller === undefined) {
      this.#poller = new Poller(fd, syscall, this);
      if (!this.#ref) this.#poller.unref();
    }
    return this.#poller;
  }

  /**
   * One readiness wait for a helper, bounded by the helper's deadline. It resolves with libuv's
   * events (no poll(2)): the helper retries its syscall, which says what happened.
   */
  #wait(events: number, syscall: string, deadline: Deadline): Promise<number> {
    return this.#attach(syscall).wait(events, deadline.next(syscall, events), syscall, deadline.timeout, 'libuv');
  }

  /**
   * Waits until the socket is readable: resolves with poll(2)'s revents — POLLIN (data, a
   * pending connection on a listener, or end of stream, where POLLRDHUP joins it), or POLLHUP /
   * POLLERR, which wake every wait. Async; no thread: a libuv poll handle on this thread's loop,
   * plus one poll(2) with timeout 0 per wake-up.
   *
   * Rejects with SocketError ETIMEDOUT after `timeout` ms, with `signal.reason` on abort, with
   * ECANCELED when the socket is closed meanwhile, with EBADF when it is closed already, and
   * with a TypeError (`ERR_SOCKET_BLOCKING`) when the socket is blocking.
   */
  readable(options?: WaitOptions): Promise<number> {
    // Not an async function: the caller resumes on the wait's own promise, one microtask after
    // the wake-up, before the poller's deferred stop (an extra hop would stop and re-arm a
    // POLLOUT handle on every writable() in a loop).
    try {
      return this.#attach('poll').wait(c.POLLIN!, options, 'poll');
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Waits until the socket is writable: resolves with poll(2)'s revents — POLLOUT (room in the
   * send buffer, or a nonblocking connect finished: read SO_ERROR), or POLLHUP / POLLERR.
   * Same mechanism and rejections as {@link readable}.
   */
  writable(options?: WaitOptions): Promise<number> {
    try {
      return this.#attach('poll').wait(c.POLLOUT!, options, 'poll');
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * Calls `listener(revents)` on every wake-up while the socket reports one of `events` (POLLIN,
   * POLLOUT, POLLPRI, POLLRDHUP; POLLERR always), until {@link unwatch} or close(): libuv's
   * uv_poll_start shape, with no promise, timer or poll(2) per wake-up — for a server with many
   * connections, where the listener does its own sys.recv/sys.send. Level-triggered: a listener
   * that leaves the socket ready is called again on the next loop turn (recv until EAGAIN, or
   * unwatch). `revents` are libuv's events as POLL* bits. A second call replaces the first.
   * Syscalls: on first use fcntl(F_GETFL) (TypeError `ERR_SOCKET_BLOCKING` for a blocking
   * socket), then, when no poll handle is open, uv_poll_init's own (ioctl FIONBIO, an epoll_ctl
   * ADD+DEL probe) and the epoll_ctl that arms it on the next loop turn — none per event. A
   * handle that cannot be opened throws the SocketError here. Never called after close(). See
   * {@link Poller.watch}.
   */
  watch(events: number, listener: (revents: number) => void): void {
    this.#attach('poll').watch(events, listener);
  }

  /** Ends the {@link watch}. No syscall; idempotent; nothing to do once closed. */
  unwatch(): void {
    this.#poller?.unwatch();
  }

  /**
   * Accepts one connection, waiting for it if none is queued. Syscalls: accept4(2) with
   * SOCK_NONBLOCK | SOCK_CLOEXEC on Linux (the new socket is ready for the async helpers), else
   * accept(2) + fcntl(F_GETFL) + fcntl(F_SETFL, O_NONBLOCK) + fcntl(F_SETFD, FD_CLOEXEC); on
   * EAGAIN (nothing queued, or a spurious wake-up) it waits for POLLIN and tries again. Other
   * errors reject as SocketError. `timeout` bounds the whole call.
   */
  async acceptAsync(options?: WaitOptions): Promise<Accepted> {
    const deadline = new Deadline(options);
    const linux = sys.platform === 'linux';
    const syscall = linux ? 'accept4' : 'accept';
    this.#attach(syscall);
    for (;;) {
      const peer = {} as RawAddress;
      const fd = this.#use(syscall);
      const rc = linux ? sys.accept4(fd, peer, c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!) : sys.accept(fd, peer);
      if (rc >= 0) {
        const socket = new Socket(rc);
        if (!linux) {
          try {
            socket.setNonBlocking(true);
            socket.fcntl(c.F_SETFD!, c.FD_CLOEXEC!);
          } catch (e) {
            socket.close();
            throw e;
          }
        }
        return { socket, address: peer as SockAddr };
      }
      if (rc !== -c.EAGAIN!) throw new SocketError(rc, syscall);
      await this.#wait(c.POLLIN!, syscall, deadline);
    }
  }

  /**
   * Connects without blocking the thread. Syscalls: connect(2); when it returns EINPROGRESS,
   * one poll(2) with timeout 0 and, if the handshake is not over yet, a wait for POLLOUT; then
   * getsockopt(SO_ERROR) (and getpeername(2) in the odd case of a wake-up with neither POLLOUT
   * nor an error). Resolves once connected; rejects with the connect SocketError — at once when
   * connect(2) fails immediately (ECONNREFUSED, ENETUNREACH …), or with the error SO_ERROR
   * reports. It settles through the event loop in every case (after the wait, or in the check
   * phase when none was needed). On timeout or abort the attempt is left as it is: close the
   * socket. Closed or released meanwhile: ECANCELED, as for every helper.
   *
   * Why the look with poll(2): on loopback the kernel has finished the handshake by the time a
   * nonblocking connect(2) returns EINPROGRESS (nearly always, measured), and one poll(2) costs
   * less than arming a poll handle (uv_poll_init's ioctl and epoll probe, then epoll_ctl ADD and
   * DEL) and a loop turn; elsewhere it is one syscall next to a network round trip.
   */
  async connectAsync(address: SockAddr, options?: WaitOptions): Promise<void> {
    const deadline = new Deadline(options);
    this.#attach('connect');
    const fd = this.#use('connect');
    const rc = sys.connect(fd, address as RawAddress);
    if (rc === 0) return this.#settle(options);
    if (rc !== -c.EINPROGRESS!) throw new SocketError(rc, 'connect', address);
    const now = pollNow(fd, c.POLLOUT!);
    let revents: number;
    if (now > 0 && (now & (c.POLLOUT! | c.POLLERR! | c.POLLHUP!)) !== 0) {
      await this.#settle(options);
      revents = now;
    } else revents = await this.#wait(c.POLLOUT!, 'connect', deadline);
    const error = this.getOption('SO_ERROR');
    if (error !== 0) throw new SocketError(error, 'connect', address);
    if ((revents & c.POLLOUT!) === 0) {
      const peer = {} as RawAddress;
      const named = sys.getpeername(this.#use('getpeername'), peer);
      if (named < 0) throw new SocketError(named, 'connect', address);
    }
  }

  /**
   * For a connect that needed no wait: settles through the event loop all the same (its check
   * phase), as a wait would — a loop of connects that never waited would otherwise run in
   * microtasks alone and starve every other I/O of the thread (the accept loop of the listener
   * it connects to, say). Then, as after a wait: the signal's reason if it aborted meanwhile,
   * ECANCELED if the socket was closed or released meanwhile.
   */
  async #settle(options: WaitOptions | undefined): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    options?.signal?.throwIfAborted();
    if (this.#fd < 0) throw cancelledError('connect', this.#endedBy ?? 'close');
  }

  /**
   * Sends all of `data` (strings as UTF-8; `offset`/`length` select a range without copying):
   * send(2) until every byte is accepted, waiting for POLLOUT whenever it returns EAGAIN.
   * Resolves with the bytes sent (the range's length; a 0-byte range makes one send(2)).
   * Rejects with the send SocketError (EPIPE, ECONNRESET …) or a wait's rejection; the number
   * of bytes already sent is then unknown to the caller, so the stream should be closed.
   */
  async sendAll(data: ArrayBufferView | string, options: SendAllOptions = {}): Promise<number> {
    const deadline = new Deadline(options);
    const bytes = toBytes(data);
    const { flags = 0, offset = 0 } = options;
    const length = options.length ?? restOf(bytes, offset);
    // `offset + sent` and `length - sent` below would concatenate a string or coerce an object:
    // only numbers get that far (the native check refuses NaN, fractions, ranges past the end).
    for (const [name, value] of [
      ['offset', offset],
      ['length', length],
    ] as const)
      if (typeof value !== 'number')
        throw argError(
          'ERR_INVALID_ARG_TYPE',
          `The "options.${name}" property must be of type number. Received ${typeof value}`,
        );
    this.#attach('send');
    let sent = 0;
    do {
      const rc = sys.send(this.#use('send'), bytes, offset + sent, length - sent, flags);
      if (rc >= 0) sent += rc;
      else if (rc === -c.EAGAIN!) await this.#wait(c.POLLOUT!, 'send', deadline);
      else throw new SocketError(rc, 'send');
    } while (sent < length);
    return sent;
  }

  /**
   * Receives what is there, waiting if nothing is: recv(2) into `buffer` (from `offset`, at most
   * `length` bytes), and on EAGAIN a wait for POLLIN and another recv(2). Resolves with the
   * byte count: at least 1, or 0 at end of stream (or for a 0-byte range). Rejects with the
   * recv SocketError (ECONNRESET …) or a wait's rejection.
   */
  async recvSome(buffer: ArrayBufferView, options: RecvSomeOptions = {}): Promise<number> {
    const deadline = new Deadline(options);
    const { flags = 0, offset = 0 } = options;
    const length = options.length ?? restOf(buffer, offset);
    this.#attach('recv');
    for (;;) {
      const rc = sys.recv(this.#use('recv'), buffer, offset, length, flags);
      if (rc >= 0) return rc;
      if (rc !== -c.EAGAIN!) throw new SocketError(rc, 'recv');
      await this.#wait(c.POLLIN!, 'recv', deadline);
    }
  }

  /**
   * The accept loop of a server: `for await (const { socket, address } of server.accepts())`.
   * Each step is {@link acceptAsync} (accepted sockets are nonblocking and close-on-exec). The
   * loop ends when this listener is closed (the pending accept's ECANCELED ends it quietly);
   * an aborted signal rejects with its reason; other accept errors (EMFILE …) reject.
   */
  async *accepts(options: AcceptLoopOptions = {}): AsyncGenerator<Accepted, void, undefined> {
    // null would fail on `.signal` with a bare TypeError; a number would wait without a signal.
    // Checked here, not only in acceptAsync: a closed listener ends the loop before that.
    if (typeof options !== 'object' || options === null)
      throw argError(
        'ERR_INVALID_ARG_TYPE',
        `The "options" argument must be of type object. Received ${options === null ? 'null' : typeof options}`,
      );
    if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
      throw argError('ERR_INVALID_ARG_TYPE', 'The "options.signal" property must be an instance of AbortSignal');
    const waitOptions: WaitOptions = options.signal === undefined ? {} : { signal: options.signal };
    while (!this.closed) {
      let accepted: Accepted;
      try {
        accepted = await this.acceptAsync(waitOptions);
      } catch (e) {
        if (this.closed && e instanceof SocketError && (e.code === 'ECANCELED' || e.code === 'EBADF')) return;
        throw e;
      }
      yield accepted;
    }
  }

  /** Pending async waits keep the event loop alive (the default). No syscall. */
  ref(): this {
    this.#ref = true;
    this.#poller?.ref();
    return this;
  }

  /**
   * Pending async waits no longer keep the event loop alive (uv_unref on the poll handle, now
   * and when it is made): a process with nothing else to do exits. No syscall.
   */
  unref(): this {
    this.#ref = false;
    this.#poller?.unref();
    return this;
  }

  /** Whether pending async waits keep the event loop alive. */
  hasRef(): boolean {
    return this.#ref;
  }
}
