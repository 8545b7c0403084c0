/**
 * SocketError, and the one place where a raw `-errno` result becomes an exception.
 * @module
 */
import { formatAddress, isInetAddress, isUnixAddress, type SockAddr } from './address.js';
import { constants, errnoName, strerror } from './constants.js';

/**
 * A failed syscall, shaped like Node's SystemError: `errno` is negative and equal to the raw
 * layer's return value, `code` is its name (`'EAGAIN'`), `syscall` the call that failed.
 *
 * Message: `send EAGAIN (Resource temporarily unavailable)`, followed by the address when one
 * was involved: `connect ECONNREFUSED (Connection refused) 127.0.0.1:9`.
 */
export class SocketError extends Error {
  /** Negative errno, as the raw layer returned it (`-constants.EAGAIN`). */
  readonly errno: number;
  /** The errno's name: `'EAGAIN'`, `'EINPROGRESS'`, `'ECONNREFUSED'` … */
  readonly code: string;
  /** The syscall that failed: `'send'`, `'connect'` … */
  readonly syscall: string;
  /** The IP address involved, for bind/connect/sendto. */
  readonly address?: string;
  /** The port involved, for bind/connect/sendto. */
  readonly port?: number;
  /** The unix socket path involved. */
  readonly path?: string;

  /**
   * @param errno the raw result (negative) or the positive errno value
   * @param syscall the syscall's name
   * @param addr the address the call was given, if any
   * @param detail a sentence appended to the message (e.g. why no syscall was made)
   */
  constructor(errno: number, syscall: string, addr?: SockAddr, detail?: string) {
    super(messageOf(errno, syscall, addr, detail));
    const code = errnoName(errno);
    this.name = 'SocketError';
    this.errno = -Math.abs(errno);
    this.code = code;
    this.syscall = syscall;
    if (addr && isInetAddress(addr)) {
      this.address = addr.address;
      this.port = addr.port;
    } else if (addr && isUnixAddress(addr) && typeof addr.path === 'string') {
      this.path = addr.path;
    }
  }
}

/** The message of a SocketError; TypeError first when the arguments have the wrong types. */
function messageOf(errno: unknown, syscall: unknown, addr: SockAddr | undefined, detail: unknown): string {
  if (typeof syscall !== 'string')
    throw argError('ERR_INVALID_ARG_TYPE', `The "syscall" argument must be of type string. Received ${typeof syscall}`);
  if (detail !== undefined && typeof detail !== 'string')
    throw argError('ERR_INVALID_ARG_TYPE', `The "detail" argument must be of type string. Received ${typeof detail}`);
  const code = errnoName(errno as number); // TypeError for a non-number
  const where = addr ? ` ${formatAddress(addr)}` : ''; // TypeError for a non-object
  return `${syscall} ${code} (${strerror(errno as number)})${where}${detail ? `: ${detail}` : ''}`;
}

/**
 * Returns `result` when it is ≥ 0, and throws a {@link SocketError} when it is `-errno`.
 * Every Socket method goes through here; nothing else turns a result into an exception.
 */
export function check(result: number, syscall: string, addr?: SockAddr): number {
  if (typeof result !== 'number')
    throw argError('ERR_INVALID_ARG_TYPE', `The "result" argument must be of type number. Received ${typeof result}`);
  if (result < 0) throw new SocketError(result, syscall, addr);
  return result;
}

/** The EBADF a closed Socket throws, without making the syscall. */
export function closedError(syscall: string): SocketError {
  return new SocketError(
    constants.EBADF!,
    syscall,
    undefined,
    'the socket is closed (no syscall was made, so a recycled fd number cannot be touched)',
  );
}

/** The error for a feature this platform lacks (no syscall made): `errno` is what the kernel would say. */
export function absentError(errno: number, syscall: string, what: string): SocketError {
  return new SocketError(errno, syscall, undefined, `${what} is not available on this platform`);
}

/**
 * A programmer error shaped like Node's own argument errors: a TypeError or RangeError with a
 * `code` ('ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE'), the same codes the
 * native layer uses, so callers can tell them apart from a SocketError without parsing messages.
 */
export function argError(
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE',
  message: string,
): TypeError | RangeError {
  const error = code === 'ERR_OUT_OF_RANGE' ? new RangeError(message) : new TypeError(message);
  return Object.assign(error, { code });
}

/**
 * `value` when it is a 32-bit integer; otherwise the TypeError/RangeError the native layer would
 * throw. Used where this layer computes with an argument (`type | SOCK_CLOEXEC` would turn 1.5
 * into 1 and '1' into 1) or encodes it into bytes (an Int32Array would truncate it silently).
 */
export function int32Arg(value: unknown, name: string): number {
  if (typeof value !== 'number')
    throw argError('ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type number. Received ${typeof value}`);
  if (!Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff)
    throw argError(
      'ERR_OUT_OF_RANGE',
      `The value of "${name}" is out of range. It must be a 32-bit integer. Received ${value}`,
    );
  return value;
}
