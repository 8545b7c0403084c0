/**
 * The raw layer: one function per syscall, named after it, arguments in C order.
 *
 * Every function returns what the syscall returns on success (≥ 0) and `-errno` on failure,
 * the kernel's own convention (and the sign of Node's `SystemError.errno`): an OS failure never
 * throws and allocates nothing, so a nonblocking loop that meets EAGAIN a million times stays
 * fast. Only programmer errors throw, before any syscall: TypeError for a wrong type, RangeError
 * for a value out of range (an offset past the end of the buffer, a port above 65535, a unix
 * path that does not fit sun_path, a fractional fd).
 *
 * Buffers are used in place, never copied. Extra outputs (a peer address, an option value,
 * poll's revents) go into objects or typed arrays the caller passes in.
 *
 * Nothing is added silently: `socket` passes exactly the flags it is given (compare
 * `Socket.create`, which adds SOCK_CLOEXEC).
 *
 * ```ts
 * import { sys, constants as c } from 'syssock';
 * const fd = sys.socket(c.AF_INET, c.SOCK_STREAM | c.SOCK_NONBLOCK, 0);
 * const n = sys.recv(fd, buf, 0, buf.length, 0); // -c.EAGAIN (or -c.ENOTCONN) instead of a throw
 * ```
 * @module
 */
import { addon, type NativeAddon } from './native.js';

export type { NativeAddon, RawAddress, StructLayout, FieldLayout } from './native.js';

/** socket(2): a new socket → fd, or -errno. `type` may include SOCK_NONBLOCK / SOCK_CLOEXEC. */
export const socket: NativeAddon['socket'] = addon.socket;

/** socketpair(2): a connected pair; the fds go into `sv[0]` and `sv[1]`. → 0 or -errno. */
export const socketpair: NativeAddon['socketpair'] = addon.socketpair;

/** bind(2): → 0 or -errno (e.g. -EADDRINUSE). */
export const bind: NativeAddon['bind'] = addon.bind;

/** listen(2): → 0 or -errno (-EOPNOTSUPP on a datagram socket). */
export const listen: NativeAddon['listen'] = addon.listen;

/**
 * accept(2): → the new fd or -errno. The peer's address is written into `peer` when it is an
 * object (pass null to skip it). The new fd does not inherit O_NONBLOCK from the listener.
 * The one wrapper that may make a second syscall: if writing `peer` throws (a setter of the
 * caller's, a frozen object), the new fd is closed with close(2) before the exception
 * propagates, since nobody would ever learn its number.
 */
export const accept: NativeAddon['accept'] = addon.accept;

/**
 * accept4(2) (Linux): accept with SOCK_NONBLOCK / SOCK_CLOEXEC set atomically. -ENOSYS
 * elsewhere. Like {@link accept}, closes the new fd if writing `peer` throws.
 */
export const accept4: NativeAddon['accept4'] = addon.accept4;

/** connect(2): → 0 or -errno; a nonblocking socket gives -EINPROGRESS (TCP) while it connects. */
export const connect: NativeAddon['connect'] = addon.connect;

/** send(2): sends `length` bytes of `buffer` from byte `offset` → bytes sent, or -errno. */
export const send: NativeAddon['send'] = addon.send;

/** recv(2): receives into `buffer` at byte `offset`, at most `length` bytes → count (0: EOF), or -errno. */
export const recv: NativeAddon['recv'] = addon.recv;

/**
 * writev(2): writes the bytes of every element of `buffers`, in order, in one syscall (one iovec
 * per element, pointing into the element's own memory; nothing is copied) → bytes written, or
 * -errno. On a stream socket the count may be less than the total (a partial write: a full send
 * buffer on a nonblocking socket, or a signal); the caller resumes from that byte. A nonblocking
 * socket with no room at all gives -EAGAIN. Each element is written whole: pass `subarray()` views
 * for ranges. No send(2) flags: Node ignores SIGPIPE, so a broken connection gives -EPIPE.
 *
 * Throws before the syscall: TypeError when `buffers` is not an Array or an element is not a
 * Buffer/TypedArray/DataView; RangeError when it has more than IOV_MAX (1024 on Linux) elements.
 * An empty array makes the syscall with iovcnt 0 (→ 0).
 *
 * Second form, `writev(fd, buffer, segments)`: the iovecs as `[offset, length, offset, length …]`
 * pairs (a Uint32Array) into one `buffer` — for many small pieces of one arena (a ring buffer's
 * two halves, framed messages laid out in one block). It costs two Node-API reads in all, where
 * the array form pays two per element, so it is the batch path for small messages. RangeError
 * for an odd element count, more than IOV_MAX pairs, or a pair that does not lie within `buffer`;
 * TypeError when `segments` is not a Uint32Array.
 */
export const writev: NativeAddon['writev'] = addon.writev;

/** sendto(2): send to `address` (null: the connected peer) → bytes sent, or -errno. */
export const sendto: NativeAddon['sendto'] = addon.sendto;

/**
 * recvfrom(2): receive and write the sender's address into `source` (when it is an object) →
 * count, or -errno. With MSG_TRUNC a datagram's full length is returned even if it was cut.
 */
export const recvfrom: NativeAddon['recvfrom'] = addon.recvfrom;

/** shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR → 0 or -errno. */
export const shutdown: NativeAddon['shutdown'] = addon.shutdown;

/** close(2): → 0 or -errno. Never retried: on Linux the fd is released even when it reports EINTR. */
export const close: NativeAddon['close'] = addon.close;

/**
 * fcntl(2) for the int-argument commands only: F_GETFL, F_SETFL, F_GETFD, F_SETFD, F_DUPFD,
 * F_DUPFD_CLOEXEC (others throw RangeError) → the command's result or -errno.
 */
export const fcntl: NativeAddon['fcntl'] = addon.fcntl;

/**
 * ioctl(2) for the int-argument requests only: FIONBIO reads `value[0]`; FIONREAD (SIOCINQ),
 * SIOCOUTQ, SIOCOUTQNSD and SIOCATMARK write it. Others throw RangeError. → 0 or -errno.
 */
export const ioctl: NativeAddon['ioctl'] = addon.ioctl;

/**
 * getsockopt(2): the option's bytes are written into `optval` (its whole byte length is offered)
 * → the length the kernel wrote, or -errno. See `layouts` for the structs' shapes.
 */
export const getsockopt: NativeAddon['getsockopt'] = addon.getsockopt;

/** setsockopt(2): `optval`'s bytes are the value (its byte length is optlen) → 0 or -errno. */
export const setsockopt: NativeAddon['setsockopt'] = addon.setsockopt;

/** getsockname(2): the local address goes into `address` → 0 or -errno. */
export const getsockname: NativeAddon['getsockname'] = addon.getsockname;

/** getpeername(2): the peer's address goes into `address` → 0 or -errno (-ENOTCONN). */
export const getpeername: NativeAddon['getpeername'] = addon.getpeername;

/**
 * poll(2): `fds` holds `nfds` struct pollfd laid out as `layouts.pollfd` describes (its byteOffset
 * aligned); the kernel writes revents in place → number of ready entries, or -errno. Blocks the
 * calling thread up to `timeout` ms (-1: no limit; 0: just look).
 */
export const poll: NativeAddon['poll'] = addon.poll;

/** gettid(2): the calling thread's kernel thread id (Linux; -ENOSYS elsewhere). */
export const gettid: NativeAddon['gettid'] = addon.gettid;

/**
 * sigaction(2) with SIG_DFL (`'default'`) or SIG_IGN (`'ignore'`) for `signum`, process-wide → 0 or
 * -errno. Node runs with SIGPIPE ignored (so a send on a broken connection gives -EPIPE); a child
 * process that wants the classic death by SIGPIPE restores the default with this.
 */
export const signal: NativeAddon['signal'] = addon.signal;

/**
 * Byte layouts of the structs that cross as raw bytes (int, linger, timeval, pollfd, tcp_info),
 * from sizeof/offsetof at build time: `{ size, fields: { name: [offset, size, signed] } }`.
 */
export const layouts = addon.layouts;

/** The platform the addon was compiled for. */
export const platform = addon.platform;
