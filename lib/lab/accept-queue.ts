/**
 * E20 accept-queue: the handshake completes before accept. Seed 004 ("TCP 的三次握手在 listen
 * 之后就可以完成": the kernel finishes the handshake after listen and queues the connection until
 * accept takes it).
 *
 * A listener with backlog 1 never calls accept at first. A blocking connect (on a worker thread)
 * returns 0 anyway: the client is ESTABLISHED and the listener's TCP_INFO shows one connection
 * queued. More nonblocking clients fill the queue (the kernel takes backlog + 1) until one is left
 * in SYN_SENT — its SYN was dropped (TcpExt ListenOverflows) — and a second connect on it gives
 * -EALREADY. Then accept returns the first connection, and the dropped client's SYN,
 * retransmitted after the initial RTO (~1 s), gets into the freed slot: it connects late.
 * @module
 */
import type { InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import type { RawAddress } from '../native.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import {
  listenQueue,
  backlogListener,
  boundedAccept,
  connectOnThread,
  counterDelta,
  fillAcceptQueue,
  resultName,
  soErrorName,
  tcpCounters,
  tcpSocket,
  within,
  type FillAttempt,
  type ThreadConnect,
} from './group-b.js';
import { waitFor } from './sample.js';

/** One moment of the run, for the narrator's timeline. */
export interface QueueEvent {
  /** ms since the experiment's blocking connect started. */
  t: number;
  what: string;
  /** The listener's accept queue length just after. */
  queue: number;
}

/** What E20 returns. */
export interface AcceptQueueData {
  address: InetAddress;
  /** The backlog given to listen, and the limit TCP_INFO reports. */
  backlog: number;
  /** The blocking connect made before any accept: 0, and the client's state and port. */
  first: { connect: number; ms: number; state: string; port: number };
  /** The accept queue after it, and whether the listener polled readable (POLLIN). */
  queueAfterFirst: { length: number; max: number };
  listenerReadable: boolean;
  /** The nonblocking clients that filled the queue, and the queue when the SYN was dropped. */
  attempts: FillAttempt[];
  queueFull: { length: number; max: number };
  /** The client whose SYN was dropped: first connect, state, second connect, RTO (ms). */
  dropped: { connect: number | null; state: string | null; secondConnect: number | null; rtoMs: number | null };
  /** TcpExt ListenOverflows / ListenDrops increase over the fill (namespace-wide). */
  overflows: number;
  drops: number;
  /** accept: the peer port it returned, and the queue after it. */
  accepted: { port: number | null; queueAfter: number };
  /** The dropped client after accept made room: connected or not, when, and its retransmissions. */
  late: {
    connected: boolean;
    /** ms from its first connect (its first SYN) until it was seen connected. */
    afterMs: number | null;
    soError: number | null;
    state: string | null;
    totalRetrans: number | null;
  };
  /**
   * Each step with the queue length just after it. (Not a sampled timeline: the fill and the
   * accept run synchronously, between two turns of the event loop, where no sampler could look.)
   */
  events: QueueEvent[];
}

const BACKLOG = 1;
/** Bound on the wait for the dropped client's retransmitted SYN (the first retransmission comes after ~1 s). */
const LATE_BOUND_MS = 4000;

/** E20: the experiment. */
export const acceptQueue = defineExperiment<AcceptQueueData>(
  {
    id: 'E20',
    slug: 'accept-queue',
    title: 'The accept queue: connect succeeds before accept; a full queue drops SYNs',
    shows:
      'connect returns 0 though the server never accepts; accept later returns it; with the queue full a nonblocking connect stays in progress (-EINPROGRESS, then -EALREADY)',
    seeds: '004',
  },
  async ({ claims, scope, progress, headline }) => {
    const listener = backlogListener(scope, BACKLOG);
    const events: QueueEvent[] = [];
    let t0 = performance.now();
    const event = (what: string, at = performance.now(), queue = listenQueue(listener.socket).length) =>
      events.push({ t: Math.round((at - t0) * 1000) / 1000, what, queue });

    progress('a blocking connect to a listener that never accepts');
    const first = tcpSocket(scope);
    const thread = await connectOnThread(scope, [{ socket: first, address: listener.address }]);
    const [r] = await within<ThreadConnect[]>(thread.done, 5000, 'the blocking connect');
    t0 = performance.now(); // the timeline starts when the blocking connect has returned
    const firstInfo = first.tcpInfo();
    const firstData = {
      connect: r!.result,
      ms: r!.ms,
      state: firstInfo.stateName,
      port: (first.getsockname() as InetAddress).port,
    };
    event(
      `blocking connect returned ${resultName(r!.result)} after ${r!.ms.toFixed(3)} ms (client ${firstData.state}); no accept called`,
    );
    const queueAfterFirst = listenQueue(listener.socket);
    const listenerReadable = (listener.socket.poll(c.POLLIN, 0) & c.POLLIN) !== 0;
    claims.check(
      'a blocking connect returns 0 although the server never called accept: the client is ESTABLISHED',
      firstData.connect === 0 && firstInfo.state === c.TCP_ESTABLISHED,
      `${resultName(firstData.connect)} after ${firstData.ms.toFixed(3)} ms, ${firstData.state}`,
    );
    claims.check(
      'the connection waits in the accept queue (listener TCP_INFO: 1 queued, limit = backlog); the listener polls readable',
      queueAfterFirst.length === 1 && queueAfterFirst.max === BACKLOG && listenerReadable,
      `queue ${queueAfterFirst.length}/${queueAfterFirst.max}, POLLIN ${listenerReadable}`,
    );

    progress('filling the accept queue with nonblocking connects');
    const before = tcpCounters();
    const full = fillAcceptQueue(scope, listener, BACKLOG);
    const after = tcpCounters();
    for (const a of full.attempts)
      event(`nonblocking connect: ${resultName(a.connect)}, client ${a.state}`, a.at, a.queueLength);
    const dropped: AcceptQueueData['dropped'] = {
      connect: full.stuckConnect,
      state: null,
      secondConnect: null,
      rtoMs: null,
    };
    const stuck: Socket | null = full.stuck;
    if (stuck) {
      const info = stuck.tcpInfo();
      dropped.state = info.stateName;
      dropped.rtoMs = info.rto / 1000;
      dropped.secondConnect = sys.connect(stuck.fd, listener.address as RawAddress);
      event(`connect again on the SYN_SENT client: ${resultName(dropped.secondConnect)}`);
    }
    const overflows = counterDelta(before, after, 'TcpExt.ListenOverflows');
    const drops = counterDelta(before, after, 'TcpExt.ListenDrops');
    claims.check(
      `the queue takes backlog + 1 = ${BACKLOG + 1} connections; the next SYN is dropped (client left in SYN_SENT)`,
      full.queue.length === BACKLOG + 1 && stuck !== null,
      full.attempts.map((a) => a.state).join(', ') + `; queue ${full.queue.length}/${full.queue.max}`,
    );
    claims.equal(
      'with the queue full, a nonblocking connect stays in progress: -EINPROGRESS, then -EALREADY',
      `${dropped.connect === null ? '-' : resultName(dropped.connect)}, ${dropped.state}, ${dropped.secondConnect === null ? '-' : resultName(dropped.secondConnect)}`,
      'EINPROGRESS, SYN_SENT, EALREADY',
    );
    claims.check(
      'the kernel counted the dropped SYN: TcpExt ListenOverflows rose (namespace-wide, at least 1)',
      overflows >= 1,
      `ListenOverflows +${overflows}, ListenDrops +${drops}`,
    );

    progress('accept, and the dropped client’s retransmitted SYN');
    const accepted = boundedAccept(listener.socket, scope, 1000);
    const acceptedPort = accepted ? (accepted.address as InetAddress).port : null;
    event(`accept returned the connection from port ${acceptedPort}`);
    const queueAfterAccept = listenQueue(listener.socket).length;
    claims.check(
      'accept later returns that first connection (peer port = the blocking client’s port), leaving one slot free',
      acceptedPort === firstData.port && queueAfterAccept === BACKLOG,
      `accepted :${acceptedPort}, the blocking client is :${firstData.port}; queue now ${queueAfterAccept}`,
    );

    const late: AcceptQueueData['late'] = {
      connected: false,
      afterMs: null,
      soError: null,
      state: null,
      totalRetrans: null,
    };
    if (stuck && full.stuckAt !== null) {
      // Wait on the observed condition (POLLOUT on the client, checked every 10 ms), bounded.
      await waitFor(
        () => (stuck.poll(c.POLLOUT, 0) & c.POLLOUT) !== 0,
        LATE_BOUND_MS,
        'the dropped client to connect',
      ).catch(() => undefined);
      late.connected = (stuck.poll(c.POLLOUT, 0) & c.POLLOUT) !== 0;
      late.afterMs = late.connected ? Math.round(performance.now() - full.stuckAt) : null;
      late.soError = stuck.getOption('SO_ERROR');
      const info = stuck.tcpInfo();
      late.state = info.stateName;
      late.totalRetrans = info.totalRetrans;
      if (late.connected)
        event(`the dropped client connected (retransmitted SYN), SO_ERROR ${soErrorName(late.soError)}`);
    }
    const rto = dropped.rtoMs ?? 0;
    claims.check(
      'accept made room: the dropped client’s retransmitted SYN got in — connected (SO_ERROR 0) about one RTO after its first SYN',
      late.connected &&
        late.soError === 0 &&
        late.state === 'ESTABLISHED' &&
        (late.totalRetrans ?? 0) >= 1 &&
        (late.afterMs ?? 0) >= rto * 0.9,
      `after ${late.afterMs} ms (RTO ${rto} ms), total_retrans ${late.totalRetrans}, SO_ERROR ${soErrorName(late.soError)}, ${late.state}`,
    );

    headline(
      `connect 0 with no accept (queue ${queueAfterFirst.length}/${queueAfterFirst.max}); full at ${full.queue.length}: ` +
        `${dropped.connect === null ? '-' : resultName(dropped.connect)} → ${dropped.secondConnect === null ? '-' : resultName(dropped.secondConnect)}; ` +
        `dropped client connected ${late.afterMs} ms later, after accept`,
    );
    return {
      address: listener.address,
      backlog: BACKLOG,
      first: firstData,
      queueAfterFirst,
      listenerReadable,
      attempts: full.attempts,
      queueFull: full.queue,
      dropped,
      overflows,
      drops,
      accepted: { port: acceptedPort, queueAfter: queueAfterAccept },
      late,
      events,
    };
  },
);
