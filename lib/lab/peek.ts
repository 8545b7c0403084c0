/**
 * E17 peek: recv with MSG_PEEK looks at queued bytes without taking them, and with MSG_DONTWAIT
 * it becomes the liveness check of seed 001 ("recv + MSG_PEEK on a nonblocking socket"). Seeds
 * 001, 003.
 *
 * What it proves on a loopback connection, all with single nonblocking calls on this thread
 * (every wait is a bounded poll for readiness):
 * - peek returns the bytes and leaves them: Recv-Q is unchanged, a second peek sees the same
 *   bytes, and the next plain recv returns exactly them; then the queue is empty;
 * - peek|DONTWAIT tells apart "alive, nothing yet" (-EAGAIN), "data" (> 0) and "closed" (0) —
 *   with the catch that data queued before the peer's FIN is seen first: the check says "data"
 *   until it has been read, and only then 0;
 * - a connection reset by the peer (RST) peeks as -ECONNRESET, once; after that it reads as
 *   closed (0);
 * - MSG_DONTWAIT affects that one call: the fd itself stays blocking (F_GETFL).
 * @module
 */
import { constants as c, errnoName } from '../constants.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import { tcpConnection } from './loopback.js';

/** One peek|DONTWAIT (or recv) and what it returned. */
export interface Look {
  /** What was going on: "nothing sent yet", "after the peer sent …" … */
  situation: string;
  /** The call: 'peek' (MSG_PEEK|MSG_DONTWAIT) or 'recv' (MSG_DONTWAIT). */
  call: 'peek' | 'recv';
  /** The raw result: a count, 0, or -errno. */
  returned: number;
  /** The errno's name when `returned` < 0. */
  code: string | null;
  /** The bytes, when `returned` > 0. */
  text: string;
  /** The server's Recv-Q (FIONREAD) right after the call; null once the socket errored. */
  recvQ: number | null;
}

/** What E17 returns. */
export interface PeekData {
  /** Every call in order, on the connection the peer closed with FIN. */
  looks: Look[];
  /** The connection the peer reset (SO_LINGER {on, 0}). */
  resetLooks: Look[];
  /** The server's TCP state once the peer's FIN had arrived ('CLOSE_WAIT'). */
  stateAfterFin: string;
  /** O_NONBLOCK of the server fd after the MSG_DONTWAIT calls (false: still blocking). */
  nonBlockingAfter: boolean;
  /** The verdict of the seed's check for each state: 'alive', 'data' or 'closed'. */
  verdicts: {
    state: string;
    verdict: 'alive, nothing yet' | 'data' | 'closed' | 'error';
    returned: number;
    /** The errno's name when `returned` < 0. */
    code: string | null;
  }[];
}

/** How long to wait for the peer's bytes, FIN or RST to arrive (loopback takes microseconds). */
const WAIT_MS = 2000;
const BUF = 64;

/** The seed's liveness check: one recv(MSG_PEEK | MSG_DONTWAIT), classified. */
function verdict(returned: number): PeekData['verdicts'][number]['verdict'] {
  if (returned > 0) return 'data';
  if (returned === 0) return 'closed';
  return returned === -c.EAGAIN! ? 'alive, nothing yet' : 'error';
}

function look(socket: Socket, situation: string, call: Look['call'], buf: Buffer): Look {
  const flags = call === 'peek' ? c.MSG_PEEK! | c.MSG_DONTWAIT! : c.MSG_DONTWAIT!;
  const returned = sys.recv(socket.fd, buf, 0, buf.length, flags);
  const inq = new Int32Array(1);
  const recvQ = sys.ioctl(socket.fd, c.FIONREAD!, inq) === 0 ? inq[0]! : null;
  return {
    situation,
    call,
    returned,
    code: returned < 0 ? errnoName(returned) : null,
    text: returned > 0 ? buf.toString('latin1', 0, returned) : '',
    recvQ,
  };
}

/** Waits (bounded) until `socket` is readable or has an error/hangup; returns revents. */
function waitReadable(socket: Socket, what: string): number {
  const revents = socket.poll(c.POLLIN!, WAIT_MS);
  if (revents === 0) throw new Error(`timed out after ${WAIT_MS} ms waiting for ${what}`);
  return revents;
}

/** E17: the experiment. */
export const peek = defineExperiment<PeekData>(
  {
    id: 'E17',
    slug: 'peek',
    title: 'MSG_PEEK: look at the queue without taking from it',
    shows: 'peek leaves the bytes for the next recv; peek|DONTWAIT: 0 closed, -EAGAIN alive, > 0 data',
    seeds: '001, 003',
  },
  async ({ claims, scope, headline }) => {
    const buf = Buffer.alloc(BUF);
    const looks: Look[] = [];
    const { client, server } = tcpConnection(scope);
    const take = (situation: string, call: Look['call']) => {
      const l = look(server, situation, call, buf);
      looks.push(l);
      return l;
    };

    // 1. Connected, nothing sent: "alive, nothing yet".
    const idle = take('connected, nothing sent yet', 'peek');
    claims.equal('nothing sent yet: peek|DONTWAIT returns -EAGAIN ("alive, nothing yet")', idle.code, 'EAGAIN');

    // 2. The peer sends "hello": peek sees it and leaves it.
    client.send('hello');
    waitReadable(server, 'the peer’s 5 bytes');
    const first = take('after the peer sent "hello"', 'peek');
    claims.check(
      'peek returns the queued bytes ("hello", 5)',
      first.returned === 5 && first.text === 'hello',
      `${first.returned} "${first.text}"`,
    );
    claims.equal('…and leaves them queued: Recv-Q is still 5 after the peek', first.recvQ, 5);
    const second = take('peeked once already', 'peek');
    claims.check(
      'a second peek returns the same bytes again',
      second.returned === first.returned && second.text === first.text,
      `${second.returned} "${second.text}"`,
    );
    const read = take('peeked twice', 'recv');
    claims.check(
      'the next plain recv returns exactly the peeked bytes, and empties the queue',
      read.returned === first.returned && read.text === first.text && read.recvQ === 0,
      `${read.returned} "${read.text}", Recv-Q then ${read.recvQ}`,
    );
    const drained = take('everything read, peer still connected', 'peek');
    claims.equal('read everything, peer still there: peek|DONTWAIT is -EAGAIN again', drained.code, 'EAGAIN');

    // 3. The peer sends "bye" and closes: the data is seen before the close.
    client.send('bye');
    client.close();
    // Wait for the FIN itself (POLLRDHUP: the peer shut down writing), not just for the bytes.
    const rdhup = server.poll(c.POLLRDHUP!, WAIT_MS);
    const stateAfterFin = server.tcpInfo().stateName;
    const beforeFin = take('the peer sent "bye" and closed', 'peek');
    claims.check(
      'peer sent "bye" then closed (FIN arrived: POLLRDHUP, CLOSE_WAIT): peek still says "data" (3) — the bytes before the FIN come first',
      (rdhup & c.POLLRDHUP!) !== 0 &&
        stateAfterFin === 'CLOSE_WAIT' &&
        beforeFin.returned === 3 &&
        beforeFin.text === 'bye',
      `${beforeFin.returned} "${beforeFin.text}" (revents 0x${rdhup.toString(16)}, state ${stateAfterFin})`,
    );
    const lastRead = take('peeked "bye"', 'recv');
    claims.equal('recv then takes those 3 bytes', lastRead.returned, 3);
    const closed = take('read everything the closed peer sent', 'peek');
    claims.equal('only then does peek|DONTWAIT return 0: closed', closed.returned, 0);
    const closedAgain = take('peeked the end already', 'peek');
    claims.equal('end of stream stays: the next peek returns 0 again', closedAgain.returned, 0);

    // 4. MSG_DONTWAIT is per call: the fd is still blocking.
    const nonBlockingAfter = server.isNonBlocking();
    claims.equal(
      'MSG_DONTWAIT changed only those calls: the server fd is still blocking (F_GETFL)',
      nonBlockingAfter,
      false,
    );

    // 5. A peer that resets (SO_LINGER {on, 0}: close sends RST).
    const reset = tcpConnection(scope);
    const resetLooks: Look[] = [];
    reset.client.setOption('SO_LINGER', { onoff: true, linger: 0 });
    reset.client.close();
    const revents = waitReadable(reset.server, 'the RST');
    const rst = look(reset.server, 'the peer closed with SO_LINGER {on, 0} (RST)', 'peek', buf);
    resetLooks.push(rst);
    claims.equal('a reset connection: peek|DONTWAIT returns -ECONNRESET', rst.code, 'ECONNRESET');
    claims.check(
      'poll had reported it as POLLERR (with POLLHUP)',
      (revents & c.POLLERR!) !== 0,
      `revents 0x${revents.toString(16)} (POLLERR 0x${c.POLLERR!.toString(16)}, POLLHUP 0x${c.POLLHUP!.toString(16)})`,
    );
    const afterRst = look(reset.server, 'ECONNRESET already reported', 'peek', buf);
    resetLooks.push(afterRst);
    claims.equal('the error is reported once: the next peek returns 0 (closed)', afterRst.returned, 0);

    const verdictOf = (state: string, l: Look) => ({
      state,
      returned: l.returned,
      code: l.code,
      verdict: verdict(l.returned),
    });
    const verdicts: PeekData['verdicts'] = [
      verdictOf('connected, nothing sent', idle),
      verdictOf('bytes queued', first),
      verdictOf('peer closed, its last bytes unread', beforeFin),
      verdictOf('peer closed, everything read', closed),
      verdictOf('peer reset', rst),
    ];
    headline(
      `peek|DONTWAIT: ${idle.code} while idle, ${first.returned} with data (Recv-Q kept ${first.recvQ}), ` +
        `${closed.returned} once closed, ${rst.code} after RST`,
    );
    return { looks, resetLooks, stateAfterFin, nonBlockingAfter, verdicts };
  },
);
