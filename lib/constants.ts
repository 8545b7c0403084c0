/**
 * Constants from the platform headers, taken when the addon was built: AF_*, SOCK_*, SOL_*, SO_*,
 * IPPROTO_*, TCP_*, IP*, MSG_*, SHUT_*, F_*, O_NONBLOCK, FD_CLOEXEC, POLL*, the int ioctl
 * requests (FIONBIO, FIONREAD/SIOCINQ, SIOCOUTQ …), SOMAXCONN and every errno value.
 *
 * A name the platform does not define is absent (undefined), never given an invented number.
 * @module
 */
import type { Constants } from './constant-names.js';
import { argError } from './errors.js';
import { addon } from './native.js';

export type { Constants } from './constant-names.js';

/**
 * Every constant by name, e.g. `constants.AF_INET`, `constants.EAGAIN`. Values are the
 * platform's own; EAGAIN and EWOULDBLOCK are both present (equal on Linux).
 */
export const constants: Constants = Object.freeze({ ...addon.constants }) as Constants;

/**
 * Reads a constant that must exist on this platform.
 * @throws Error naming the constant when the platform's headers lack it.
 */
export function constant(name: string): number {
  if (typeof name !== 'string')
    throw argError('ERR_INVALID_ARG_TYPE', `The "name" argument must be of type string. Received ${typeof name}`);
  // Own properties only: constants.__proto__ or .toString are not constants.
  const value = Object.hasOwn(constants, name) ? constants[name] : undefined;
  if (value === undefined) throw new Error(`${name} is not defined on this platform`);
  return value;
}

/**
 * The symbolic name of an errno value: `errnoName(11)` → `'EAGAIN'`. Accepts the negative form
 * the raw layer returns (`-11`). Where two names share a value, the one Node uses is returned
 * (EAGAIN, not EWOULDBLOCK; ENOTSUP, not EOPNOTSUPP). Unknown values give `'E<number>'`.
 */
export function errnoName(errno: number): string {
  const n = Math.abs(errnoArg(errno));
  return addon.errnoNames[n] ?? `E${n}`;
}

/**
 * The C library's message for an errno value, as strerror(3) gives it:
 * `strerror(11)` → `'Resource temporarily unavailable'`. Accepts the negative form too.
 */
export function strerror(errno: number): string {
  const n = Math.abs(errnoArg(errno));
  return addon.errnoMessages[n] ?? `Unknown error ${n}`;
}

/** `errno` when it is a number (any number: unknown ones are named 'E<n>'); else a TypeError. */
function errnoArg(errno: unknown): number {
  if (typeof errno !== 'number')
    throw argError('ERR_INVALID_ARG_TYPE', `The "errno" argument must be of type number. Received ${typeof errno}`);
  return errno;
}
