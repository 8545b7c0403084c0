/**
 * Socket addresses as plain objects, the shapes the raw layer reads and writes.
 * `family` is the platform's AF_* number (from {@link constants}).
 * @module
 */
import { constants } from './constants.js';
import { argError } from './errors.js';

/** An IPv4 address: `{ family: AF_INET, address: '127.0.0.1', port: 8080 }`. */
export interface InetAddress {
  family: number;
  address: string;
  port: number;
}

/** An IPv6 address; `scopeId` is the interface index of a link-local address. */
export interface Inet6Address {
  family: number;
  address: string;
  port: number;
  flowinfo?: number;
  scopeId?: number;
}

/**
 * An AF_UNIX address. A path that starts with `'\0'` is a Linux abstract name (its length is
 * exact). An unnamed socket (socketpair, an unbound client) comes back from getsockname,
 * getpeername and accept as `path: ''`; recvfrom of a datagram from an unbound sender gives
 * `{ family: AF_UNSPEC }`, because the kernel reports no address at all (length 0).
 */
export interface UnixAddress {
  family: number;
  path: string | Uint8Array;
}

/** AF_UNSPEC: `connect()` to it dissolves a datagram socket's association. */
export interface UnspecAddress {
  family: number;
}

/** Any address the raw layer accepts or returns. */
export type SockAddr = InetAddress | Inet6Address | UnixAddress | UnspecAddress;

/** `{ family: AF_INET, address, port }`. */
export function inet(address: string, port: number): InetAddress {
  return { family: constants.AF_INET!, address, port };
}

/** `{ family: AF_INET6, address, port, flowinfo, scopeId }`. */
export function inet6(
  address: string,
  port: number,
  options: { flowinfo?: number; scopeId?: number } = {},
): Inet6Address {
  if (typeof options !== 'object' || options === null)
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "options" argument must be of type object. Received ${options === null ? 'null' : typeof options}`,
    );
  return { family: constants.AF_INET6!, address, port, flowinfo: options.flowinfo ?? 0, scopeId: options.scopeId ?? 0 };
}

/** `{ family: AF_UNIX, path }` for a filesystem path. */
export function unixPath(path: string): UnixAddress {
  return { family: constants.AF_UNIX!, path };
}

/** `{ family: AF_UNIX, path: '\0' + name }`: a Linux abstract socket name (no file is created). */
export function abstractName(name: string): UnixAddress {
  if (typeof name !== 'string')
    throw argError('ERR_INVALID_ARG_TYPE', `The "name" argument must be of type string. Received ${typeof name}`);
  return { family: constants.AF_UNIX!, path: `\0${name}` };
}

/** `{ family: AF_UNSPEC }`. */
export function unspec(): UnspecAddress {
  return { family: constants.AF_UNSPEC! };
}

/** A field shown in a message: never a throw (a Symbol, an object without toString, a Proxy). */
function show(value: unknown): string {
  try {
    return String(value);
  } catch {
    return `(${typeof value})`;
  }
}

const isObject = (value: unknown): value is object =>
  (typeof value === 'object' && value !== null) || typeof value === 'function';

/** True for an AF_INET or AF_INET6 address (false for anything that is not an object). */
export function isInetAddress(addr: SockAddr): addr is InetAddress | Inet6Address {
  return isObject(addr) && (addr.family === constants.AF_INET || addr.family === constants.AF_INET6);
}

/** True for an AF_UNIX address (false for anything that is not an object). */
export function isUnixAddress(addr: SockAddr): addr is UnixAddress {
  return isObject(addr) && addr.family === constants.AF_UNIX;
}

/**
 * A readable form: `127.0.0.1:80`, `[::1]:80`, `[fe80::1%2]:80`, `/tmp/x.sock`, `@name` for an
 * abstract name, `(unnamed)` for an unnamed unix socket, `AF_UNSPEC`.
 */
export function formatAddress(addr: SockAddr): string {
  if (!isObject(addr))
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "addr" argument must be an address object. Received ${addr === null ? 'null' : typeof addr}`,
    );
  // show(): a field of any type (a Symbol too) is shown, never thrown on.
  if (addr.family === constants.AF_INET) {
    const a = addr as InetAddress;
    return `${show(a.address)}:${show(a.port)}`;
  }
  if (addr.family === constants.AF_INET6) {
    const a = addr as Inet6Address;
    const zone = a.scopeId ? `%${show(a.scopeId)}` : '';
    return `[${show(a.address)}${zone}]:${show(a.port)}`;
  }
  if (addr.family === constants.AF_UNIX) {
    const p: unknown = (addr as UnixAddress).path;
    const text =
      typeof p === 'string'
        ? p
        : p instanceof Uint8Array
          ? p.byteLength === 0 // detached too: Buffer.from would throw on its buffer
            ? ''
            : Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString()
          : show(p);
    if (text === '') return '(unnamed)';
    return text.startsWith('\0') ? `@${text.slice(1)}` : text;
  }
  if (addr.family === constants.AF_UNSPEC) return 'AF_UNSPEC';
  return `family ${show(addr.family)}`;
}
