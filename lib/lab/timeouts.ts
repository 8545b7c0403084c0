/**
 * E23 timeouts: SO_SNDTIMEO and SO_RCVTIMEO on a blocking socket (seed 004). The server accepts
 * and does not read; the client, on a worker thread, sends 64 KiB chunks into small buffers
 * with SO_SNDTIMEO set, then calls recv with SO_RCVTIMEO set.
 *
 * What it proves: a blocking send into full buffers gives up with -EAGAIN after SO_SNDTIMEO —
 * after a short count, which itself came back only when the timeout ran out; recv gives up
 * likewise after SO_RCVTIMEO. Neither says anything about the peer's acknowledgement (004's
 * point): send reported success for bytes still in Send-Q (SIOCOUTQ: not acknowledged), some
 * not even transmitted (SIOCOUTQNSD), which the peer had not read; and recv's timeout left the
 * connection ESTABLISHED with no error and Send-Q unchanged. Everything accepted still arrives
 * once the server reads. Small buffers (SO_SNDBUF=8192 before connect, SO_RCVBUF=10240 before
 * listen) keep the run short.
 * @module
 */
import { constants as c } from '../constants.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import { outcome, queuesAtRest, within } from './group-a.js';
import { tcpConnection } from './loopback.js';
import { startThread, type ThreadBody } from './thread.js';
import { waitUntilAsleepIn, type ThreadWhere } from './where.js';

/** One send of the worker, with the client's queues read right after it returned. */
export interface TimedSend {
  /** send's return: a count, or -errno. */
  returned: number;
  code: string;
  elapsedMs: number;
  /** SIOCOUTQ right after: bytes not yet acknowledged by the peer (sent or not). */
  sendQAfter: number;
  /** SIOCOUTQNSD right after: of those, bytes not even transmitted yet (-1 if unavailable). */
  notSentAfter: number;
}

/** The recv with SO_RCVTIMEO, with the client's Send-Q before and after it. */
export interface TimedRecv {
  returned: number;
  code: string;
  elapsedMs: number;
  sendQBefore: number;
  sendQAfter: number;
}

/** What E23 returns. */
export interface TimeoutsData {
  /** SO_SNDBUF (client) / SO_RCVBUF (server) as read back. */
  sndbuf: number;
  rcvbuf: number;
  /** The size of each send. */
  chunk: number;
  /** The timeouts as set and as read back (the kernel keeps them in whole clock ticks). */
  sndtimeo: { setMs: number; readBackMs: number };
  rcvtimeo: { setMs: number; readBackMs: number };
  /** The accepted window around a timeout: [set − earlyMs, set + lateMs]. */
  earlyMs: number;
  lateMs: number;
  /** Every send, in order, ending with the -EAGAIN. */
  sends: TimedSend[];
  /** Bytes the sends accepted. */
  accepted: number;
  /** Where the sending thread was seen during its first send (best effort; null if not caught). */
  sendWhere: ThreadWhere | null;
  recv: TimedRecv;
  /** Right after recv's timeout: the connection's TCP state, and SO_ERROR. */
  afterRecv: { state: string; soError: number };
  /** The server then read everything: bytes read, and the queues at rest afterwards. */
  drained: number;
  end: { sendQ: number; recvQ: number };
}

const TIMEOUT_MS = 250;
/** One clock tick early at most (the timeout is rounded up to ticks; the first tick is partial). */
const EARLY_MS = 15;
/** Timer-wheel batching (tens of ms for timeouts this long) plus scheduling the thread. */
const LATE_MS = 200;
/** Far above SO_SNDBUF + SO_RCVBUF here, so the first send can only be accepted in part. */
const CHUNK = 65536;
/** At most this many sends (each lasts at most about one timeout). */
const MAX_SENDS = 10;

interface WorkerArg {
  fd: number;
  chunk: number;
  maxSends: number;
  siocoutq: number;
  siocoutqnsd: number;
}

/**
 * The blocking side (worker thread; self-contained): sends until one fails, reading Send-Q and
 * the not-sent bytes right after each return, then one recv. Timed with its own clock.
 */
const sendThenRecv: ThreadBody<WorkerArg, { sends: Omit<TimedSend, 'code'>[]; recv: Omit<TimedRecv, 'code'> }> = (
  sys,
  arg,
  post,
) => {
  const data = Buffer.alloc(arg.chunk, 'helloworld');
  const q = new Int32Array(1);
  // A request of -1 marks one the platform lacks (SIOCOUTQNSD is Linux-only): report -1.
  const queue = (request: number) => (request < 0 || sys.ioctl(arg.fd, request, q) < 0 ? -1 : q[0]!);
  const sends = [];
  for (let i = 0; i < arg.maxSends; i++) {
    const started = performance.now();
    const returned = sys.send(arg.fd, data, 0, data.length, 0);
    const elapsedMs = performance.now() - started;
    sends.push({ returned, elapsedMs, sendQAfter: queue(arg.siocoutq), notSentAfter: queue(arg.siocoutqnsd) });
    if (returned < 0) break;
  }
  post('sends done');
  const sendQBefore = queue(arg.siocoutq);
  const started = performance.now();
  const returned = sys.recv(arg.fd, data, 0, 1024, 0);
  const elapsedMs = performance.now() - started;
  return { sends, recv: { returned, elapsedMs, sendQBefore, sendQAfter: queue(arg.siocoutq) } };
};

/** E23: the experiment. */
export const timeouts = defineExperiment<TimeoutsData>(
  {
    id: 'E23',
    slug: 'timeouts',
    title: 'SO_SNDTIMEO and SO_RCVTIMEO: bounded blocking, and what they do not tell',
    shows:
      'send into full buffers → short count, then -EAGAIN after SO_SNDTIMEO; recv → -EAGAIN after SO_RCVTIMEO; neither is about ACKs',
    seeds: '004',
  },
  async ({ claims, scope, note, headline, progress }) => {
    const { client, server } = tcpConnection(scope, { clientSndbuf: 8192, serverRcvbuf: 10240 });
    client.setOption('SO_SNDTIMEO', TIMEOUT_MS);
    client.setOption('SO_RCVTIMEO', TIMEOUT_MS);
    const sndtimeo = { setMs: TIMEOUT_MS, readBackMs: client.getOption('SO_SNDTIMEO') };
    const rcvtimeo = { setMs: TIMEOUT_MS, readBackMs: client.getOption('SO_RCVTIMEO') };
    const sndbuf = client.getOption('SO_SNDBUF');
    const rcvbuf = server.getOption('SO_RCVBUF');
    if (CHUNK <= sndbuf + rcvbuf) note(`the ${CHUNK}-byte chunk is not larger than SO_SNDBUF + SO_RCVBUF here`);
    const within_ = (ms: number, set: number) => ms >= set - EARLY_MS && ms <= set + LATE_MS;

    progress(`blocking sends with SO_SNDTIMEO=${TIMEOUT_MS} ms, then recv with SO_RCVTIMEO=${TIMEOUT_MS} ms`);
    const thread = await startThread(sendThenRecv, {
      fd: client.fd,
      chunk: CHUNK,
      maxSends: MAX_SENDS,
      siocoutq: c.SIOCOUTQ!,
      siocoutqnsd: c.SIOCOUTQNSD ?? -1,
    });
    scope.defer(async () => {
      // If something failed while the thread sleeps in send/recv, shutdown(2) wakes it.
      if (!client.closed) sys.shutdown(client.fd, c.SHUT_RDWR!);
      await thread.stop(3000);
    });
    // Best effort: catch the thread asleep in its first send (it sleeps about one timeout).
    const sendWhere = await waitUntilAsleepIn(thread.tid, 'sendto', client.fd, TIMEOUT_MS).catch(() => null);
    if (!sendWhere) note('the sending thread was not caught asleep in sendto (it sleeps only one timeout)');
    await thread.next(MAX_SENDS * (TIMEOUT_MS + LATE_MS) + 2000, 'the sends to finish');
    const out = await within(thread.done, TIMEOUT_MS + LATE_MS + 2000, 'the recv to time out');
    const afterInfo = client.tcpInfo();
    const afterRecv = { state: afterInfo.stateName, soError: client.getOption('SO_ERROR') };

    const sends: TimedSend[] = out.sends.map((s) => ({ ...s, code: outcome(s.returned) }));
    const recv: TimedRecv = { ...out.recv, code: outcome(out.recv.returned) };
    const last = sends.at(-1)!;
    const before = sends.slice(0, -1);
    const accepted = before.reduce((sum, s) => sum + Math.max(s.returned, 0), 0);
    const list = sends.map((s) => `${s.code} after ${s.elapsedMs.toFixed(0)} ms`).join(', ');

    claims.check(
      `a blocking send into full buffers returns -EAGAIN after SO_SNDTIMEO=${TIMEOUT_MS} ms (−${EARLY_MS}/+${LATE_MS})`,
      last.returned === -c.EAGAIN! && within_(last.elapsedMs, TIMEOUT_MS),
      `${last.returned} (${last.code}) after ${last.elapsedMs.toFixed(1)} ms (reads back ${sndtimeo.readBackMs} ms)`,
    );
    claims.check(
      `short counts come first: the ${CHUNK}-byte sends before the -EAGAIN were accepted in part (0 < n < ${CHUNK})`,
      before.length > 0 && before.every((s) => s.returned > 0 && s.returned < CHUNK),
      list,
    );
    const success = before.at(-1);
    claims.check(
      "send's success says nothing about acknowledgement: when it returned, Send-Q (unacknowledged) > 0 and the peer had read nothing",
      success !== undefined && success.sendQAfter > 0,
      success
        ? `send returned ${success.returned}; Send-Q right after ${success.sendQAfter} bytes` +
            (success.notSentAfter >= 0 ? `, ${success.notSentAfter} of them not even transmitted` : '') +
            '; the server had read 0'
        : 'no successful send',
    );
    claims.check(
      `recv with no data returns -EAGAIN after SO_RCVTIMEO=${TIMEOUT_MS} ms (−${EARLY_MS}/+${LATE_MS})`,
      recv.returned === -c.EAGAIN! && within_(recv.elapsedMs, TIMEOUT_MS),
      `${recv.returned} (${recv.code}) after ${recv.elapsedMs.toFixed(1)} ms (reads back ${rcvtimeo.readBackMs} ms)`,
    );
    claims.check(
      "recv's timeout says nothing about the peer either: still ESTABLISHED, SO_ERROR 0, our Send-Q unchanged",
      afterRecv.state === 'ESTABLISHED' && afterRecv.soError === 0 && recv.sendQBefore === recv.sendQAfter,
      `state ${afterRecv.state}, SO_ERROR ${afterRecv.soError}, Send-Q ${recv.sendQBefore} → ${recv.sendQAfter}`,
    );

    // The timeouts lost nothing: the server reads, and every accepted byte arrives.
    progress('the server drains everything the sends accepted');
    const buffer = Buffer.alloc(65536);
    let drained = 0;
    for (let i = 0; i < 10_000 && drained < accepted; i++) {
      const n = sys.recv(server.fd, buffer, 0, buffer.length, c.MSG_DONTWAIT!);
      if (n > 0) drained += n;
      else if (n === -c.EAGAIN!) server.poll(c.POLLIN!, 1000);
      else break;
    }
    const end = await queuesAtRest(client, server);
    claims.equal(
      'a timeout aborts nothing: the server then reads every byte the sends accepted, and Send-Q empties',
      `read ${drained} of ${accepted}; Send-Q ${end.sendQ}, Recv-Q ${end.recvQ}`,
      `read ${accepted} of ${accepted}; Send-Q 0, Recv-Q 0`,
    );

    headline(
      `send: ${sends.map((s) => outcome(s.returned)).join(', ')} (last after ${last.elapsedMs.toFixed(0)} ms); ` +
        `recv: ${recv.code} after ${recv.elapsedMs.toFixed(0)} ms; success with Send-Q ${success?.sendQAfter ?? '?'} B unacked`,
    );
    return {
      sndbuf,
      rcvbuf,
      chunk: CHUNK,
      sndtimeo,
      rcvtimeo,
      earlyMs: EARLY_MS,
      lateMs: LATE_MS,
      sends,
      accepted,
      sendWhere,
      recv,
      afterRecv,
      drained,
      end,
    };
  },
);
