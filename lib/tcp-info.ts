/**
 * TCP_INFO decoded from struct tcp_info by the layout of the kernel headers the addon was built
 * with. A field is present only when the running kernel wrote it (getsockopt's returned length
 * covers it); otherwise it is listed in `absent` with the reason, never invented.
 * @module
 */
import { constants } from './constants.js';
import { absentError, argError, check } from './errors.js';
import * as sys from './sys.js';
import { layout, readField, view } from './struct.js';

/**
 * Decoded struct tcp_info. Names drop the `tcpi_` prefix and are camelCased
 * (`tcpi_snd_cwnd` → `sndCwnd`). Times are in microseconds (rto, ato, rtt, rttvar …) or
 * milliseconds (lastDataSent …) as the kernel reports them.
 */
export interface TcpInfo {
  /** tcpi_state: a TCP_* state number (constants.TCP_ESTABLISHED …). */
  state: number;
  /** The state's name without the prefix: `'ESTABLISHED'`, `'SYN_SENT'` … */
  stateName: string;
  caState: number;
  retransmits: number;
  probes: number;
  backoff: number;
  options: number;
  rto: number;
  ato: number;
  sndMss: number;
  rcvMss: number;
  unacked: number;
  sacked: number;
  lost: number;
  retrans: number;
  fackets: number;
  lastDataSent: number;
  lastAckSent: number;
  lastDataRecv: number;
  lastAckRecv: number;
  pmtu: number;
  rcvSsthresh: number;
  rtt: number;
  rttvar: number;
  sndSsthresh: number;
  sndCwnd: number;
  advmss: number;
  reordering: number;
  rcvRtt: number;
  rcvSpace: number;
  totalRetrans: number;
  pacingRate?: number;
  maxPacingRate?: number;
  bytesAcked?: number;
  bytesReceived?: number;
  segsOut?: number;
  segsIn?: number;
  notsentBytes?: number;
  minRtt?: number;
  dataSegsIn?: number;
  dataSegsOut?: number;
  deliveryRate?: number;
  busyTime?: number;
  rwndLimited?: number;
  sndbufLimited?: number;
  delivered?: number;
  deliveredCe?: number;
  bytesSent?: number;
  bytesRetrans?: number;
  dsackDups?: number;
  reordSeen?: number;
  rcvOoopack?: number;
  /** The peer's advertised receive window after scaling, in bytes (Linux ≥ 5.4). */
  sndWnd?: number;
  /** Our advertised receive window (Linux ≥ 6.7; needs headers that know it). */
  rcvWnd?: number;
  /** The bytes the kernel wrote (getsockopt's optlen). */
  length: number;
  /** Fields this result lacks, each with the reason. */
  absent: { field: string; reason: string }[];
}

/** Fields newer kernels have that the build's headers may not know; reported absent if so. */
const newerFields = [
  'tcpi_rcv_wnd',
  'tcpi_rehash',
  'tcpi_total_rto',
  'tcpi_total_rto_recoveries',
  'tcpi_total_rto_time',
];

/** `tcpi_snd_cwnd` → `sndCwnd`. */
function camel(field: string): string {
  return field.replace(/^tcpi_/, '').replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The name of a TCP state number: `'ESTABLISHED'`, or `'UNKNOWN(n)'`. */
export function tcpStateName(state: number): string {
  if (typeof state !== 'number')
    throw argError('ERR_INVALID_ARG_TYPE', `The "state" argument must be of type number. Received ${typeof state}`);
  for (const [name, value] of Object.entries(constants)) {
    if (value === state && name.startsWith('TCP_') && tcpStates.has(name)) return name.slice(4);
  }
  return `UNKNOWN(${state})`;
}

const tcpStates = new Set([
  'TCP_ESTABLISHED',
  'TCP_SYN_SENT',
  'TCP_SYN_RECV',
  'TCP_FIN_WAIT1',
  'TCP_FIN_WAIT2',
  'TCP_TIME_WAIT',
  'TCP_CLOSE',
  'TCP_CLOSE_WAIT',
  'TCP_LAST_ACK',
  'TCP_LISTEN',
  'TCP_CLOSING',
]);

/** The buffer to pass to getsockopt(TCP_INFO). */
export function tcpInfoBuffer(): Buffer {
  return Buffer.alloc(layout('tcp_info').size);
}

/** Decodes the first `length` bytes of `buf` that getsockopt(TCP_INFO) wrote. */
export function decodeTcpInfo(buf: Buffer, length: number): TcpInfo {
  if (!ArrayBuffer.isView(buf))
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "buf" argument must be an instance of Buffer, TypedArray or DataView. Received ${buf === null ? 'null' : typeof buf}`,
    );
  if (typeof length !== 'number')
    throw argError('ERR_INVALID_ARG_TYPE', `The "length" argument must be of type number. Received ${typeof length}`);
  // Fields are read only below `length`: past the view's end they would throw a bare RangeError.
  if (!Number.isInteger(length) || length < 0 || length > buf.byteLength)
    throw argError(
      'ERR_OUT_OF_RANGE',
      `The value of "length" is out of range. It must be an integer >= 0 and <= ${buf.byteLength} (the byte length of "buf"). Received ${length}`,
    );
  const { fields } = layout('tcp_info');
  const dv = view(buf);
  const out: Record<string, unknown> = { length, absent: [] };
  const absent = out.absent as TcpInfo['absent'];
  for (const [name, field] of Object.entries(fields)) {
    if (field[0] + field[1] <= length) out[camel(name)] = readField(dv, field);
    else absent.push({ field: camel(name), reason: `the running kernel wrote only ${length} bytes of tcp_info` });
  }
  for (const name of newerFields) {
    if (!(name in fields))
      absent.push({ field: camel(name), reason: 'not in the kernel headers this addon was built with' });
  }
  out.stateName = tcpStateName(out.state as number);
  return out as unknown as TcpInfo;
}

/**
 * getsockopt(TCP_INFO) on `fd`, decoded. One syscall (Linux; ENOPROTOOPT without a syscall
 * where the platform has no TCP_INFO). Shared by {@link Socket.tcpInfo} and `BorrowedSocket.tcpInfo`.
 */
export function tcpInfoOf(fd: number): TcpInfo {
  if (constants.TCP_INFO === undefined || sys.layouts.tcp_info === undefined)
    throw absentError(constants.ENOPROTOOPT!, 'getsockopt', 'TCP_INFO');
  const buf = tcpInfoBuffer();
  const length = check(sys.getsockopt(fd, constants.IPPROTO_TCP!, constants.TCP_INFO, buf), 'getsockopt');
  return decodeTcpInfo(buf, length);
}
