/**
 * Interop with node:net, both ways.
 *
 * - **Borrow** ({@link borrow}, {@link BorrowedSocket}): read and set socket options, read
 *   TCP_INFO, the queues and the addresses of a `net.Socket` or `net.Server` (and so of an http,
 *   https or tls socket or server) **without owning its fd**. node:net keeps owning and closing it.
 * - **Hand over** ({@link toNetSocket}, {@link listenOnNet}): give a syssock {@link Socket}'s fd
 *   to node:net (`new net.Socket({ fd })`, `server.listen({ fd })`); from then on net owns it
 *   and the syssock Socket is closed (every call throws EBADF without a syscall).
 *
 * How the fd of a net object is found: `obj._handle.fd`, the getter Node's TCP and Pipe handles
 * (and the TLS wrap over them) have had since Node 0.x. It is Node-internal and undocumented,
 * but stable on Unix for TCP and Pipe handles; it is -1 on Windows, and absent on a cluster
 * worker's round-robin server handle. A borrowed socket reads it again on every call, so it
 * never keeps a number that node:net may have closed and the kernel given to another socket.
 * @module
 */
import cluster from 'node:cluster';
import net from 'node:net';
import type { SockAddr } from './address.js';
import { constants } from './constants.js';
import { absentError, argError, check, int32Arg, SocketError } from './errors.js';
import type { RawAddress } from './native.js';
import { getOptionOf, setOptionOf, type OptionName, type OptionValue } from './options.js';
import { Socket } from './socket.js';
import * as sys from './sys.js';
import { tcpInfoOf, type TcpInfo } from './tcp-info.js';

const c = constants;

/** What node:net keeps in `_handle` (Node-internal): TCPWrap, PipeWrap or TLSWrap, all with an `fd` getter. */
interface NetInternals {
  _handle?: { fd?: unknown } | null;
}

/** What can be borrowed: a net.Socket (tls.TLSSocket included) or a net.Server (http/https too). */
export type NetSocketOrServer = net.Socket | net.Server;

function received(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  return `type ${typeof value}`;
}

/** The EBADF for a borrowed socket that has no fd to use: `reason` says why; no syscall is made. */
function noFdError(syscall: string, reason: string): SocketError {
  return new SocketError(
    c.EBADF!,
    syscall,
    undefined,
    `${reason} (no syscall was made, so a recycled fd number cannot be touched)`,
  );
}

/**
 * A `net.Socket` or `net.Server` seen through syssock, **without owning its fd**: node:net keeps
 * owning it, and a BorrowedSocket never closes it (there is no `close` method).
 *
 * Every call first reads the fd again from the net object's handle (`_handle.fd`, see the
 * module notes): no syscall for that, and never a number kept from before. When there is no fd
 * it throws a {@link SocketError} EBADF **without making the syscall**, with the reason in the
 * message:
 * - the net.Socket was destroyed (its fd is closed, the number may already belong to another
 *   socket: exactly the case a closed {@link Socket} guards against);
 * - the net.Socket has no handle yet (`new net.Socket()` before `connect()`), or its handle has
 *   no fd yet (fd -1: `connect()` was called but the connect(2) has not run yet — wait for
 *   `'connect'`);
 * - the net.Server is not listening (before `'listening'`, or after `close()`);
 * - the handle has no fd at all (fd -1 on Windows; a cluster worker's round-robin server).
 *
 * The safe surface, each method one syscall on the current fd: {@link getOption} /
 * {@link setOption} / {@link getsockopt} / {@link setsockopt}, {@link tcpInfo},
 * {@link sendQueue} / {@link recvQueue} (ioctl), {@link getsockname} / {@link getpeername},
 * {@link isNonBlocking} (fcntl F_GETFL, read only).
 *
 * **Unsafe to do to a borrowed fd**, and so not offered (do not do it through `sys` with
 * {@link fd} either): libuv watches the fd in its event loop and keeps its own state about it.
 * - close(2): libuv would keep watching a number the kernel then gives to the next socket or
 *   file, and net would later read, write and close *that* one.
 * - shutdown(2): changes the stream behind net's back (net still writes, and gets EPIPE).
 * - recv/send/recvfrom/sendto: steal bytes from net's stream or interleave with its writes.
 * - accept(2) on a borrowed server: steals connections from net.
 * - fcntl(F_SETFL), `setNonBlocking`, ioctl(FIONBIO): libuv relies on O_NONBLOCK; a blocking
 *   fd freezes the whole event loop in read, write or accept.
 * - bind/connect/listen: the socket's state is net's business.
 * - poll(2): harmless but blocks the thread; wait on net's events instead.
 *
 * Options are safe to set, but they change what the kernel does with net's socket: SO_LINGER
 * `{ onoff: true, linger: 0 }` makes net's close send RST, a small SO_SNDBUF slows net's writes.
 * net caches what *it* set: after `socket.setNoDelay(true)`, clearing TCP_NODELAY here and then
 * calling `setNoDelay(true)` again is skipped by net (it thinks it is set), and `setKeepAlive`
 * writes SO_KEEPALIVE and TCP_KEEPIDLE over whatever was set here. The last writer wins.
 *
 * Reading the fd and the syscall happen in one synchronous call on the thread that owns the net
 * object, so node:net cannot close the fd in between.
 */
export class BorrowedSocket {
  readonly #target: NetSocketOrServer;

  /**
   * Borrows `target`; no syscall, and no check that it has an fd yet (each call checks).
   * @throws TypeError ERR_INVALID_ARG_TYPE when `target` is not a net.Socket or net.Server.
   */
  constructor(target: NetSocketOrServer) {
    if (!(target instanceof net.Socket) && !(target instanceof net.Server))
      throw argError(
        'ERR_INVALID_ARG_TYPE',
        `The "target" argument must be an instance of net.Socket or net.Server. Received ${received(target)}`,
      );
    this.#target = target;
  }

  /** The net.Socket or net.Server this borrows from. */
  get target(): NetSocketOrServer {
    return this.#target;
  }

  /**
   * The fd the net object has **now**, or -1 when it has none (no syscall). For display: do not
   * keep the number, and do not close it (see the class notes).
   */
  get fd(): number {
    if (this.#target instanceof net.Socket && this.#target.destroyed) return -1;
    const fd = (this.#target as unknown as NetInternals)._handle?.fd;
    return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : -1;
  }

  /** The current fd, or EBADF for `syscall` without making it. */
  #use(syscall: string): number {
    const target = this.#target;
    const isSocket = target instanceof net.Socket;
    if (isSocket && target.destroyed) throw noFdError(syscall, 'the net.Socket was destroyed');
    const handle = (target as unknown as NetInternals)._handle;
    if (handle === null || handle === undefined)
      throw noFdError(
        syscall,
        isSocket
          ? 'the net.Socket has no handle yet: it is not connected (wait for "connect")'
          : 'the net.Server has no handle: it is not listening (wait for "listening"; or it was closed)',
      );
    const fd = handle.fd;
    if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0)
      throw noFdError(
        syscall,
        `the ${isSocket ? 'net.Socket' : 'net.Server'}'s handle has no fd (fd ${String(fd)}: not open yet, as ` +
          'between connect() and its connect(2); or a platform or handle without fds, such as Windows or a ' +
          "cluster worker's round-robin server)",
      );
    return fd;
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
   * getsockopt(2) for an option in the table ({@link socketOptions}), decoded, as
   * {@link Socket.getOption}. SO_ERROR is read-and-clear: reading it takes a pending error
   * away from net too.
   */
  getOption<N extends OptionName>(name: N): OptionValue<N> {
    return getOptionOf(this.#use('getsockopt'), name);
  }

  /**
   * setsockopt(2) for an option in the table, encoded from its JavaScript value, as
   * {@link Socket.setOption} (Linux doubles SO_SNDBUF/SO_RCVBUF).
   */
  setOption<N extends OptionName>(name: N, value: OptionValue<N>): void {
    setOptionOf(this.#use('setsockopt'), name, value);
  }

  /** getsockopt(TCP_INFO), decoded, as {@link Socket.tcpInfo}. Linux. */
  tcpInfo(): TcpInfo {
    return tcpInfoOf(this.#use('getsockopt'));
  }

  /** ioctl(SIOCOUTQ): bytes in the send queue, unsent plus unacknowledged (netstat's Send-Q). Linux. */
  sendQueue(): number {
    const fd = this.#use('ioctl');
    if (c.SIOCOUTQ === undefined) throw absentError(c.ENOTTY!, 'ioctl', 'SIOCOUTQ');
    return this.#ioctl(fd, c.SIOCOUTQ);
  }

  /**
   * ioctl(SIOCINQ, i.e. FIONREAD): bytes the kernel holds that libuv has not read yet (netstat's
   * Recv-Q). Usually 0 on a flowing net.Socket, which reads as soon as data arrives; it grows
   * while the socket is paused.
   */
  recvQueue(): number {
    return this.#ioctl(this.#use('ioctl'), c.FIONREAD!);
  }

  #ioctl(fd: number, request: number): number {
    const arg = new Int32Array(1);
    check(sys.ioctl(fd, request, arg), 'ioctl');
    return arg[0]!;
  }

  /** getsockname(2): the local address. */
  getsockname(): SockAddr {
    const out = {} as RawAddress;
    check(sys.getsockname(this.#use('getsockname'), out), 'getsockname');
    return out as SockAddr;
  }

  /** getpeername(2): the peer's address (ENOTCONN for a server, or a socket not yet connected). */
  getpeername(): SockAddr {
    const out = {} as RawAddress;
    check(sys.getpeername(this.#use('getpeername'), out), 'getpeername');
    return out as SockAddr;
  }

  /** fcntl(F_GETFL) & O_NONBLOCK: one syscall, read only (libuv keeps its fds nonblocking). */
  isNonBlocking(): boolean {
    return (check(sys.fcntl(this.#use('fcntl'), c.F_GETFL!, 0), 'fcntl') & c.O_NONBLOCK!) !== 0;
  }
}

/**
 * Borrows the fd of a `net.Socket` or `net.Server` (tls.TLSSocket, http.Server … included):
 * `new BorrowedSocket(target)`. No syscall; see {@link BorrowedSocket} for what is safe.
 *
 * ```ts
 * server.on('connection', (socket) => {
 *   const b = borrow(socket);
 *   b.setOption('TCP_USER_TIMEOUT', 10_000);
 *   b.tcpInfo().stateName; // 'ESTABLISHED'
 * });
 * ```
 * @throws TypeError ERR_INVALID_ARG_TYPE when `target` is not a net.Socket or net.Server.
 */
export function borrow(target: NetSocketOrServer): BorrowedSocket {
  return new BorrowedSocket(target);
}

/** The families libuv turns into a TCP or Pipe handle (what uv_guess_handle accepts). */
function streamFamilies(): number[] {
  return [c.AF_INET!, c.AF_INET6!, c.AF_UNIX!];
}

/**
 * Checks that `socket` is a stream socket of a family node:net can wrap, before ownership
 * moves: getsockopt(SO_TYPE) and getsockname(2), the two questions libuv's uv_guess_handle
 * asks. A failed check leaves the Socket open and owned by the caller.
 */
function checkStreamSocket(socket: Socket, what: string): void {
  const type = socket.getOption('SO_TYPE');
  if (type !== c.SOCK_STREAM)
    throw argError(
      'ERR_INVALID_ARG_VALUE',
      `${what} needs a SOCK_STREAM socket (SO_TYPE is ${type}): node:net only wraps TCP and unix stream sockets`,
    );
  const family = socket.getsockname().family;
  if (!streamFamilies().includes(family))
    throw argError(
      'ERR_INVALID_ARG_VALUE',
      `${what} needs an AF_INET, AF_INET6 or AF_UNIX socket (family ${family}): node:net wraps no other family`,
    );
}

function checkSocketArg(socket: unknown): asserts socket is Socket {
  if (!(socket instanceof Socket))
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "socket" argument must be an instance of syssock Socket. Received ${received(socket)}`,
    );
}

/** Options for {@link toNetSocket}: those of `new net.Socket()`, except `fd` (syssock gives it). */
export type ToNetSocketOptions = Omit<net.SocketConstructorOpts, 'fd'>;

/**
 * Hands a connected stream socket over to node:net: → `new net.Socket({ readable: true,
 * writable: true, ...options, fd })`. Afterwards net owns the fd (its `destroy()` closes it) and
 * `socket` is closed: every call throws EBADF without a syscall ({@link Socket.release}).
 *
 * Syscalls: first three checks on `socket`, so that a socket net cannot use stays yours —
 * getsockopt(SO_TYPE) (must be SOCK_STREAM), getsockname(2) (AF_INET, AF_INET6 or AF_UNIX)
 * and getpeername(2) (must be connected: ENOTCONN is thrown as the kernel reports it, also for
 * a nonblocking connect still in progress — wait for POLLOUT and SO_ERROR 0 first). Then
 * node:net's own: libuv sets O_NONBLOCK itself (ioctl FIONBIO), so a blocking Socket may be
 * handed over as it is, and starts reading (epoll_ctl, read).
 *
 * The net.Socket is already connected: it emits no `'connect'`; `remoteAddress`/`remotePort`
 * work. A unix stream socket (socketpair too) becomes a net.Socket over a Pipe handle.
 *
 * Ownership when it fails: a failed check or a bad option (`fd` given, or a `signal` that is not
 * an AbortSignal, which net would only reject after taking the fd) throws before ownership
 * moves, and `socket` stays open and yours. If `new net.Socket` itself throws after the release,
 * the fd is closed with close(2) and the error rethrown: it never leaks.
 * @throws SocketError EBADF (closed Socket), ENOTCONN (not connected), or from a check's syscall.
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a wrong argument or a
 *   socket that is not a stream socket of a family net can wrap.
 */
export function toNetSocket(socket: Socket, options: ToNetSocketOptions = {}): net.Socket {
  checkSocketArg(socket);
  if (typeof options !== 'object' || options === null)
    throw argError('ERR_INVALID_ARG_TYPE', `The "options" argument must be an object. Received ${received(options)}`);
  for (const key of ['fd', 'handle'])
    if (key in options)
      throw argError('ERR_INVALID_ARG_VALUE', `options.${key} cannot be given: toNetSocket hands over the socket's fd`);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `options.signal must be an AbortSignal. Received ${received(options.signal)}`,
    );
  checkStreamSocket(socket, 'toNetSocket');
  socket.getpeername();
  const fd = socket.release();
  try {
    return new net.Socket({ readable: true, writable: true, ...options, fd });
  } catch (e) {
    sys.close(fd);
    throw e;
  }
}

/** Options for {@link listenOnNet}. */
export interface ListenOnNetOptions {
  /**
   * The backlog net passes to its own listen(2) call, which replaces the one set before.
   * An integer ≥ 1; default: Node's, 511 (the kernel caps it at net.core.somaxconn). Node reads
   * a backlog for an fd only from `listen`'s second argument, not from `{ fd, backlog }`; this
   * helper passes it there.
   */
  backlog?: number;
}

/**
 * Hands a listening stream socket over to a `net.Server` (or http/https server):
 * `server.listen({ fd }, backlog)`, then returns `server`. Afterwards net owns the fd (its
 * `close()` closes it) and `socket` is closed: every call throws EBADF without a syscall.
 * `'listening'` follows on the next tick: `await once(server, 'listening')` (it rejects if
 * net emits `'error'` instead).
 *
 * Use it for what net.Server cannot configure itself: SO_REUSEPORT, TCP_DEFER_ACCEPT,
 * TCP_FASTOPEN, a bind to an address set up with IP_FREEBIND … set them with syssock, then
 * bind(2) and listen(2), then hand over.
 *
 * Syscalls: first three checks on `socket`, so that a socket net cannot use stays yours —
 * getsockopt(SO_TYPE) (must be SOCK_STREAM), getsockname(2) (AF_INET, AF_INET6 or AF_UNIX) and
 * getsockopt(SO_ACCEPTCONN) (must be listening: net would otherwise call listen(2) on it itself,
 * and on an unbound socket the kernel binds a wildcard address with an ephemeral port). Then
 * node:net's own: libuv sets O_NONBLOCK (ioctl FIONBIO), calls listen(2) again with `backlog`,
 * and watches the fd (epoll_ctl).
 *
 * Ownership when it fails: the checks, a server that already listens (ERR_SERVER_ALREADY_LISTEN)
 * and a cluster worker (where Node would send the fd *number* to the primary, in which it names
 * another file; ERR_INVALID_STATE) all throw before ownership moves, and `socket` stays yours.
 * If `server.listen` throws synchronously before net took the fd, the fd is closed and the error
 * rethrown. An `'error'` event after the release (listen(2) failing) comes with net having
 * closed the fd already. (net would leave the fd open only if libuv could not adopt it: with the
 * checks passed, that is EEXIST, when this event loop still watches the fd — so release a
 * Socket only when nothing is waiting on it.)
 * @throws SocketError EBADF (closed Socket) or from a check's syscall.
 * @throws TypeError ERR_INVALID_ARG_TYPE / ERR_INVALID_ARG_VALUE for a wrong argument or a
 *   socket that is not a listening stream socket of a family net can wrap.
 */
export function listenOnNet<S extends net.Server>(server: S, socket: Socket, options: ListenOnNetOptions = {}): S {
  if (!(server instanceof net.Server))
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "server" argument must be an instance of net.Server. Received ${received(server)}`,
    );
  checkSocketArg(socket);
  if (typeof options !== 'object' || options === null)
    throw argError('ERR_INVALID_ARG_TYPE', `The "options" argument must be an object. Received ${received(options)}`);
  const backlog = options.backlog === undefined ? undefined : int32Arg(options.backlog, 'options.backlog');
  if (backlog !== undefined && backlog < 1)
    throw argError(
      'ERR_OUT_OF_RANGE',
      `The value of "options.backlog" is out of range. It must be >= 1 (Node reads 0 as its default). Received ${backlog}`,
    );
  if (server.listening || (server as unknown as NetInternals)._handle)
    throw Object.assign(new Error('Listen method has been called more than once without closing.'), {
      code: 'ERR_SERVER_ALREADY_LISTEN',
    });
  if (!cluster.isPrimary)
    throw Object.assign(
      new Error(
        'listenOnNet cannot run in a cluster worker: Node sends an fd given to listen() to the primary as a ' +
          'number, and there it names another file',
      ),
      { code: 'ERR_INVALID_STATE' },
    );
  checkStreamSocket(socket, 'listenOnNet');
  if (!socket.getOption('SO_ACCEPTCONN'))
    throw argError(
      'ERR_INVALID_ARG_VALUE',
      'listenOnNet needs a listening socket (SO_ACCEPTCONN is 0): call bind() and listen() first; net.Server ' +
        'would otherwise listen(2) on it itself, which binds an unbound socket to a wildcard address',
    );
  const fd = socket.release();
  try {
    if (backlog === undefined) server.listen({ fd });
    else server.listen({ fd }, backlog);
  } catch (e) {
    if (!(server as unknown as NetInternals)._handle) sys.close(fd);
    throw e;
  }
  return server;
}
