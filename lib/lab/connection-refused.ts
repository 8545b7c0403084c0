/**
 * E11 connection-refused: connect to a loopback port nobody listens on. Seeds 003 §01
 * ("Connection refused (errno 111)"), 004 (tcpdump shows the SYN answered by a RST; "the client's
 * connect returns ECONNREFUSED").
 *
 * What it proves, from inside the program, without tcpdump: a blocking connect returns
 * -ECONNREFUSED, a nonblocking one reports ECONNREFUSED through SO_ERROR; and that a RST is the
 * reason —
 * - TCP_INFO of the failed nonblocking socket: it sent one segment (its SYN), received exactly
 *   one, did not retransmit, and is CLOSE — one segment came back and ended it;
 * - timing: the answer came back in well under a millisecond, far below the 1 s the kernel would
 *   wait before retransmitting an unanswered SYN (tcpi_rto), so it was an answer, not a timeout;
 * - as root, a raw IPv4 socket on the loopback address used shows the segment itself: RST|ACK from the closed
 *   port, acknowledging the SYN's sequence number + 1;
 * - the kernel's counters (Tcp OutRsts, AttemptFails) rose by at least the number of attempts.
 * @module
 */
import { inet, type InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import type { RawAddress } from '../native.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import {
  closedPort,
  connectOnThread,
  counterDelta,
  resultName,
  soErrorName,
  tcpCounters,
  TcpCapture,
  tcpSocket,
  within,
  type TcpSegment,
  type ThreadConnect,
} from './group-b.js';

/** What TCP_INFO said about a socket after its connect failed. */
export interface FailedInfo {
  state: string;
  /** Segments sent and received (tcpi_segs_out / tcpi_segs_in), null when the kernel lacks them. */
  segsOut: number | null;
  segsIn: number | null;
  totalRetrans: number;
  /** The retransmission timeout the SYN was under, in ms (tcpi_rto). */
  rtoMs: number;
}

/** One refused connect. */
export interface RefusedAttempt {
  kind: 'blocking' | 'nonblocking';
  /** The client's port (bound before connect, so the raw capture can find its segments). */
  clientPort: number;
  /** connect's raw result. */
  connect: number;
  /** poll(POLLOUT)'s revents and SO_ERROR (nonblocking, when connect said EINPROGRESS). */
  revents: number | null;
  soError: number | null;
  /** From connect until the outcome was known (ms). */
  ms: number;
  info: FailedInfo;
  /** The segments of this connection seen on the raw socket (null: no capture). */
  segments: TcpSegment[] | null;
}

/** What E11 returns. */
export interface ConnectionRefusedData {
  /** The closed port (held bound, not listening). */
  port: InetAddress;
  attempts: RefusedAttempt[];
  /** Namespace-wide counter increases over the run. */
  counters: { outRsts: number; attemptFails: number };
  /** Why the raw capture was not possible (null when it ran). */
  captureUnavailable: string | null;
}

/**
 * The loopback address both ends use. Not 127.0.0.1: the raw socket filters on its address in
 * the kernel, and 127.0.0.1 may carry megabytes of other programs' traffic (other experiments
 * fill buffers there) that would overflow the raw socket before the two segments of interest
 * are read. The whole 127.0.0.0/8 is local on Linux (see E08).
 */
export const ADDRESS = '127.11.0.1';

function failedInfo(socket: Socket): FailedInfo {
  const info = socket.tcpInfo();
  return {
    state: info.stateName,
    segsOut: info.segsOut ?? null,
    segsIn: info.segsIn ?? null,
    totalRetrans: info.totalRetrans,
    rtoMs: info.rto / 1000,
  };
}

/** The SYN and the RST of one attempt, when the capture saw them. */
export function synAndReset(a: RefusedAttempt): { syn: TcpSegment | undefined; rst: TcpSegment | undefined } {
  return {
    syn: a.segments?.find((s) => s.flags.includes('SYN') && s.sourcePort === a.clientPort),
    rst: a.segments?.find((s) => s.flags.includes('RST') && s.destinationPort === a.clientPort),
  };
}

/** E11: the experiment. */
export const connectionRefused = defineExperiment<ConnectionRefusedData>(
  {
    id: 'E11',
    slug: 'connection-refused',
    title: 'Connection refused: the RST behind ECONNREFUSED',
    shows:
      '-ECONNREFUSED (blocking), SO_ERROR ECONNREFUSED (nonblocking); the RST is the reason (TCP_INFO, timing, raw socket as root)',
    seeds: '003 §01, 004',
  },
  async ({ claims, scope, note, progress, headline }) => {
    const port = closedPort(scope, ADDRESS);
    const capture = TcpCapture.open(scope, ADDRESS);
    const captureUnavailable = capture instanceof TcpCapture ? null : capture.unavailable;
    if (captureUnavailable) note(`the RST itself is not shown: ${captureUnavailable}; TCP_INFO and timing stand in`);
    const before = tcpCounters();

    progress('blocking connect on a worker thread');
    const blocking = tcpSocket(scope);
    blocking.bind(inet(ADDRESS, 0));
    const blockingPort = (blocking.getsockname() as InetAddress).port;
    const thread = await connectOnThread(scope, [{ socket: blocking, address: port }]);
    const [b] = await within<ThreadConnect[]>(thread.done, 5000, 'the blocking connect');

    progress('nonblocking connect, poll, SO_ERROR');
    const nb = tcpSocket(scope, c.SOCK_NONBLOCK!);
    nb.bind(inet(ADDRESS, 0));
    const nbPort = (nb.getsockname() as InetAddress).port;
    const start = performance.now();
    const nbConnect = sys.connect(nb.fd, port as RawAddress);
    const revents = nbConnect === -c.EINPROGRESS! ? nb.poll(c.POLLOUT, 2000) : null;
    const nbMs = performance.now() - start;
    const soError = nbConnect === -c.EINPROGRESS! ? nb.getOption('SO_ERROR') : null;

    const attempts: RefusedAttempt[] = [
      {
        kind: 'blocking',
        clientPort: blockingPort,
        connect: b!.result,
        revents: null,
        soError: null,
        ms: b!.ms,
        info: failedInfo(blocking),
        segments: null,
      },
      {
        kind: 'nonblocking',
        clientPort: nbPort,
        connect: nbConnect,
        revents,
        soError,
        ms: nbMs,
        info: failedInfo(nb),
        segments: null,
      },
    ];
    const after = tcpCounters();
    const counters = {
      outRsts: counterDelta(before, after, 'Tcp.OutRsts'),
      attemptFails: counterDelta(before, after, 'Tcp.AttemptFails'),
    };

    if (capture instanceof TcpCapture) {
      progress('reading the segments from the raw socket');
      const ours = (s: TcpSegment) =>
        attempts.some(
          (a) =>
            (s.sourcePort === a.clientPort && s.destinationPort === port.port) ||
            (s.sourcePort === port.port && s.destinationPort === a.clientPort),
        );
      const complete = (segments: TcpSegment[]) =>
        attempts.every(
          (a) =>
            segments.some((s) => s.sourcePort === a.clientPort && s.flags.includes('SYN')) &&
            segments.some((s) => s.destinationPort === a.clientPort && s.flags.includes('RST')),
        );
      capture.collect(ours, complete, 1000);
      for (const a of attempts)
        a.segments = capture.segments.filter(
          (s) => s.sourcePort === a.clientPort || s.destinationPort === a.clientPort,
        );
    }

    const [blk, non] = attempts as [RefusedAttempt, RefusedAttempt];
    claims.equal('a blocking connect to the closed port returns -ECONNREFUSED', blk.connect, -c.ECONNREFUSED!);
    claims.check(
      'a nonblocking connect: -EINPROGRESS, then POLLOUT and SO_ERROR ECONNREFUSED (or -ECONNREFUSED at once)',
      (non.connect === -c.EINPROGRESS! && non.soError === c.ECONNREFUSED && ((non.revents ?? 0) & c.POLLOUT) !== 0) ||
        non.connect === -c.ECONNREFUSED!,
      `${resultName(non.connect)}` + (non.soError !== null ? `, SO_ERROR ${soErrorName(non.soError)}` : ''),
    );
    const rtoMs = non.info.rtoMs;
    claims.check(
      `the answer came back at once — both well under the ${rtoMs} ms the kernel waits before resending an unanswered SYN`,
      blk.ms < rtoMs / 10 && non.ms < rtoMs / 10,
      `blocking ${blk.ms.toFixed(3)} ms, nonblocking ${non.ms.toFixed(3)} ms`,
    );
    if (non.info.segsIn !== null && non.info.segsOut !== null)
      claims.check(
        'TCP_INFO of the failed socket: one segment out (the SYN), exactly one in, no retransmission, CLOSE — one segment came back and ended it',
        non.info.segsOut === 1 && non.info.segsIn === 1 && non.info.totalRetrans === 0 && non.info.state === 'CLOSE',
        `segs_out ${non.info.segsOut}, segs_in ${non.info.segsIn}, total_retrans ${non.info.totalRetrans}, ${non.info.state}`,
      );
    else note('TCP_INFO has no tcpi_segs_in/segs_out on this kernel: the per-socket segment count is not shown');
    claims.check(
      'the kernel counted it: Tcp OutRsts and AttemptFails each rose by at least the 2 attempts (namespace-wide)',
      counters.outRsts >= attempts.length && counters.attemptFails >= attempts.length,
      `OutRsts +${counters.outRsts}, AttemptFails +${counters.attemptFails}`,
    );
    if (capture instanceof TcpCapture)
      for (const a of attempts) {
        const { syn, rst } = synAndReset(a);
        claims.check(
          `[raw socket, ${a.kind}] the SYN to :${port.port} was answered by RST|ACK from :${port.port}, acknowledging seq + 1`,
          syn !== undefined &&
            rst !== undefined &&
            rst.sourcePort === port.port &&
            rst.flags.includes('ACK') &&
            rst.ack === (syn.seq + 1) % 2 ** 32,
          syn && rst
            ? `SYN seq ${syn.seq} → ${rst.flags.join('|')} ack ${rst.ack}`
            : `seen: ${(a.segments ?? []).map((s) => s.flags.join('|')).join(', ') || 'nothing'}`,
        );
      }

    headline(
      `blocking ${resultName(blk.connect)} in ${blk.ms.toFixed(2)} ms; nonblocking SO_ERROR ${soErrorName(non.soError)}; ` +
        `segs in/out ${non.info.segsIn}/${non.info.segsOut}` +
        (capture instanceof TcpCapture ? `; RST|ACK seen on a raw socket` : ''),
    );
    return { port, attempts, counters, captureUnavailable };
  },
);
