/**
 * E02 nonblocking-send: the server accepts and never reads; the client sets O_NONBLOCK with
 * fcntl after connect (as seed 000 does) and sends "helloworld" until send(2) refuses.
 * Seeds 000, 001.
 *
 * What it proves: once the buffers are full send returns -EAGAIN (== -EWOULDBLOCK) at once
 * instead of sleeping; at rest every accepted byte is in the client's Send-Q or the server's
 * Recv-Q, exactly; after the server drains, send succeeds again; a large send is accepted in
 * part (short counts) before -EAGAIN comes back. Small buffers (SO_SNDBUF=8192 before connect,
 * SO_RCVBUF=10240 before listen) keep the run short.
 * @module
 */
import { constants as c } from '../constants.js';
import { SocketError } from '../errors.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import { fdFlags, outcome, queuesAtRest, timed, type FdFlags, type Queues } from './group-a.js';
import { tcpConnection } from './loopback.js';

/** One send of the fill, with the queues right after it. */
export interface SendPoint {
  /** The call's index (0-based) within the fill. */
  call: number;
  /** What send returned: a count, or -errno. */
  returned: number;
  /** Bytes accepted so far. */
  accepted: number;
  /** Client Send-Q (SIOCOUTQ) right after the call. */
  sendQ: number;
  /** Server Recv-Q (SIOCINQ) right after the call. */
  recvQ: number;
}

/** The fill: 10-byte sends until the first negative result. */
export interface FillPhase {
  /** Successful sends. */
  sends: number;
  /** Bytes they accepted. */
  accepted: number;
  /** Sends that returned 0 < n < 10. */
  shortCounts: number;
  /** The first negative return (-errno) and its name. */
  error: { returned: number; code: string };
  /** Queues right at the error, before anything settled (in-flight bytes may count twice). */
  queuesAtError: Queues;
  /** The server's advertised window as the client saw it at the error (TCP_INFO sndWnd), if known. */
  peerWindowAtError: number | null;
  /** The whole fill, and its slowest call (ms). */
  elapsedMs: number;
  slowestCallMs: number;
}

/** What E02 returns. */
export interface NonBlockingSendData {
  /** SO_SNDBUF (client) and SO_RCVBUF (server) as read back; Linux doubles what was set. */
  sndbuf: number;
  rcvbuf: number;
  /** F_GETFL before and after fcntl(F_SETFL, flags | O_NONBLOCK). */
  flagsBefore: FdFlags;
  flagsAfter: FdFlags;
  fill: FillPhase;
  /** Queues once nothing is unacknowledged, right after the fill. */
  afterFill: Queues & { accepted: number };
  /**
   * Bytes accepted by further rounds of sends at rest (acknowledged segments free send-buffer
   * memory, so a little more fits), until a round accepted nothing.
   */
  topUps: number[];
  /** The buffers full and at rest: accepted so far and the queues. */
  full: Queues & { accepted: number };
  /** Further sends at full: how many, how many gave -EAGAIN, the slowest (ms). */
  repeated: { tries: number; eagain: number; slowestCallMs: number };
  /** The same send through Socket.send: the SocketError's code and errno. */
  socketError: { code: string; errno: number } | null;
  /**
   * The server read everything accepted so far (`accepted`); then poll(POLLOUT) on the client
   * and one more 10-byte send.
   */
  drain: { accepted: number; drained: number; pollRevents: number; sendAfter: number };
  /** Large sends after the drain: the chunk size and each return value, ending with -EAGAIN. */
  large: { chunk: number; returns: number[] };
  /** After everything stopped, at rest: every byte accepted == Send-Q + Recv-Q + bytes read. */
  final: Queues & { accepted: number; drained: number };
  /** The slowest of all nonblocking send calls (ms) and how many calls were made. */
  slowestCallMs: number;
  calls: number;
  /** SO_SNDTIMEO set as a guard (ms): a send that did block would return after this. */
  guardMs: number;
  /** Every call of the fill, for a chart. */
  timeline: SendPoint[];
}

const MESSAGE = Buffer.from('helloworld');
/** Upper bound on sends per loop (1 MB of "helloworld"): far above the small buffers. */
const MAX_SENDS = 100_000;
/**
 * A send slower than this would have blocked (a blocking one waits for the guard below). Far
 * above a real nonblocking call (microseconds), so a preempted call on a loaded machine passes.
 */
const NEVER_BLOCKS_MS = 500;
/**
 * SO_SNDTIMEO as a safety net: a nonblocking socket ignores it (the kernel uses a timeout of 0
 * when O_NONBLOCK is set), but if O_NONBLOCK were somehow not in effect, a send on the main
 * thread would return -EAGAIN after this long instead of hanging the process forever — and
 * the "never blocks" claim would fail visibly.
 */
const GUARD_MS = 2000;
/** A large send, far above SO_SNDBUF + SO_RCVBUF here, so it can only be accepted in part. */
const LARGE_CHUNK = 65536;

/** E02: the experiment. */
export const nonblockingSend = defineExperiment<NonBlockingSendData>(
  {
    id: 'E02',
    slug: 'nonblocking-send',
    title: 'Nonblocking send into a peer that never reads',
    shows:
      'send returns -EAGAIN (== EWOULDBLOCK) when full, never blocks; accepted == Send-Q + Recv-Q; drain → send works',
    seeds: '000, 001',
  },
  async ({ claims, scope, note, headline, progress }) => {
    const { client, server } = tcpConnection(scope, { clientSndbuf: 8192, serverRcvbuf: 10240 });
    client.setOption('SO_SNDTIMEO', GUARD_MS);
    const fd = client.fd;
    let calls = 0;
    let slowestCallMs = 0;
    let lastCallMs = 0;
    /** One raw nonblocking send, timed (`lastCallMs`, `slowestCallMs`). */
    const send = (data: Buffer): number => {
      const { value, ms } = timed(() => sys.send(fd, data, 0, data.length, 0));
      calls++;
      lastCallMs = ms;
      slowestCallMs = Math.max(slowestCallMs, ms);
      return value;
    };
    /** Sends `data` until send returns < 0 (bounded); → bytes accepted and the last return. */
    const sendUntilRefused = (data: Buffer) => {
      let accepted = 0;
      let last = 0;
      for (let i = 0; i < MAX_SENDS; i++) {
        last = send(data);
        if (last < 0) break;
        accepted += last;
      }
      return { accepted, last };
    };

    // As seed 000: connect blocking, then F_GETFL + F_SETFL(flags | O_NONBLOCK).
    const flagsBefore = fdFlags(fd);
    client.setNonBlocking(true);
    const flagsAfter = fdFlags(fd);
    claims.check(
      'fcntl(F_SETFL, flags | O_NONBLOCK) after connect sets O_NONBLOCK (read back with F_GETFL)',
      !flagsBefore.nonBlocking && flagsAfter.nonBlocking,
      `F_GETFL 0x${flagsBefore.flags.toString(16)} → 0x${flagsAfter.flags.toString(16)}`,
    );
    if (!flagsAfter.nonBlocking)
      throw new Error('O_NONBLOCK was not set: refusing to run a send loop that would block');

    // 1. Fill with 10-byte sends until the first refusal, reading both queues after every call.
    progress('filling small buffers with nonblocking 10-byte sends');
    const timeline: SendPoint[] = [];
    const fillStarted = performance.now();
    let accepted = 0;
    let shortCounts = 0;
    let error = 0;
    for (let i = 0; i < MAX_SENDS; i++) {
      const n = send(MESSAGE);
      if (n > 0) accepted += n;
      if (n > 0 && n < MESSAGE.length) shortCounts++;
      timeline.push({ call: i, returned: n, accepted, sendQ: client.sendQueue(), recvQ: server.recvQueue() });
      if (n < 0) {
        error = n;
        break;
      }
    }
    const last = timeline.at(-1)!;
    const peerWindowAtError = client.tcpInfo().sndWnd ?? null;
    const fill: FillPhase = {
      sends: timeline.length - (error < 0 ? 1 : 0),
      accepted,
      shortCounts,
      error: { returned: error, code: outcome(error) },
      queuesAtError: { sendQ: last.sendQ, recvQ: last.recvQ },
      peerWindowAtError,
      elapsedMs: performance.now() - fillStarted,
      slowestCallMs, // no send was made before the fill, so the slowest so far is the fill's
    };
    claims.check(
      'once the buffers are full, send returns -EAGAIN (code EAGAIN, == EWOULDBLOCK)',
      error === -c.EAGAIN! && c.EAGAIN === c.EWOULDBLOCK,
      `${error} (${fill.error.code}) after ${fill.sends} sends, ${accepted} bytes accepted; ` +
        `EAGAIN ${c.EAGAIN} == EWOULDBLOCK ${c.EWOULDBLOCK}`,
    );
    if (error >= 0) throw new Error(`send never refused within ${MAX_SENDS} calls`);

    // 2. At rest (nothing unacknowledged, so no byte counts in both queues), the invariant.
    const rest = await queuesAtRest(client, server);
    const afterFill = { ...rest, accepted };
    claims.equal(
      'at rest after the first -EAGAIN: client Send-Q + server Recv-Q == bytes accepted, exactly',
      `${rest.sendQ} + ${rest.recvQ} = ${rest.sendQ + rest.recvQ} (accepted ${accepted})`,
      `${rest.sendQ} + ${rest.recvQ} = ${accepted} (accepted ${accepted})`,
    );

    // 3. Acknowledged segments free send-buffer memory, so a little more may fit: top up at rest
    //    until a round accepts nothing. Then the buffers are really full.
    const topUps: number[] = [];
    for (let round = 0; round < 10; round++) {
      const more = sendUntilRefused(MESSAGE);
      accepted += more.accepted;
      topUps.push(more.accepted);
      if (more.accepted === 0) break;
      await queuesAtRest(client, server);
    }
    const fullQ = await queuesAtRest(client, server);
    const full = { ...fullQ, accepted };
    claims.equal(
      'with both buffers full, at rest: Send-Q + Recv-Q == bytes accepted, exactly',
      `${fullQ.sendQ} + ${fullQ.recvQ} = ${fullQ.sendQ + fullQ.recvQ} (accepted ${accepted})`,
      `${fullQ.sendQ} + ${fullQ.recvQ} = ${accepted} (accepted ${accepted})`,
    );

    // 4. Full: every further send is refused at once, and never sleeps.
    const tries = 100;
    let eagain = 0;
    let repeatSlowest = 0;
    for (let i = 0; i < tries; i++) {
      const value = send(MESSAGE);
      repeatSlowest = Math.max(repeatSlowest, lastCallMs);
      if (value === -c.EAGAIN!) eagain++;
      else if (value > 0) accepted += value;
    }
    claims.check(
      `while full, every further send returns -EAGAIN at once (limit ${NEVER_BLOCKS_MS} ms per call)`,
      eagain === tries && repeatSlowest < NEVER_BLOCKS_MS,
      `${eagain} of ${tries} gave -EAGAIN; slowest call ${repeatSlowest.toFixed(3)} ms`,
    );
    let socketError: NonBlockingSendData['socketError'] = null;
    try {
      const n = client.send(MESSAGE);
      accepted += n;
    } catch (e) {
      if (!(e instanceof SocketError)) throw e;
      socketError = { code: e.code, errno: e.errno };
    }
    claims.check(
      'through Socket.send the same refusal is a SocketError with code EAGAIN, errno -EAGAIN',
      socketError?.code === 'EAGAIN' && socketError.errno === -c.EAGAIN!,
      socketError ? `${socketError.code} (errno ${socketError.errno})` : 'no error thrown',
    );

    // 5. The server drains everything (the client's Send-Q flows in as it reads), then the
    //    client waits for POLLOUT — readiness, not a sleep — and sends again.
    progress('draining the server, then sending again');
    const acceptedBeforeDrain = accepted;
    const chunk = Buffer.alloc(65536);
    let drained = 0;
    for (let i = 0; i < 10_000; i++) {
      const n = sys.recv(server.fd, chunk, 0, chunk.length, c.MSG_DONTWAIT!);
      if (n > 0) drained += n;
      else if (n === -c.EAGAIN! && client.sendQueue() === 0) break;
      else if (n === -c.EAGAIN!) server.poll(c.POLLIN!, 1000);
      else throw new Error(`server recv failed: ${outcome(n)}`);
    }
    const pollRevents = client.poll(c.POLLOUT!, 2000);
    const sendAfter = send(MESSAGE);
    if (sendAfter > 0) accepted += sendAfter;
    claims.check(
      'after the server drains, the client is writable (POLLOUT) and send succeeds again',
      drained === acceptedBeforeDrain && (pollRevents & c.POLLOUT!) !== 0 && sendAfter === MESSAGE.length,
      `server read ${drained} of ${acceptedBeforeDrain} bytes; poll revents 0x${pollRevents.toString(16)}; send returned ${outcome(sendAfter)}`,
    );

    // 6. Short counts: a send larger than both buffers together is accepted in part; more
    //    partial counts may follow as the peer's window moves, then -EAGAIN.
    const large = Buffer.alloc(LARGE_CHUNK, 'helloworld');
    const returns: number[] = [];
    for (let i = 0; i < 100; i++) {
      const n = send(large);
      returns.push(n);
      if (n < 0) break;
      accepted += n;
    }
    const lastLarge = returns.at(-1)!;
    const partial = returns.slice(0, -1);
    claims.check(
      `a ${LARGE_CHUNK}-byte send is accepted in part (short counts), then -EAGAIN`,
      partial.length > 0 && partial.every((n) => n > 0 && n < LARGE_CHUNK) && lastLarge === -c.EAGAIN!,
      returns.map(outcome).join(', '),
    );
    const sndbuf = client.getOption('SO_SNDBUF');
    const rcvbuf = server.getOption('SO_RCVBUF');
    if (LARGE_CHUNK <= sndbuf + rcvbuf)
      note(`the large chunk (${LARGE_CHUNK} B) is not larger than SO_SNDBUF + SO_RCVBUF (${sndbuf} + ${rcvbuf}) here`);

    // 7. Everything stops; at rest every accepted byte is in a queue or was read.
    const endQ = await queuesAtRest(client, server);
    const final = { ...endQ, accepted, drained };
    claims.equal(
      'in the end, at rest: bytes accepted == Send-Q + Recv-Q + bytes the server read, exactly',
      `${accepted} == ${endQ.sendQ} + ${endQ.recvQ} + ${drained} = ${endQ.sendQ + endQ.recvQ + drained}`,
      `${accepted} == ${endQ.sendQ} + ${endQ.recvQ} + ${drained} = ${accepted}`,
    );
    claims.check(
      `no send ever blocked: the slowest of ${calls} nonblocking calls took under ${NEVER_BLOCKS_MS} ms`,
      slowestCallMs < NEVER_BLOCKS_MS,
      `${slowestCallMs.toFixed(3)} ms (a blocking send would have waited the ${GUARD_MS} ms SO_SNDTIMEO guard)`,
    );

    headline(
      `-EAGAIN after ${fill.accepted} B in ${fill.sends} sends (${fill.elapsedMs.toFixed(1)} ms); ` +
        `full at rest ${fullQ.sendQ}+${fullQ.recvQ}=${full.accepted} B; ${LARGE_CHUNK} B send → ${returns.map(outcome).join(', ')}`,
    );
    return {
      sndbuf,
      rcvbuf,
      flagsBefore,
      flagsAfter,
      fill,
      afterFill,
      topUps,
      full,
      repeated: { tries, eagain, slowestCallMs: repeatSlowest },
      socketError,
      drain: { accepted: acceptedBeforeDrain, drained, pollRevents, sendAfter },
      large: { chunk: LARGE_CHUNK, returns },
      final,
      slowestCallMs,
      calls,
      guardMs: GUARD_MS,
      timeline,
    };
  },
);
