/**
 * E01 blocking-send: a server accepts and never reads; a blocking client sends "helloworld" in
 * a loop until send(2) stops returning. Seeds 000, 001, 003 §05-1.
 *
 * What it proves, from inside the program: the sending thread is asleep *inside* sendto on that
 * fd (its /proc task; as root, a kernel stack through sk_stream_wait_memory); every byte send
 * accepted is in the client's Send-Q or the server's Recv-Q (or already read); the blocked send
 * returns once the server has drained part of its buffer. It runs twice: with default buffers
 * and with SO_SNDBUF=8192 / SO_RCVBUF=10240 set before connect/listen.
 * @module
 */
import { constants as c } from '../constants.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import type { Claims } from './claims.js';
import { defineExperiment } from './define.js';
import { tcpConnection } from './loopback.js';
import { Sampler, settled, waitFor, type Sample } from './sample.js';
import type { Scope } from './scope.js';
import { startThread, type ThreadBody } from './thread.js';
import { waitUntilAsleepIn, whereIs, type ThreadWhere } from './where.js';

/** One point of the fill timeline. */
export interface FillPoint {
  /** Bytes send(2) had accepted. */
  accepted: number;
  /** Client Send-Q (SIOCOUTQ). */
  sendQ: number;
  /** Server Recv-Q (SIOCINQ). */
  recvQ: number;
  /** The server's advertised window as the client sees it (TCP_INFO sndWnd), when available. */
  peerWindow: number | null;
}

/** The measurements of one variant (default or small buffers). */
export interface BlockingSendRun {
  variant: 'default buffers' | 'small buffers';
  /** SO_SNDBUF / SO_RCVBUF as read back (Linux doubles what was set). */
  sndbuf: number;
  rcvbuf: number;
  /** Bytes send accepted before the thread blocked. */
  accepted: number;
  sendQ: number;
  recvQ: number;
  /** Bytes of the blocked send already queued: Send-Q + Recv-Q − accepted (0 ≤ part < 10). */
  partOfBlockedSend: number;
  /** Where the thread slept. */
  where: ThreadWhere;
  /** Bytes the server had read when the blocked send returned (8 KiB granularity). */
  drainedBeforeReturn: number;
  /** After the sender stopped: accepted, Send-Q, Recv-Q and bytes read, settled. */
  final: { accepted: number; sendQ: number; recvQ: number; drained: number };
  timeline: Sample<FillPoint>[];
}

/** What E01 returns. */
export interface BlockingSendData {
  runs: BlockingSendRun[];
}

const MESSAGE = 'helloworld';
const DRAIN_CHUNK = 8192;
/** Upper bound on sends (64 MiB of "helloworld"): far above any buffer, so the loop always ends. */
const MAX_SENDS = 6_710_886;

interface SendLoopArg {
  fd: number;
  shared: SharedArrayBuffer;
  maxSends: number;
  message: string;
}

/**
 * The blocking side (runs on a worker thread; self-contained). shared[0] counts the bytes send
 * accepted, shared[1] = 1 asks the loop to stop after its current send returns.
 */
const sendLoop: ThreadBody<SendLoopArg, { sends: number; last: number }> = (sys, arg, post) => {
  const counters = new Int32Array(arg.shared);
  const bytes = Buffer.from(arg.message);
  let sends = 0;
  let last = 0;
  while (sends < arg.maxSends && Atomics.load(counters, 1) === 0) {
    last = sys.send(arg.fd, bytes, 0, bytes.length, 0);
    if (last < 0) break;
    sends++;
    Atomics.add(counters, 0, last);
  }
  post({ returned: last, accepted: Atomics.load(counters, 0) });
  return { sends, last };
};

async function runVariant(
  scope: Scope,
  claims: Claims,
  variant: BlockingSendRun['variant'],
  buffers: { sndbuf?: number; rcvbuf?: number },
): Promise<BlockingSendRun> {
  const { client, server } = tcpConnection(scope, { clientSndbuf: buffers.sndbuf, serverRcvbuf: buffers.rcvbuf });
  const shared = new SharedArrayBuffer(8);
  const counters = new Int32Array(shared);
  const thread = await startThread(sendLoop, { fd: client.fd, shared, maxSends: MAX_SENDS, message: MESSAGE });
  scope.defer(async () => {
    // Wake the thread if it still sleeps in send (shutdown does; close would not), then join it.
    // The result is ignored: the connection may already be down (ENOTCONN) by now.
    Atomics.store(counters, 1, 1);
    if (!client.closed) sys.shutdown(client.fd, c.SHUT_RDWR);
    await thread.stop(2000);
  });
  const sample = (): FillPoint => ({
    accepted: Atomics.load(counters, 0),
    sendQ: client.sendQueue(),
    recvQ: server.recvQueue(),
    peerWindow: client.tcpInfo().sndWnd ?? null,
  });
  const sampler = new Sampler(sample, 10);
  let where: ThreadWhere;
  try {
    await waitUntilAsleepIn(thread.tid, 'sendto', client.fd, 30_000);
    // Bytes the server received but has not acknowledged yet (a delayed ACK) count in both
    // Send-Q and Recv-Q; bytes on their way count in Send-Q alone. Wait for rest: the thread
    // asleep in sendto and nothing unacknowledged (tcpi_unacked == 0).
    where = await atRest(thread.tid, client);
  } finally {
    sampler.stop();
  }
  // At rest: no send completes now, so the counter and the queues hold still.
  const atBlock = await settled(() => ({ accepted: Atomics.load(counters, 0), ...queues(client, server) }));
  const timeline = sampler.stop();
  timeline.push({ ...sample(), t: timeline.at(-1)!.t + 10 });
  const part = atBlock.sendQ + atBlock.recvQ - atBlock.accepted;

  const label = `[${variant}]`;
  claims.check(
    `${label} the sending thread sleeps inside sendto on the client fd`,
    where.state === 'S' && where.syscall?.name === 'sendto' && where.syscall.fd === client.fd,
    `state ${where.state}, ${where.syscall?.name}(${where.syscall?.fd})${where.wchan ? `, wchan ${where.wchan}` : ''}`,
  );
  if (where.stack)
    claims.check(
      `${label} its kernel stack goes through sk_stream_wait_memory (waiting for send-buffer space)`,
      where.stack.includes('sk_stream_wait_memory'),
      where.stack.slice(0, 4).join(' ← '),
    );
  claims.check(
    `${label} Send-Q + Recv-Q == bytes accepted + the part of the blocked send already queued (0 ≤ part < ${MESSAGE.length})`,
    part >= 0 && part < MESSAGE.length,
    `${atBlock.sendQ} + ${atBlock.recvQ} = ${atBlock.accepted} + ${part}`,
  );

  // Stop after the blocked send returns, then drain the server until it does.
  Atomics.store(counters, 1, 1);
  const chunk = Buffer.alloc(DRAIN_CHUNK);
  let drained = 0;
  let returned: { returned: number; accepted: number } | undefined;
  for (let i = 0; i < 100_000 && !returned; i++) {
    const n = server.recv(chunk);
    if (n === 0) break;
    drained += n;
    returned = (await thread.next(5).catch(() => undefined)) as typeof returned;
  }
  const drainedBeforeReturn = drained;
  claims.check(
    `${label} the blocked send returns once the server has read part of its buffer`,
    returned !== undefined && returned.returned === MESSAGE.length,
    returned ? `returned ${returned.returned} after the server read ${drained} bytes` : 'never returned',
  );
  await thread.done;

  // The sender has stopped: once nothing is unacknowledged, every accepted byte is in exactly
  // one queue or was read.
  await waitFor(() => client.tcpInfo().unacked === 0, 5000, 'tcpi_unacked == 0');
  const final = await settled(() => ({ accepted: Atomics.load(counters, 0), ...queues(client, server), drained }));
  claims.equal(
    `${label} bytes accepted == client Send-Q + server Recv-Q + bytes the server read`,
    `${final.accepted} == ${final.sendQ + final.recvQ + final.drained}`,
    `${final.accepted} == ${final.accepted}`,
  );
  return {
    variant,
    sndbuf: client.getOption('SO_SNDBUF'),
    rcvbuf: server.getOption('SO_RCVBUF'),
    accepted: atBlock.accepted,
    sendQ: atBlock.sendQ,
    recvQ: atBlock.recvQ,
    partOfBlockedSend: part,
    where,
    drainedBeforeReturn,
    final,
    timeline,
  };
}

/**
 * Waits until the sender sleeps in sendto with nothing unacknowledged (delayed ACKs sent) and,
 * as root, with its kernel stack read: one read of /proc/<tid>/stack can fail or come back
 * empty while the thread is being woken or rescheduled (seen once under a loaded sanitizer run),
 * so the sample is retried like the other conditions rather than taken as "no stack".
 */
async function atRest(tid: number, client: Socket): Promise<ThreadWhere> {
  const root = process.getuid?.() === 0;
  let where = whereIs(tid);
  await waitFor(
    () => {
      where = whereIs(tid);
      return (
        where.syscall?.name === 'sendto' &&
        where.state === 'S' &&
        client.tcpInfo().unacked === 0 &&
        (!root || (where.stack?.length ?? 0) > 0)
      );
    },
    5000,
    'the sender asleep in sendto with tcpi_unacked == 0',
  );
  return where;
}

function queues(client: Socket, server: Socket) {
  return { sendQ: client.sendQueue(), recvQ: server.recvQueue() };
}

/** E01: the experiment. */
export const blockingSend = defineExperiment<BlockingSendData>(
  {
    id: 'E01',
    slug: 'blocking-send',
    title: 'Blocking send into a peer that never reads',
    shows: 'send sleeps inside sendto (sk_stream_wait_memory); accepted == Send-Q + Recv-Q; a drain wakes it',
    seeds: '000, 001, 003 §05-1',
  },
  async ({ claims, scope, note, progress, headline }) => {
    progress('filling default-sized buffers with 10-byte sends');
    const defaults = await runVariant(scope, claims, 'default buffers', {});
    progress('filling small buffers (SO_SNDBUF=8192, SO_RCVBUF=10240)');
    const small = await runVariant(scope, claims, 'small buffers', { sndbuf: 8192, rcvbuf: 10240 });
    claims.check(
      'smaller buffers: far fewer bytes before send blocks (less than a tenth)',
      small.accepted * 10 < defaults.accepted,
      `${small.accepted} vs ${defaults.accepted} bytes`,
    );
    const stackNote = defaults.where.unavailable.find((u) => u.startsWith('stack'));
    if (stackNote) note(`kernel stack not shown: ${stackNote} (run as root to see sk_stream_wait_memory)`);
    if (defaults.timeline.every((p) => p.peerWindow === null))
      note('the peer window (TCP_INFO tcpi_snd_wnd) is not available on this kernel');
    headline(
      `send blocked after ${defaults.accepted} B (default buffers) / ${small.accepted} B (small); ` +
        `woke after ${defaults.drainedBeforeReturn} B drained`,
    );
    return { runs: [defaults, small] };
  },
);
