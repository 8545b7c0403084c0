/**
 * Socket: owns one fd. Each method performs exactly one syscall and is named after it (helpers
 * that make more say so); a failure throws {@link SocketError}. Expected outcomes stay visible:
 * EAGAIN and EINPROGRESS are thrown as they are, never swallowed or retried.
 * @module
 */
import type { SockAddr } from './address.js';
import { constants } from './constants.js';
import { absentError, argError, check, closedError, int32Arg } from './errors.js';
import type { RawAddress } from './native.js';
import {
  decodeOption,
  encodeOption,
  optionBuffer,
  resolveOption,
  type OptionName,
  type OptionValue,
} from './options.js';
import { poll } from './poll.js';
import * as sys from './sys.js';
import { decodeTcpInfo, tcpInfoBuffer, type TcpInfo } from './tcp-info.js';

const c = constants;

/** What accept returns: the new connection (owned by the caller) and the peer's address. */
export interface Accepted {
  socket: Socket;
  address: SockAddr;
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
 * One socket file descriptor, owned.
 *
 * Ownership rules: `close()` marks the object closed before calling close(2), a second close is
 * a no-op, and every call after close throws EBADF **without a syscall**, so a closed Socket can
 * never touch a recycled fd number that now belongs to someone else.
 *
 * ```ts
 * const server = Socket.create(constants.AF_INET, constants.SOCK_STREAM);
 * server.bind(inet('127.0.0.1', 0));
 * server.listen(16);
 * ```
 */
export class Socket {
  #fd: number;

  /** Takes ownership of `fd`. Use the static constructors. */
  private constructor(fd: number) {
    this.#fd = fd;
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
   */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    check(sys.close(fd), 'close');
  }

  /**
   * Gives up ownership without closing: marks this Socket closed (later calls throw EBADF
   * without a syscall) and returns the fd, which now belongs to the caller — for handing it to
   * `new net.Socket({ fd })` or `server.listen({ fd })`. No syscall.
   */
  release(): number {
    const fd = this.#use('release');
    this.#fd = -1;
    return fd;
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
    return check(sys.send(this.#use('send'), bytes, offset, length ?? byteLengthOf(bytes) - offset, flags), 'send');
  }

  /** recv(2) into `buffer` (from `offset`, at most `length` bytes): → bytes received, 0 at end of stream. */
  recv(buffer: ArrayBufferView, flags = 0, offset = 0, length?: number): number {
    return check(sys.recv(this.#use('recv'), buffer, offset, length ?? byteLengthOf(buffer) - offset, flags), 'recv');
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
    const fd = this.#use('getsockopt');
    const opt = resolveOption(name, 'getsockopt');
    const buf = optionBuffer(opt.kind);
    check(sys.getsockopt(fd, opt.level, opt.optname, buf), 'getsockopt');
    return decodeOption(opt.kind, buf) as OptionValue<N>;
  }

  /**
   * setsockopt(2) for an option in the table, encoded from its JavaScript value. Note that
   * Linux doubles SO_SNDBUF/SO_RCVBUF (a read gives 2× what was set, within floor and ceiling).
   */
  setOption<N extends OptionName>(name: N, value: OptionValue<N>): void {
    const fd = this.#use('setsockopt');
    const opt = resolveOption(name, 'setsockopt');
    check(sys.setsockopt(fd, opt.level, opt.optname, encodeOption(opt.kind, value, name)), 'setsockopt');
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
    const fd = this.#use('getsockopt');
    if (c.TCP_INFO === undefined || sys.layouts.tcp_info === undefined)
      throw absentError(c.ENOPROTOOPT!, 'getsockopt', 'TCP_INFO');
    const buf = tcpInfoBuffer();
    const length = check(sys.getsockopt(fd, c.IPPROTO_TCP!, c.TCP_INFO, buf), 'getsockopt');
    return decodeTcpInfo(buf, length);
  }
}
