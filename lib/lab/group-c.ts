/**
 * Small helpers shared by the connection-ending experiments (E12 peer-close, E13 epipe-sigpipe,
 * E14 connection-reset, E15 half-close, E21 accept-emfile): bounded accepts, waiting for a TCP
 * state, naming poll bits, and reading a process's signal disposition from /proc.
 * @module
 */
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import type { InetAddress } from '../address.js';
import { constants as c, errnoName } from '../constants.js';
import { Socket } from '../socket.js';
import { tcpStateName } from '../tcp-info.js';
import { waitFor } from './sample.js';
import type { Scope } from './scope.js';
export { tcpSocket } from './group-b.js';

/**
 * Waits up to `timeoutMs` for `listener` to be readable (a connection queued), then accepts it
 * (accept4 with SOCK_CLOEXEC) and registers it with `scope`. The main thread never blocks
 * longer than the poll bound.
 * @throws Error when nothing was queued within `timeoutMs`.
 */
export function acceptWithin(scope: Scope, listener: Socket, timeoutMs: number): Socket {
  const revents = listener.poll(c.POLLIN!, timeoutMs);
  if ((revents & c.POLLIN!) === 0) throw new Error(`no connection to accept within ${timeoutMs} ms`);
  return scope.socket(listener.accept().socket);
}

/** The TCP state of `socket` as the kernel sees it (TCP_INFO tcpi_state): `'ESTABLISHED'`, `'CLOSE_WAIT'` … */
export function tcpState(socket: Socket): string {
  return tcpStateName(socket.tcpInfo().state);
}

/**
 * Waits until the kernel has moved `socket` into TCP state `name` (e.g. `'CLOSE_WAIT'` once a
 * FIN arrived, `'CLOSE'` once a RST did), checking TCP_INFO every 10 ms, at most `timeoutMs`.
 * Reading TCP_INFO tells the program nothing through the socket API: no error is consumed.
 */
export async function waitForTcpState(socket: Socket, name: string, timeoutMs: number): Promise<void> {
  const state = c[`TCP_${name}`];
  if (state === undefined) throw new Error(`TCP_${name} is not defined on this platform`);
  await waitFor(() => socket.tcpInfo().state === state, timeoutMs, `TCP state ${name} (now ${tcpState(socket)})`);
}

const pollBits = ['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDHUP'];

/** The POLL* names set in `revents`, e.g. `'POLLIN|POLLRDHUP'` (`'0'` when none). */
export function pollNames(revents: number): string {
  const names = pollBits.filter((n) => c[n] !== undefined && (revents & c[n]!) !== 0);
  return names.length > 0 ? names.join('|') : '0';
}

/** How a process handles one signal, from the SigIgn/SigCgt masks of /proc/<pid>/status. */
export type SignalDisposition = 'ignored' | 'caught' | 'default';

/**
 * The disposition of signal `signum` in process `pid` (default: this process), read from
 * /proc/<pid>/status: SigIgn and SigCgt are hex masks where bit (signum − 1) is the signal.
 * Linux only; throws when /proc cannot be read.
 */
export function signalDisposition(signum: number, pid: number | 'self' = 'self'): SignalDisposition {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const mask = (field: string): bigint => {
    const line = status.split('\n').find((l) => l.startsWith(`${field}:`));
    if (!line) throw new Error(`/proc/${pid}/status has no ${field} line`);
    return BigInt(`0x${line.slice(field.length + 1).trim()}`);
  };
  const bit = 1n << BigInt(signum - 1);
  if ((mask('SigIgn') & bit) !== 0n) return 'ignored';
  if ((mask('SigCgt') & bit) !== 0n) return 'caught';
  return 'default';
}

/** A raw result in words: `'10'` for a count, `'EPIPE (-32)'` for -errno. */
export function rawResult(result: number): string {
  return result < 0 ? `${errnoName(result)} (${result})` : String(result);
}

/** `0100007F:1F90` (the /proc/net/tcp form, address in host byte order) → `127.0.0.1:8080`. */
function procAddress(hex: string): string {
  const [ip = '', port = ''] = hex.split(':');
  const bytes = [...Buffer.from(ip, 'hex')];
  if (endianness() === 'LE') bytes.reverse();
  return `${bytes.join('.')}:${Number.parseInt(port, 16)}`;
}

/**
 * The TCP states the kernel lists for the IPv4 connection `local` → `remote` in /proc/net/tcp
 * (this network namespace), e.g. `['TIME_WAIT']`. This sees what no fd shows any more: once the
 * closing handshake ends, a TIME_WAIT (or an orphaned FIN_WAIT2) lives in a kernel-only socket,
 * while the fd the program still holds reads CLOSE. Empty when nothing is listed.
 */
export function kernelTcpStates(local: InetAddress, remote: InetAddress): string[] {
  const want = [`${local.address}:${local.port}`, `${remote.address}:${remote.port}`];
  return readFileSync('/proc/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length > 3 && procAddress(f[1]!) === want[0] && procAddress(f[2]!) === want[1])
    .map((f) => tcpStateName(Number.parseInt(f[3]!, 16)));
}
