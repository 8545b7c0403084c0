/**
 * Socket options as a table: one row per option, naming its level and how its value is laid
 * out. getOption/setOption on {@link Socket} read this table; adding an option is adding a row.
 * Levels and option numbers come from {@link constants}; an option the platform lacks is
 * reported as absent (ENOPROTOOPT), never faked.
 * @module
 */
import { constants } from './constants.js';
import { absentError, argError, check, int32Arg } from './errors.js';
import * as sys from './sys.js';
import { layout, readField, view, writeField } from './struct.js';

/** How an option's value is laid out. */
export type OptionKind = 'int' | 'bool' | 'linger' | 'timeval';

/** struct linger: `onoff` enables lingering close; `{ onoff: true, linger: 0 }` makes close send RST. */
export interface Linger {
  onoff: boolean;
  linger: number;
}

/** The JavaScript value of each kind. timeval is milliseconds (fractions carry microseconds). */
export interface OptionValueOfKind {
  int: number;
  bool: boolean;
  linger: Linger;
  timeval: number;
}

/** The option table: name → level (a constant's name) and value kind. */
export const socketOptions = {
  SO_ERROR: { level: 'SOL_SOCKET', kind: 'int' },
  SO_TYPE: { level: 'SOL_SOCKET', kind: 'int' },
  SO_DOMAIN: { level: 'SOL_SOCKET', kind: 'int' },
  SO_PROTOCOL: { level: 'SOL_SOCKET', kind: 'int' },
  SO_ACCEPTCONN: { level: 'SOL_SOCKET', kind: 'bool' },
  SO_SNDBUF: { level: 'SOL_SOCKET', kind: 'int' },
  SO_RCVBUF: { level: 'SOL_SOCKET', kind: 'int' },
  SO_SNDBUFFORCE: { level: 'SOL_SOCKET', kind: 'int' },
  SO_RCVBUFFORCE: { level: 'SOL_SOCKET', kind: 'int' },
  SO_SNDLOWAT: { level: 'SOL_SOCKET', kind: 'int' },
  SO_RCVLOWAT: { level: 'SOL_SOCKET', kind: 'int' },
  SO_REUSEADDR: { level: 'SOL_SOCKET', kind: 'bool' },
  SO_REUSEPORT: { level: 'SOL_SOCKET', kind: 'bool' },
  SO_KEEPALIVE: { level: 'SOL_SOCKET', kind: 'bool' },
  SO_BROADCAST: { level: 'SOL_SOCKET', kind: 'bool' },
  SO_OOBINLINE: { level: 'SOL_SOCKET', kind: 'bool' },
  SO_DONTROUTE: { level: 'SOL_SOCKET', kind: 'bool' },
  SO_PRIORITY: { level: 'SOL_SOCKET', kind: 'int' },
  SO_MARK: { level: 'SOL_SOCKET', kind: 'int' },
  SO_LINGER: { level: 'SOL_SOCKET', kind: 'linger' },
  SO_SNDTIMEO: { level: 'SOL_SOCKET', kind: 'timeval' },
  SO_RCVTIMEO: { level: 'SOL_SOCKET', kind: 'timeval' },
  TCP_NODELAY: { level: 'IPPROTO_TCP', kind: 'bool' },
  TCP_MAXSEG: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_CORK: { level: 'IPPROTO_TCP', kind: 'bool' },
  TCP_KEEPIDLE: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_KEEPINTVL: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_KEEPCNT: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_SYNCNT: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_USER_TIMEOUT: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_LINGER2: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_DEFER_ACCEPT: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_WINDOW_CLAMP: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_QUICKACK: { level: 'IPPROTO_TCP', kind: 'bool' },
  TCP_NOTSENT_LOWAT: { level: 'IPPROTO_TCP', kind: 'int' },
  TCP_FASTOPEN: { level: 'IPPROTO_TCP', kind: 'int' },
  IP_TOS: { level: 'IPPROTO_IP', kind: 'int' },
  IP_TTL: { level: 'IPPROTO_IP', kind: 'int' },
  IP_RECVERR: { level: 'IPPROTO_IP', kind: 'bool' },
  IP_FREEBIND: { level: 'IPPROTO_IP', kind: 'bool' },
  IP_BIND_ADDRESS_NO_PORT: { level: 'IPPROTO_IP', kind: 'bool' },
  IPV6_V6ONLY: { level: 'IPPROTO_IPV6', kind: 'bool' },
  IPV6_UNICAST_HOPS: { level: 'IPPROTO_IPV6', kind: 'int' },
  IPV6_RECVERR: { level: 'IPPROTO_IPV6', kind: 'bool' },
} as const satisfies Record<string, { level: string; kind: OptionKind }>;

/** The name of an option in the table. */
export type OptionName = keyof typeof socketOptions;

/** The JavaScript value type of option `N`. */
export type OptionValue<N extends OptionName> = OptionValueOfKind[(typeof socketOptions)[N]['kind']];

/** An option resolved to this platform's numbers. */
export interface ResolvedOption {
  level: number;
  optname: number;
  kind: OptionKind;
}

/**
 * The level and option number of `name` on this platform.
 * @throws SocketError ENOPROTOOPT when the platform does not define the option (say, TCP_USER_TIMEOUT on macOS).
 */
export function resolveOption(name: OptionName, syscall: string): ResolvedOption {
  if (typeof name !== 'string')
    throw argError('ERR_INVALID_ARG_TYPE', `The "name" argument must be of type string. Received ${typeof name}`);
  // Own properties only: '__proto__' or 'toString' are not options.
  const spec = Object.hasOwn(socketOptions, name) ? socketOptions[name] : undefined;
  if (!spec) throw argError('ERR_INVALID_ARG_VALUE', `Unknown socket option ${name}`);
  const level = constants[spec.level];
  const optname = constants[name];
  if (level === undefined || optname === undefined) throw absentError(constants.ENOPROTOOPT!, syscall, name);
  return { level, optname, kind: spec.kind };
}

/** A buffer of the kind's C size, for getsockopt. */
export function optionBuffer(kind: OptionKind): Buffer {
  return Buffer.alloc(layout(kind === 'bool' ? 'int' : kind).size);
}

/** The C bytes for a value of `kind`, for setsockopt. Throws TypeError/RangeError on a bad value. */
export function encodeOption(kind: OptionKind, value: unknown, name: string): Buffer {
  const buf = optionBuffer(kind);
  const dv = view(buf);
  switch (kind) {
    case 'int':
      writeField(dv, layout('int').fields.value!, int32Arg(value, name));
      break;
    case 'bool':
      if (typeof value !== 'boolean') throw argError('ERR_INVALID_ARG_TYPE', `The value of ${name} must be a boolean`);
      writeField(dv, layout('int').fields.value!, value ? 1 : 0);
      break;
    case 'linger': {
      const v = value as Partial<Linger> | null;
      if (typeof v !== 'object' || v === null || typeof v.onoff !== 'boolean')
        throw argError('ERR_INVALID_ARG_TYPE', `The value of ${name} must be { onoff: boolean, linger: number }`);
      const f = layout('linger').fields;
      writeField(dv, f.l_onoff!, v.onoff ? 1 : 0);
      writeField(dv, f.l_linger!, int32Arg(v.linger, `${name}.linger`));
      break;
    }
    case 'timeval': {
      if (typeof value !== 'number')
        throw argError('ERR_INVALID_ARG_TYPE', `The value of ${name} must be a number of milliseconds`);
      if (!Number.isFinite(value) || value < 0)
        throw argError('ERR_OUT_OF_RANGE', `The value of ${name} must be a finite number of milliseconds >= 0`);
      const micros = Math.round(value * 1000);
      const f = layout('timeval').fields;
      writeField(dv, f.tv_sec!, Math.floor(micros / 1e6));
      writeField(dv, f.tv_usec!, micros % 1e6);
      break;
    }
  }
  return buf;
}

/** The JavaScript value of the option bytes getsockopt wrote. */
export function decodeOption(kind: OptionKind, buf: Buffer): number | boolean | Linger {
  const dv = view(buf);
  switch (kind) {
    case 'int':
      return readField(dv, layout('int').fields.value!);
    case 'bool':
      return readField(dv, layout('int').fields.value!) !== 0;
    case 'linger': {
      const f = layout('linger').fields;
      return { onoff: readField(dv, f.l_onoff!) !== 0, linger: readField(dv, f.l_linger!) };
    }
    case 'timeval': {
      const f = layout('timeval').fields;
      return readField(dv, f.tv_sec!) * 1000 + readField(dv, f.tv_usec!) / 1000;
    }
  }
}

/**
 * getsockopt(2) of option `name` on `fd`, decoded. One syscall; throws SocketError on failure.
 * Shared by {@link Socket.getOption} and `BorrowedSocket.getOption`.
 */
export function getOptionOf<N extends OptionName>(fd: number, name: N): OptionValue<N> {
  const opt = resolveOption(name, 'getsockopt');
  const buf = optionBuffer(opt.kind);
  check(sys.getsockopt(fd, opt.level, opt.optname, buf), 'getsockopt');
  return decodeOption(opt.kind, buf) as OptionValue<N>;
}

/** setsockopt(2) of option `name` on `fd`, encoded from `value`. One syscall. */
export function setOptionOf<N extends OptionName>(fd: number, name: N, value: OptionValue<N>): void {
  const opt = resolveOption(name, 'setsockopt');
  check(sys.setsockopt(fd, opt.level, opt.optname, encodeOption(opt.kind, value, name)), 'setsockopt');
}
