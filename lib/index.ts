/**
 * syssock: the real POSIX socket API for Node.js, with the kernel's own errno.
 *
 * - {@link sys}: the raw layer, one function per syscall, returning ≥ 0 or -errno.
 * - {@link Socket}: owns one fd, one method per syscall, throws {@link SocketError}; its async
 *   helpers (`readable`, `acceptAsync`, `connectAsync`, `sendAll`, `recvSome`, `accepts`) wait for
 *   readiness on the event loop through a {@link Poller} (one libuv poll handle per fd).
 * - {@link constants}, {@link errnoName}, {@link strerror}: values from the platform headers.
 * @module
 */
export * as sys from './sys.js';
export {
  Socket,
  type Accepted,
  type AcceptLoopOptions,
  type Received,
  type RecvSomeOptions,
  type SendAllOptions,
} from './socket.js';
export {
  Poller,
  pollHandleCount,
  type NativePollCallback,
  type NativePoller,
  type NativePollerState,
  type ReventsSource,
  type ReadinessListener,
  type WaitOptions,
} from './poller.js';
export { SocketError, check } from './errors.js';
export { constants, constant, errnoName, strerror, type Constants } from './constants.js';
export {
  abstractName,
  formatAddress,
  inet,
  inet6,
  isInetAddress,
  isUnixAddress,
  unixPath,
  unspec,
  type Inet6Address,
  type InetAddress,
  type SockAddr,
  type UnixAddress,
  type UnspecAddress,
} from './address.js';
export {
  socketOptions,
  type Linger,
  type OptionKind,
  type OptionName,
  type OptionValue,
  type OptionValueOfKind,
} from './options.js';
export { decodeTcpInfo, tcpStateName, type TcpInfo } from './tcp-info.js';
export { poll, type PollRequest } from './poll.js';
export {
  BorrowedSocket,
  borrow,
  listenOnNet,
  toNetSocket,
  type ListenOnNetOptions,
  type NetSocketOrServer,
  type ToNetSocketOptions,
} from './interop.js';
