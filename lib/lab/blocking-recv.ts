/**
 * E03 blocking-recv: a client calls recv on a blocking socket while the server has sent
 * nothing; later the server sends a short message. Seeds 000, 001.
 *
 * What it proves, from inside the program: the receiving thread is asleep *inside* recvfrom on
 * that fd (its /proc task; as root a kernel stack through sk_wait_data, which sleeps in
 * wait_woken); when the server sends, recv returns exactly those bytes — all of them at once,
 * not a full buffer. With SO_RCVTIMEO the same recv gives up with -EAGAIN after the timeout.
 * @module
 */
import { constants as c } from '../constants.js';
import { defineExperiment } from './define.js';
import { outcome, startRecv, within, type RecvOutcome } from './group-a.js';
import { tcpConnection } from './loopback.js';
import { waitUntilAsleepIn, type ThreadWhere } from './where.js';

/** What E03 returns. */
export interface BlockingRecvData {
  /** The message the server sent, and its length. */
  message: string;
  sentBytes: number;
  /** The recv buffer's size: larger than the message, so a short return is visible. */
  bufferSize: number;
  /** Where the thread slept before the server sent anything. */
  where: ThreadWhere;
  /** Which of the two recv wait functions the kernel stack shows (null without a stack). */
  stackFrames: { skWaitData: boolean; waitWoken: boolean } | null;
  /** The woken recv. `wokeAfterSendMs`: from the server's send to recv's return (two clocks). */
  received: RecvOutcome & { wokeAfterSendMs: number };
  /** The SO_RCVTIMEO variant. */
  timeout: {
    /** SO_RCVTIMEO as set and as read back (the kernel keeps it in whole clock ticks). */
    setMs: number;
    readBackMs: number;
    /** What recv returned (-EAGAIN expected) and its name. */
    returned: number;
    code: string;
    elapsedMs: number;
    /** The accepted window around the timeout: [setMs − earlyMs, setMs + lateMs]. */
    earlyMs: number;
    lateMs: number;
  };
}

const MESSAGE = 'hello, blocking recv';
const BUFFER_SIZE = 1024;
const TIMEOUT_MS = 300;
/**
 * The kernel rounds the timeout up to whole jiffies and the timer may fire up to one tick before
 * the full wall-clock time has passed (the first tick is partial): 15 ms covers HZ ≥ 100.
 */
const EARLY_MS = 15;
/** The timer wheel batches timers of this length (tens of ms) and the thread must be scheduled. */
const LATE_MS = 200;

/** E03: the experiment. */
export const blockingRecv = defineExperiment<BlockingRecvData>(
  {
    id: 'E03',
    slug: 'blocking-recv',
    title: 'Blocking recv with no data, then data; and SO_RCVTIMEO',
    shows:
      'recv sleeps inside recvfrom (sk_wait_data) until the server sends, then returns exactly those bytes; SO_RCVTIMEO → -EAGAIN',
    seeds: '000, 001',
  },
  async ({ claims, scope, note, headline, progress }) => {
    // 1. A recv with nothing to read: the thread must sleep inside recvfrom.
    const { client, server } = tcpConnection(scope);
    const thread = await startRecv(scope, client, BUFFER_SIZE);
    const where = await waitUntilAsleepIn(thread.tid, 'recvfrom', client.fd, 5000);
    claims.check(
      'with no data, the receiving thread sleeps inside recvfrom on the client fd',
      where.state === 'S' && where.syscall?.name === 'recvfrom' && where.syscall.fd === client.fd,
      `state ${where.state}, ${where.syscall?.name}(${where.syscall?.fd})${where.wchan ? `, wchan ${where.wchan}` : ''}`,
    );
    let stackFrames: BlockingRecvData['stackFrames'] = null;
    if (where.stack) {
      stackFrames = { skWaitData: where.stack.includes('sk_wait_data'), waitWoken: where.stack.includes('wait_woken') };
      // On this kernel both frames appear (sk_wait_data calls wait_woken); sk_wait_data is the
      // one that says "a socket waiting for data", so that is the claim.
      claims.check(
        'its kernel stack goes through sk_wait_data (waiting for data to arrive)',
        stackFrames.skWaitData,
        where.stack.slice(0, 5).join(' ← '),
      );
    } else {
      const why = where.unavailable.find((u) => u.startsWith('stack')) ?? 'no stack';
      note(`kernel stack not shown: ${why} (run as root to see sk_wait_data / wait_woken)`);
    }

    // 2. The server sends a short message; the sleeping recv returns exactly those bytes.
    progress('server sends; waiting for the blocked recv to return');
    const sentAt = performance.timeOrigin + performance.now();
    const sentBytes = server.send(MESSAGE);
    const got = await within(thread.done, 5000, 'the blocked recv to return');
    const received = { ...got, wokeAfterSendMs: got.returnedAt - sentAt };
    claims.check(
      `when the server sends ${sentBytes} bytes, recv (buffer ${BUFFER_SIZE}) returns exactly those bytes`,
      got.returned === sentBytes && got.text === MESSAGE,
      `returned ${outcome(got.returned)}: "${got.text}"`,
    );

    // 3. SO_RCVTIMEO: the same kind of recv gives up after the timeout with -EAGAIN.
    progress(`recv with SO_RCVTIMEO=${TIMEOUT_MS} ms and nothing to read`);
    client.setOption('SO_RCVTIMEO', TIMEOUT_MS);
    const readBackMs = client.getOption('SO_RCVTIMEO');
    const timed = await startRecv(scope, client, BUFFER_SIZE);
    const out = await within(timed.done, 5000, 'recv with SO_RCVTIMEO to return');
    const timeout = {
      setMs: TIMEOUT_MS,
      readBackMs,
      returned: out.returned,
      code: outcome(out.returned),
      elapsedMs: out.elapsedMs,
      earlyMs: EARLY_MS,
      lateMs: LATE_MS,
    };
    claims.check(
      `with SO_RCVTIMEO=${TIMEOUT_MS} ms and no data, recv returns -EAGAIN after the timeout (−${EARLY_MS}/+${LATE_MS} ms)`,
      out.returned === -c.EAGAIN! && out.elapsedMs >= TIMEOUT_MS - EARLY_MS && out.elapsedMs <= TIMEOUT_MS + LATE_MS,
      `${out.returned} (${timeout.code}) after ${out.elapsedMs.toFixed(1)} ms (SO_RCVTIMEO reads back ${readBackMs} ms)`,
    );

    headline(
      `asleep in recvfrom${stackFrames?.skWaitData ? ' (sk_wait_data)' : ''}; returned ${got.returned} B as sent; ` +
        `SO_RCVTIMEO ${TIMEOUT_MS} ms → ${timeout.code} after ${out.elapsedMs.toFixed(0)} ms`,
    );
    return {
      message: MESSAGE,
      sentBytes,
      bufferSize: BUFFER_SIZE,
      where,
      stackFrames,
      received,
      timeout,
    };
  },
);
