/**
 * Shared pieces of the connect/bind experiments (E06–E11, E20): a closed loopback port held by a
 * bound socket, a listener whose accept queue is full, connect(2) on a worker thread, bounded
 * connect/accept on the main thread, and readers for what the kernel publishes about TCP in
 * /proc (the connection table, the protocol counters, the ephemeral port range).
 *
 * Every socket is registered with the experiment's scope; every wait is bounded.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { inet, type InetAddress } from '../address.js';
import { constants as c, errnoName } from '../constants.js';
import type { RawAddress } from '../native.js';
import { Socket, type Accepted } from '../socket.js';
import { littleEndian } from '../struct.js';
import * as sys from '../sys.js';
import type { Scope } from './scope.js';
import { startThread, type ThreadBody, type ThreadHandle } from './thread.js';
export { within } from './sample.js';

/** The name of a raw result: `'0'` (or the count) for success, `'ECONNREFUSED'` for -ECONNREFUSED. */
export function resultName(result: number): string {
  return result < 0 ? errnoName(result) : String(result);
}

/** An SO_ERROR value by name: `'0'` for none, `'ECONNREFUSED'` … (null stays null). */
export function soErrorName(value: number | null): string {
  return value === null ? 'null' : value === 0 ? '0' : errnoName(value);
}

/** The POLL* names set in `revents`: `['POLLOUT', 'POLLERR', 'POLLHUP']`. */
export function pollNames(revents: number): string[] {
  const names = ['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLERR', 'POLLHUP', 'POLLNVAL', 'POLLRDHUP'];
  return names.filter((name) => {
    const bit = c[name];
    return bit !== undefined && (revents & bit) !== 0;
  });
}

/**
 * A port on `address` (loopback) that nobody listens on, kept closed for the scope's lifetime:
 * a socket is bound to it and never listens, so no other process can take the port and start
 * listening on it while the experiment runs. A SYN to it is answered with RST.
 */
export function closedPort(scope: Scope, address = '127.0.0.1', port = 0): InetAddress {
  const holder = scope.socket(Socket.create(c.AF_INET, c.SOCK_STREAM));
  holder.bind(inet(address, port));
  return holder.getsockname() as InetAddress;
}

/** A TCP socket registered with the scope (SOCK_CLOEXEC added by Socket.create). */
export function tcpSocket(scope: Scope, flags = 0): Socket {
  return scope.socket(Socket.create(c.AF_INET, c.SOCK_STREAM | flags));
}

/**
 * A blocking connect bounded by SO_SNDTIMEO, which connect(2) honours: **two syscalls**,
 * setsockopt then connect. Returns connect's raw result (0 or -errno); -EINPROGRESS means the
 * bound expired while the handshake was still going on. On loopback the answer comes inside the
 * syscall, so the bound is only a safety net against an unexpected hang of the main thread.
 */
export function boundedConnect(socket: Socket, address: InetAddress, timeoutMs = 2000): number {
  socket.setOption('SO_SNDTIMEO', timeoutMs);
  return sys.connect(socket.fd, address as RawAddress);
}

/**
 * accept on a listener, after poll(POLLIN) says a connection is queued (at most `timeoutMs`), so
 * the main thread never sleeps in accept. Null when nothing was queued in time.
 */
export function boundedAccept(listener: Socket, scope: Scope, timeoutMs = 2000): Accepted | null {
  if ((listener.poll(c.POLLIN, timeoutMs) & c.POLLIN) === 0) return null;
  const accepted = listener.accept();
  scope.socket(accepted.socket);
  return accepted;
}

/**
 * The accept queue of a listener, from TCP_INFO: for a socket in LISTEN the kernel reuses two
 * fields (tcp_get_info): tcpi_unacked is the number of connections waiting for accept
 * (sk_ack_backlog, what `ss` shows as Recv-Q) and tcpi_sacked the backlog limit it was given
 * (sk_max_ack_backlog, `ss`'s Send-Q).
 */
export function listenQueue(listener: Socket): { length: number; max: number } {
  const info = listener.tcpInfo();
  return { length: info.unacked, max: info.sacked };
}

/** One nonblocking connect made while filling an accept queue. */
export interface FillAttempt {
  /** connect's raw result (-EINPROGRESS on loopback). */
  connect: number;
  /** The client's TCP state right after connect returned (TCP_INFO). */
  state: string;
  /** The listener's accept queue after this connect. */
  queueLength: number;
  /** performance.now() when connect returned. */
  at: number;
}

/** A listener whose accept queue is full, and the connect that could not get in. */
export interface FullQueue {
  /** The listener (never accepts unless the experiment does). */
  listener: Socket;
  address: InetAddress;
  /** The backlog given to listen(2). */
  backlog: number;
  /** Clients whose handshake completed: they wait in the accept queue, ESTABLISHED. */
  queued: Socket[];
  /** The first client left in SYN_SENT (its SYN was dropped), or null if none was within the bound. */
  stuck: Socket | null;
  /** The stuck client's first connect result (-EINPROGRESS). */
  stuckConnect: number | null;
  /** performance.now() when the stuck client's connect returned (its first SYN left then). */
  stuckAt: number | null;
  /** The queue when the stuck client's SYN was dropped: length and limit. */
  queue: { length: number; max: number };
  attempts: FillAttempt[];
}

/**
 * A TCP listener on 127.0.0.1:0 with `backlog`, registered with the scope. It never accepts unless
 * the caller does.
 */
export function backlogListener(scope: Scope, backlog: number): { socket: Socket; address: InetAddress } {
  const socket = tcpSocket(scope);
  socket.bind(inet('127.0.0.1', 0));
  socket.listen(backlog);
  return { socket, address: socket.getsockname() as InetAddress };
}

/**
 * Fills the accept queue of `listener` (which never accepts): connects nonblocking clients one
 * by one, at most `maxClients`, until one stays in SYN_SENT. Observed, not assumed: after each
 * connect the client's state is read from TCP_INFO. On loopback the SYN, SYN-ACK and ACK are
 * processed before connect returns (the softirq runs on this CPU and the socket's backlog is
 * drained at release_sock), so a client is either ESTABLISHED (queued) or SYN_SENT (its SYN
 * was dropped because the queue is full: tcp_conn_request drops it, it does not refuse it).
 */
export function fillAcceptQueue(
  scope: Scope,
  listener: { socket: Socket; address: InetAddress },
  backlog: number,
  maxClients = 8,
): FullQueue {
  const queued: Socket[] = [];
  const attempts: FillAttempt[] = [];
  let stuck: Socket | null = null;
  let stuckConnect: number | null = null;
  let stuckAt: number | null = null;
  let queue = listenQueue(listener.socket);
  // Bounded in count (maxClients) and in time: each connect returns at once (nonblocking).
  for (let i = 0; i < maxClients && !stuck; i++) {
    const client = tcpSocket(scope, c.SOCK_NONBLOCK!);
    const result = sys.connect(client.fd, listener.address as RawAddress);
    const at = performance.now();
    const info = client.tcpInfo();
    queue = listenQueue(listener.socket);
    attempts.push({ connect: result, state: info.stateName, queueLength: queue.length, at });
    if (info.state === c.TCP_ESTABLISHED) queued.push(client);
    else if (info.state === c.TCP_SYN_SENT) {
      stuck = client;
      stuckConnect = result;
      stuckAt = at;
    } else break; // anything else (CLOSE: refused) means this is not a full queue; stop here
  }
  return {
    listener: listener.socket,
    address: listener.address,
    backlog,
    queued,
    stuck,
    stuckConnect,
    stuckAt,
    queue,
    attempts,
  };
}

/** What a blocking connect on a worker thread returned. */
export interface ThreadConnect {
  /** connect's raw result: 0 or -errno. */
  result: number;
  /** How long the call took, measured on the thread (ms). */
  ms: number;
}

/** The blocking side: one connect(2) per target, in order (self-contained: runs on a worker). */
const connectBody: ThreadBody<{ targets: { fd: number; address: RawAddress }[] }, ThreadConnect[]> = (sys, arg) => {
  const out: { result: number; ms: number }[] = [];
  for (const target of arg.targets) {
    const start = performance.now();
    const result = sys.connect(target.fd, target.address);
    out.push({ result, ms: performance.now() - start });
  }
  return out;
};

/**
 * Runs blocking connect(2)s for real on a worker thread, one after another, on sockets the main
 * thread owns. Cleanup (registered with the scope, runs before the sockets close): a thread
 * still asleep in connect is woken by shutdown(2), which disconnects a SYN_SENT socket, and then
 * joined.
 */
export async function connectOnThread(
  scope: Scope,
  targets: { socket: Socket; address: InetAddress }[],
): Promise<ThreadHandle<ThreadConnect[]>> {
  const thread = await startThread(connectBody, {
    targets: targets.map((t) => ({ fd: t.socket.fd, address: t.address as RawAddress })),
  });
  scope.defer(async () => {
    for (const t of targets) if (!t.socket.closed) sys.shutdown(t.socket.fd, c.SHUT_RDWR);
    await thread.stop(2000);
  });
  return thread;
}

/** One row of /proc/net/tcp: an IPv4 TCP socket the kernel knows, including TIME_WAIT ones. */
export interface TcpTableEntry {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** The kernel's TCP state number (compare with constants.TCP_TIME_WAIT …). */
  state: number;
  /** The timer kind (3 marks the TIME_WAIT timer) and its remaining time in clock ticks. */
  timer: { kind: number; ticks: number };
}

/**
 * /proc/net/tcp (this network namespace), parsed. The kernel prints each address as the
 * 32-bit value of the network-order bytes read in host order ("%08X"), so on a little-endian
 * machine the printed bytes are reversed; ports and states are plain hex.
 */
export function tcpTable(): TcpTableEntry[] {
  const out: TcpTableEntry[] = [];
  const address = (hex: string) => {
    const bytes = Buffer.from(hex, 'hex');
    if (littleEndian) bytes.reverse();
    return Array.from(bytes).join('.');
  };
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6) continue;
    const [la = '', lp = ''] = f[1]!.split(':');
    const [ra = '', rp = ''] = f[2]!.split(':');
    const [tk = '', tt = ''] = f[5]!.split(':');
    out.push({
      localAddress: address(la),
      localPort: Number.parseInt(lp, 16),
      remoteAddress: address(ra),
      remotePort: Number.parseInt(rp, 16),
      state: Number.parseInt(f[3]!, 16),
      timer: { kind: Number.parseInt(tk, 16), ticks: Number.parseInt(tt, 16) },
    });
  }
  return out;
}

/**
 * The kernel's TCP counters for this network namespace, from /proc/net/snmp and /proc/net/netstat,
 * as `{ 'Tcp.OutRsts': n, 'TcpExt.ListenOverflows': n, … }`. They count for the whole namespace,
 * so an experiment can only say "rose by at least": other programs add to them too.
 */
export function tcpCounters(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of ['/proc/net/snmp', '/proc/net/netstat']) {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.trim().split(/\s+/);
      const values = lines[i + 1]!.trim().split(/\s+/);
      const group = names[0]!.replace(/:$/, '');
      if (group !== 'Tcp' && group !== 'TcpExt') continue;
      names.slice(1).forEach((name, j) => (out[`${group}.${name}`] = Number(values[j + 1])));
    }
  }
  return out;
}

/** The difference of two {@link tcpCounters} readings for `name` (NaN when the kernel lacks it). */
export function counterDelta(before: Record<string, number>, after: Record<string, number>, name: string): number {
  return (after[name] ?? Number.NaN) - (before[name] ?? Number.NaN);
}

/** net.ipv4.ip_local_port_range: the ports connect() and bind(port 0) pick from, or null. */
export function localPortRange(): [number, number] | null {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && high !== undefined ? [low, high] : null;
  } catch {
    return null;
  }
}

/**
 * Clock ticks per second (sysconf(_SC_CLK_TCK), via getconf): the unit of the timer column of
 * /proc/net/tcp. Null when getconf is unavailable.
 */
export function clockTicksPerSecond(): number | null {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 }).trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

// Wire format of the segments a raw socket receives: an IPv4 header (RFC 791 §3.1) and then the
// TCP header (RFC 9293 §3.1). The byte offsets are fixed by the protocols, the same on every
// platform; the control bits come from <netinet/tcp.h> (TH_*).
/** IPv4: the low nibble of byte 0 is the header length in 32-bit words (RFC 791). */
const IP_IHL_MASK = 0x0f;
/** IPv4: byte offset of the protocol, the source and the destination address (RFC 791). */
const IP_PROTOCOL = 9;
const IP_SOURCE = 12;
const IP_DESTINATION = 16;
/** TCP: byte offsets of the sequence and acknowledgment numbers and of the flags (RFC 9293). */
const TCP_SEQ = 4;
const TCP_ACK_NUMBER = 8;
const TCP_FLAGS = 13;
/** TCP control bits in the flags byte, from the headers. */
const TCP_FLAG_BITS: readonly (readonly [string, number])[] = (
  [
    ['FIN', c.TH_FIN],
    ['SYN', c.TH_SYN],
    ['RST', c.TH_RST],
    ['PSH', c.TH_PUSH],
    ['ACK', c.TH_ACK],
    ['URG', c.TH_URG],
  ] as (readonly [string, number | undefined])[]
).filter((entry): entry is readonly [string, number] => entry[1] !== undefined);

/**
 * One TCP segment seen on a raw socket, in the order the kernel queued it. (No arrival time: the
 * kernel's receive timestamp needs recvmsg control messages or SIOCGSTAMP, which the raw layer
 * does not offer, and the time of reading would say when the program looked, not when the
 * segment came.)
 */
export interface TcpSegment {
  source: string;
  sourcePort: number;
  destination: string;
  destinationPort: number;
  seq: number;
  ack: number;
  /** The control bits that are set: ['SYN'], ['RST', 'ACK'] … */
  flags: string[];
}

/**
 * A raw IPv4 socket for protocol TCP (root: CAP_NET_RAW), bound to one loopback address: it
 * receives a copy of every TCP segment delivered to that address — both directions of a
 * connection whose two ends use it — without tcpdump. The kernel filters on the bound
 * (destination) address before queueing, so traffic to other addresses never fills the socket's
 * buffer; use an address nothing else uses (not 127.0.0.1, where other programs may be moving
 * megabytes that would crowd out the segments of interest). Nonblocking; every read is bounded
 * by poll.
 */
export class TcpCapture {
  readonly #socket: Socket;
  readonly #buffer = Buffer.alloc(65536);
  readonly segments: TcpSegment[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Opens the capture on `address` (loopback), or returns the reason it cannot (not root: EPERM). */
  static open(scope: Scope, address: string): TcpCapture | { unavailable: string } {
    const fd = sys.socket(c.AF_INET, c.SOCK_RAW | c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!, c.IPPROTO_TCP);
    if (fd < 0)
      return { unavailable: `socket(AF_INET, SOCK_RAW, IPPROTO_TCP) gave ${errnoName(fd)} (needs CAP_NET_RAW)` };
    const socket = scope.socket(Socket.fromFd(fd));
    socket.bind(inet(address, 0)); // for a raw socket the port is ignored; the address filters
    return new TcpCapture(socket);
  }

  /**
   * Reads segments until `done(segments)` holds or `timeoutMs` passes (at most `maxReads`
   * reads). Segments that `keep` rejects are dropped (the raw socket sees every loopback TCP
   * segment on the host). Returns whether `done` held.
   */
  collect(keep: (s: TcpSegment) => boolean, done: (s: TcpSegment[]) => boolean, timeoutMs = 1000, maxReads = 10_000) {
    const deadline = performance.now() + timeoutMs;
    for (let reads = 0; reads < maxReads && !done(this.segments);) {
      const left = Math.max(0, Math.round(deadline - performance.now()));
      if ((this.#socket.poll(c.POLLIN, left) & c.POLLIN) === 0) break;
      for (; reads < maxReads; reads++) {
        const n = sys.recv(this.#socket.fd, this.#buffer, 0, this.#buffer.length, 0);
        if (n < 0) break; // -EAGAIN: drained
        const segment = this.#parse(n);
        if (segment && keep(segment)) this.segments.push(segment);
      }
    }
    return done(this.segments);
  }

  #parse(length: number): TcpSegment | null {
    const b = this.#buffer;
    const ihl = (b[0]! & IP_IHL_MASK) * 4;
    if (length < ihl + TCP_FLAGS + 1 || b[IP_PROTOCOL] !== c.IPPROTO_TCP) return null;
    const flagByte = b[ihl + TCP_FLAGS]!;
    return {
      source: Array.from(b.subarray(IP_SOURCE, IP_SOURCE + 4)).join('.'),
      destination: Array.from(b.subarray(IP_DESTINATION, IP_DESTINATION + 4)).join('.'),
      sourcePort: b.readUInt16BE(ihl),
      destinationPort: b.readUInt16BE(ihl + 2),
      seq: b.readUInt32BE(ihl + TCP_SEQ),
      ack: b.readUInt32BE(ihl + TCP_ACK_NUMBER),
      flags: TCP_FLAG_BITS.filter(([, bit]) => (flagByte & bit) !== 0).map(([name]) => name),
    };
  }
}
