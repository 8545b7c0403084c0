// Argument shapes several row files share: socket(2) triples, option (level, optname) pairs,
// fcntl commands, ioctl requests, POLL* events, signals. Where a value could do harm if it reached
// the kernel (a protocol that makes the kernel load a module, a netfilter option that takes user
// pointers, a signal Node or V8 handles) only a curated list is drawn, and the refused values are
// ones the kernel or the addon refuse before acting.
import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { constants as c, socketOptions, type OptionName } from '../../../lib/index.js';
import type { Gen } from '../gen.js';
import { INT32_MAX, INT32_MIN } from '../values.js';

const k = (name: string): number | undefined => c[name];

/**
 * (domain, type, protocol) triples the kernel answers without loading a module: a family it has
 * registered (or one >= AF_MAX, refused with EAFNOSUPPORT at once) and, for AF_INET/AF_INET6, a
 * type and protocol that match a registered protocol (a mismatch makes inet_create call
 * request_module). The type may carry SOCK_NONBLOCK/SOCK_CLOEXEC or unknown flag bits (EINVAL).
 */
export function socketTriple(g: Gen, optionalProtocol: boolean): [unknown, unknown, unknown] {
  const S = c.SOCK_STREAM!;
  const D = c.SOCK_DGRAM!;
  const R = c.SOCK_RAW!;
  const triples: [number, number, number][] = [
    [c.AF_INET!, S, 0],
    [c.AF_INET!, S, c.IPPROTO_TCP!],
    [c.AF_INET!, D, 0],
    [c.AF_INET!, D, c.IPPROTO_UDP!],
    [c.AF_INET!, D, c.IPPROTO_ICMP!],
    [c.AF_INET!, R, c.IPPROTO_ICMP!],
    [c.AF_INET6!, S, 0],
    [c.AF_INET6!, D, c.IPPROTO_UDP!],
    [c.AF_INET6!, R, c.IPPROTO_ICMPV6!],
    [c.AF_UNIX!, S, 0],
    [c.AF_UNIX!, D, 0],
    [c.AF_UNIX!, c.SOCK_SEQPACKET!, 0],
    [c.AF_UNIX!, R, 0],
    [c.AF_UNIX!, S, 1],
    [c.AF_UNIX!, S, 7],
    [9999, S, 0],
    [-1, S, 0],
  ];
  if (k('AF_NETLINK') !== undefined) triples.push([k('AF_NETLINK')!, R, 0]);
  if (k('AF_PACKET') !== undefined) triples.push([k('AF_PACKET')!, D, 0]);
  const [domain, type, protocol] = g.rng.pick(triples);
  let flags = 0;
  const r = g.rng.int(10);
  if (r < 3) flags = c.SOCK_NONBLOCK!;
  else if (r < 5) flags = c.SOCK_CLOEXEC!;
  else if (r < 6) flags = c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!;
  else if (r < 7)
    flags = g.rng.int32() & ~0xf; // unknown flag bits: EINVAL
  else if (r < 8) flags = 99 - type; // type 99 >= SOCK_MAX: EINVAL
  return [
    g.int('domain', [domain], { badRate: 0.08 }),
    g.int('type', [type | flags], { badRate: 0.08 }),
    g.int('protocol', [protocol], { badRate: 0.08, optional: optionalProtocol }),
  ];
}

/** The option table's names (and ones that are not in it). */
export const OPTION_NAMES = Object.keys(socketOptions) as OptionName[];
export const NOT_OPTION_NAMES: readonly unknown[] = [
  '__proto__',
  'toString',
  'constructor',
  'hasOwnProperty',
  'SO_NOPE',
  '',
  'so_error',
  5,
  null,
  undefined,
  Symbol('SO_ERROR'),
  { toString: () => 'SO_ERROR' },
];

/** The value of option `name` in JavaScript form: valid for its kind, or (marked bad) not. */
export function optionValue(g: Gen, name: OptionName): unknown {
  const kind = socketOptions[name].kind;
  const r = g.rng.int(100);
  if (r < 80) {
    switch (kind) {
      case 'int':
        return g.rng.pick([0, 1, 2, 64, 1024, 65536, 1 << 20, -1, INT32_MAX, INT32_MIN, 7]);
      case 'bool':
        return g.rng.chance(0.5);
      case 'linger':
        // A long linger would make the harness's close block: it defuses (linger 0) first.
        return { onoff: g.rng.chance(0.5), linger: g.rng.pick([0, 1, 30, INT32_MAX, -1]) };
      case 'timeval':
        return g.rng.pick([0, 1, 0.5, 1.5, 1000, 1e9, 1e12]);
    }
  }
  g.bad.push('value');
  switch (kind) {
    case 'int':
      return g.rng.pick([1.5, NaN, 2 ** 31, '1', true, null, undefined, 1n]);
    case 'bool':
      return g.rng.pick([1, 0, 'true', null, undefined, {}]);
    case 'linger':
      return g.rng.pick([
        null,
        5,
        {},
        { onoff: 1, linger: 0 },
        { onoff: true, linger: 1.5 },
        { onoff: true },
        { onoff: false, linger: '0' },
      ]);
    case 'timeval':
      return g.rng.pick([-1, NaN, Infinity, -Infinity, '1', null, undefined, 1n]);
  }
}

/**
 * (level, optname) for raw getsockopt/setsockopt: the option table's pairs (and TCP_INFO), or pairs
 * the kernel refuses with ENOPROTOOPT. Never a random optname: at the IP levels the netfilter
 * range (64–2047) takes structs with user pointers the kernel would read and write.
 */
export function optionPair(g: Gen, forGet: boolean): [unknown, unknown] {
  const r = g.rng.int(100);
  if (r < 80) {
    const name = g.rng.pick(OPTION_NAMES);
    const level = c[socketOptions[name].level];
    const optname = c[name];
    if (level !== undefined && optname !== undefined) return [level, optname];
  }
  if (r < 84 && forGet && c.TCP_INFO !== undefined) return [c.IPPROTO_TCP!, c.TCP_INFO];
  if (r < 94)
    return g.rng.pick([
      [c.SOL_SOCKET!, INT32_MAX],
      [c.SOL_SOCKET!, -1],
      [c.IPPROTO_TCP!, 0x7fff0000],
      [c.IPPROTO_IP!, INT32_MAX],
      [c.IPPROTO_IPV6!, -1],
      [123456, 1],
      [-5, 1],
    ] as [number, number][]);
  return [g.int('level', [c.SOL_SOCKET!], { badRate: 1 }), g.int('optname', [c.SO_TYPE!], { badRate: 0.5 })];
}

/** An fcntl command: the int-argument ones, or (marked bad) one the addon must refuse. */
export function fcntlCmd(g: Gen): unknown {
  const valid = ['F_GETFL', 'F_SETFL', 'F_GETFD', 'F_SETFD', 'F_DUPFD', 'F_DUPFD_CLOEXEC'].flatMap((n) =>
    c[n] === undefined ? [] : [c[n]],
  );
  if (g.rng.chance(0.85)) return g.int('cmd', valid, { badRate: 0.1 });
  g.bad.push('cmd');
  // F_GETLK 5, F_SETLK 6, F_SETOWN 8, F_GETOWN 9, F_SETSIG 10, F_SETLEASE 1024: pointer or process effects.
  return g.rng.pick([5, 6, 7, 8, 9, 10, 11, 1024, 1025, 9999, -1, INT32_MAX]);
}

/** An ioctl request: the int-argument ones, or (marked bad) one the addon must refuse. */
export function ioctlRequest(g: Gen): unknown {
  const valid = ['FIONBIO', 'FIONREAD', 'SIOCINQ', 'SIOCOUTQ', 'SIOCOUTQNSD', 'SIOCATMARK'].flatMap((n) =>
    c[n] === undefined ? [] : [c[n]],
  );
  if (g.rng.chance(0.85)) return g.int('request', valid, { badRate: 0.1 });
  g.bad.push('request');
  // Never a real pointer-taking request: numbers no driver defines, and the edges of the range.
  return g.rng.pick([0, 1, 0x7fffffff, 0xffffffff, 0xdead0000, 2 ** 32, -1]);
}

/** POLL* events for a wait or watch: a valid combination, or (marked bad) 0, POLLERR, other bits. */
export function waitEvents(g: Gen, name = 'events'): unknown {
  if (g.rng.chance(0.82)) {
    const names = ['POLLIN', 'POLLOUT', 'POLLPRI', 'POLLRDHUP'];
    let events = 0;
    while (events === 0) for (const n of names) if (g.rng.chance(0.4)) events |= c[n] ?? 0;
    return events;
  }
  if (g.rng.chance(0.5)) {
    g.bad.push(name);
    return g.rng.pick([0, c.POLLERR!, c.POLLHUP!, c.POLLNVAL!, 0x10000, -1, c.POLLIN! | 0x4000_0000]);
  }
  return g.int(name, [c.POLLIN!], { badRate: 1 });
}

/** Signal masks from /proc/self/status: which signals are ignored and which have handlers. */
export function signalMasks(): { ignored: bigint; caught: bigint } {
  const status = readFileSync('/proc/self/status', 'utf8');
  const mask = (name: string) => BigInt(`0x${new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? '0'}`);
  return { ignored: mask('SigIgn'), caught: mask('SigCgt') };
}

const bit = (signum: number) => 1n << BigInt(signum - 1);

/**
 * The signals sys.signal may be given, decided once from the process's own masks: SIGURG and
 * SIGWINCH (their default action is to ignore, so either disposition changes nothing) when no
 * handler is installed for them; SIGPIPE and SIGXFSZ with 'ignore' only, and only when already
 * ignored (Node ignores them: restoring SIG_DFL on SIGPIPE would let a send kill the process).
 * Never a signal with a handler (SIGINT, SIGTERM, SIGSEGV for V8, glibc's internal ones). And
 * numbers the kernel refuses with EINVAL whatever the disposition: 0, SIGKILL, SIGSTOP, >= 65.
 */
export function safeSignals(): { both: number[]; ignoreOnly: number[]; refused: number[] } {
  const { ignored, caught } = signalMasks();
  const s = osConstants.signals;
  const both = [s.SIGURG, s.SIGWINCH].filter((n) => (caught & bit(n)) === 0n);
  const ignoreOnly = [s.SIGPIPE, s.SIGXFSZ].filter((n) => (ignored & bit(n)) !== 0n && (caught & bit(n)) === 0n);
  return { both, ignoreOnly, refused: [0, s.SIGKILL, s.SIGSTOP, 65, 1000, -1, INT32_MAX, INT32_MIN] };
}
