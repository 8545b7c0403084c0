/**
 * E04 nonblocking-recv: the seed's nonblocking recv loop (000, 001). The client sets O_NONBLOCK
 * with fcntl after connect and calls recv: nothing there, then data, then the peer closes.
 * Then MSG_DONTWAIT on a socket that stays blocking.
 *
 * What it proves: recv returns -EAGAIN at once when nothing has arrived (the seed's loop would
 * spin); the data once the server sent it; 0 — not an error — once the peer has closed, and
 * again on every later call; recv(…, MSG_DONTWAIT) on a blocking socket gives -EAGAIN for that
 * one call and leaves the fd blocking (F_GETFL unchanged, and a plain recv still sleeps).
 * @module
 */
import { constants as c } from '../constants.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import { fdFlags, outcome, startRecv, timed, within, type FdFlags } from './group-a.js';
import { tcpConnection } from './loopback.js';
import { waitUntilAsleepIn, type ThreadWhere } from './where.js';

/** One recv call: what it returned, its name, and how long it took (ms). */
export interface RecvCall {
  returned: number;
  code: string;
  ms: number;
}

/** What E04 returns. */
export interface NonBlockingRecvData {
  /** F_GETFL of the client before and after fcntl(F_SETFL, flags | O_NONBLOCK). */
  flagsBefore: FdFlags;
  flagsAfter: FdFlags;
  /** The seed's loop with no data: `tries` recv calls, how many gave -EAGAIN, total and slowest. */
  empty: { tries: number; eagain: number; totalMs: number; slowestMs: number };
  /** The server's message; the recv right after the server's send returned; poll's revents. */
  message: string;
  firstRecvAfterSend: RecvCall;
  pollInRevents: number;
  /** The recv that got the data, and its bytes. */
  data: RecvCall & { text: string };
  /** A recv after the data was read (connection alive, nothing new). */
  drainedAgain: RecvCall;
  /** After the server's close: poll's revents, then two recv calls (0 and 0). */
  closed: { pollRevents: number; first: RecvCall; second: RecvCall };
  /** MSG_DONTWAIT on a blocking socket. */
  dontwait: {
    flagsBefore: FdFlags;
    call: RecvCall;
    flagsAfter: FdFlags;
    /** A plain recv afterwards: where its thread slept, and what it returned once woken. */
    plainRecvWhere: ThreadWhere;
    plainRecvReturned: number;
  };
  /** SO_RCVTIMEO set on both clients as a safety net (ms). */
  guardMs: number;
}

const MESSAGE = 'helloworld';
/** The seed's recv buffer. */
const BUFFER_SIZE = 32;
/** How many times the seed's loop is allowed to spin on an empty socket. */
const EMPTY_TRIES = 1000;
/** A recv slower than this would have waited (a nonblocking one takes microseconds). */
const IMMEDIATE_MS = 500;
/**
 * SO_RCVTIMEO as a safety net on both clients: a nonblocking recv (O_NONBLOCK or MSG_DONTWAIT)
 * ignores it, but if either were somehow not in effect, a recv on the main thread would return
 * -EAGAIN after this long instead of hanging the process — and the timing claims would fail.
 */
const GUARD_MS = 2000;
/** Upper bound for every readiness wait. Loopback answers in microseconds. */
const WAIT_MS = 2000;

/** E04: the experiment. */
export const nonblockingRecv = defineExperiment<NonBlockingRecvData>(
  {
    id: 'E04',
    slug: 'nonblocking-recv',
    title: 'Nonblocking recv: nothing, data, peer closed; MSG_DONTWAIT',
    shows:
      'recv -EAGAIN at once with no data, the data once sent, 0 once the peer closes; MSG_DONTWAIT leaves the fd blocking',
    seeds: '000, 001',
  },
  async ({ claims, scope, headline, progress }) => {
    const { client, server } = tcpConnection(scope);
    client.setOption('SO_RCVTIMEO', GUARD_MS);
    const buffer = Buffer.alloc(BUFFER_SIZE);
    /** One raw recv on `fd`, timed. */
    const recv = (fd: number, flags = 0): RecvCall => {
      const { value, ms } = timed(() => sys.recv(fd, buffer, 0, buffer.length, flags));
      return { returned: value, code: outcome(value), ms };
    };

    // As the seed: connect blocking, then F_GETFL + F_SETFL(flags | O_NONBLOCK).
    const flagsBefore = fdFlags(client.fd);
    client.setNonBlocking(true);
    const flagsAfter = fdFlags(client.fd);
    // A blocking recv here would hang the main thread: refuse to go on without O_NONBLOCK.
    if (!flagsAfter.nonBlocking) throw new Error(`O_NONBLOCK not set (F_GETFL 0x${flagsAfter.flags.toString(16)})`);

    // 1. Nothing sent yet: the seed's loop, bounded.
    let eagain = 0;
    let slowestMs = 0;
    const loopStarted = performance.now();
    for (let i = 0; i < EMPTY_TRIES; i++) {
      const call = recv(client.fd);
      if (call.returned === -c.EAGAIN!) eagain++;
      slowestMs = Math.max(slowestMs, call.ms);
    }
    const empty = { tries: EMPTY_TRIES, eagain, totalMs: performance.now() - loopStarted, slowestMs };
    claims.check(
      `with no data, recv returns -EAGAIN (== EWOULDBLOCK) at once: ${EMPTY_TRIES} calls, each under ${IMMEDIATE_MS} ms`,
      eagain === EMPTY_TRIES && slowestMs < IMMEDIATE_MS && c.EAGAIN === c.EWOULDBLOCK,
      `${eagain} of ${EMPTY_TRIES} gave -EAGAIN in ${empty.totalMs.toFixed(2)} ms (slowest ${slowestMs.toFixed(3)} ms)`,
    );

    // 2. The server sends; the client looks at once, then waits for readiness (poll, bounded).
    progress('server sends "helloworld"');
    server.send(MESSAGE);
    const firstRecvAfterSend = recv(client.fd);
    let data: NonBlockingRecvData['data'];
    let pollInRevents = 0;
    if (firstRecvAfterSend.returned > 0) {
      data = { ...firstRecvAfterSend, text: buffer.toString('latin1', 0, firstRecvAfterSend.returned) };
    } else {
      pollInRevents = client.poll(c.POLLIN!, WAIT_MS);
      const call = recv(client.fd);
      data = { ...call, text: call.returned > 0 ? buffer.toString('latin1', 0, call.returned) : '' };
    }
    claims.check(
      'once the server has sent, recv returns the data',
      data.returned === MESSAGE.length && data.text === MESSAGE,
      `returned ${data.code}: "${data.text}"${firstRecvAfterSend.returned > 0 ? ' (already there on the first try)' : ` after poll revents 0x${pollInRevents.toString(16)}`}`,
    );
    const drainedAgain = recv(client.fd);
    claims.check(
      'after the data is read, recv is back to -EAGAIN (connection alive, nothing new)',
      drainedAgain.returned === -c.EAGAIN!,
      `${drainedAgain.returned} (${drainedAgain.code})`,
    );

    // 3. The server closes: FIN makes the socket readable, and recv reports end of stream.
    progress('server closes');
    server.close();
    const pollRevents = client.poll(c.POLLIN!, WAIT_MS);
    const first = recv(client.fd);
    const second = recv(client.fd);
    claims.check(
      'once the peer closes, recv returns 0 ("peer closed", no errno), and 0 again on the next call',
      (pollRevents & c.POLLIN!) !== 0 && first.returned === 0 && second.returned === 0,
      `poll revents 0x${pollRevents.toString(16)}; recv → ${first.code}, then ${second.code}`,
    );

    // 4. MSG_DONTWAIT on a blocking socket: nonblocking for this one call only.
    progress('MSG_DONTWAIT on a blocking socket');
    const other = tcpConnection(scope);
    other.client.setOption('SO_RCVTIMEO', GUARD_MS);
    const dwBefore = fdFlags(other.client.fd);
    const call = recv(other.client.fd, c.MSG_DONTWAIT!);
    const dwAfter = fdFlags(other.client.fd);
    claims.check(
      'recv(MSG_DONTWAIT) on a blocking socket with no data returns -EAGAIN at once',
      call.returned === -c.EAGAIN! && call.ms < IMMEDIATE_MS,
      `${call.returned} (${call.code}) in ${call.ms.toFixed(3)} ms`,
    );
    // Proof by behaviour, not only by the flag: a plain recv on that fd must still sleep.
    const thread = await startRecv(scope, other.client, BUFFER_SIZE);
    const plainRecvWhere = await waitUntilAsleepIn(thread.tid, 'recvfrom', other.client.fd, 5000);
    other.server.send('x');
    const woken = await within(thread.done, 5000, 'the plain recv to return');
    claims.check(
      'and leaves the fd blocking: O_NONBLOCK still clear, and a plain recv sleeps in recvfrom until data comes',
      !dwBefore.nonBlocking &&
        !dwAfter.nonBlocking &&
        dwBefore.flags === dwAfter.flags &&
        plainRecvWhere.state === 'S' &&
        woken.returned === 1,
      `F_GETFL 0x${dwBefore.flags.toString(16)} → 0x${dwAfter.flags.toString(16)}; plain recv: state ` +
        `${plainRecvWhere.state} in ${plainRecvWhere.syscall?.name}, returned ${outcome(woken.returned)} after the server sent 1 byte`,
    );

    headline(
      `${EMPTY_TRIES}× EAGAIN in ${empty.totalMs.toFixed(1)} ms; data ${data.returned} B; peer closed → 0, 0; ` +
        `MSG_DONTWAIT → ${call.code}, fd stays blocking`,
    );
    return {
      flagsBefore,
      flagsAfter,
      empty,
      message: MESSAGE,
      firstRecvAfterSend,
      pollInRevents,
      data,
      drainedAgain,
      closed: { pollRevents, first, second },
      dontwait: {
        flagsBefore: dwBefore,
        call,
        flagsAfter: dwAfter,
        plainRecvWhere,
        plainRecvReturned: woken.returned,
      },
      guardMs: GUARD_MS,
    };
  },
);
