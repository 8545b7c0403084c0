/**
 * E14 connection-reset: RST instead of FIN. Seed 002 (Linux TCP RST cases: SO_LINGER forcing a
 * reset, close() with data not yet read).
 *
 * Two ways a close sends RST instead of FIN:
 * 1. SO_LINGER {onoff: true, linger: 0}: close aborts the connection. A worker thread blocked
 *    in recv on the other side (proven asleep in recvfrom) wakes with -ECONNRESET; the next
 *    recv returns 0, and a send gives -EPIPE: the error is reported once, then the connection is
 *    simply gone.
 * 2. close() while data sits unread in the closer's receive buffer (002: close means "I will
 *    neither send nor receive", so the kernel cannot pretend the data was delivered): RST again,
 *    and the peer's next call gets -ECONNRESET — whichever call comes first, recv or send.
 * @module
 */
import { constants as c } from '../constants.js';
import { SocketError } from '../errors.js';
import type { Linger } from '../options.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import type { Claims } from './claims.js';
import { defineExperiment } from './define.js';
import { pollNames, rawResult, tcpState, waitForTcpState } from './group-c.js';
import { tcpConnection } from './loopback.js';
import { waitFor } from './sample.js';
import type { Scope } from './scope.js';
import { startThread, type ThreadBody } from './thread.js';
import { waitUntilAsleepIn, type ThreadWhere } from './where.js';

/** Part 1: the lingering-zero close, seen by a blocked reader. */
export interface LingerReset {
  /** SO_LINGER as read back on the closing side before close. */
  linger: Linger;
  /** Where the reader thread slept before the close. */
  where: ThreadWhere;
  /** The blocked recv: -ECONNRESET. */
  blockedRecv: number;
  /** Time from close(2) to the blocked recv returning, ms. */
  msAfterClose: number;
  /** The next recv: 0. */
  secondRecv: number;
  /** A send after that (MSG_NOSIGNAL): -EPIPE. */
  send: number;
  /** TCP state of the reader's socket afterwards: CLOSE. */
  state: string;
  /**
   * The closer's own recv after its close: Socket throws EBADF without a syscall (seed 001's
   * "EBADF" belongs to this side, not to the peer).
   */
  ownRecvAfterClose: string;
}

/** Part 2: close with unread data; one connection answers with recv first, one with send first. */
export interface UnreadDataReset {
  /** Bytes unread in the closer's receive buffer when it closed (its Recv-Q). */
  unread: number;
  /** The surviving side's TCP state once the RST arrived: CLOSE (a FIN would give CLOSE_WAIT). */
  state: string;
  /** poll(POLLIN, 0) on the surviving side. */
  revents: string;
  /** recv first: -ECONNRESET; then recv 0; then send -EPIPE. */
  recvFirst: { recv: number; recvAgain: number; send: number };
  /** send first (MSG_NOSIGNAL): -ECONNRESET; then recv 0. */
  sendFirst: { send: number; recv: number };
}

/** What E14 returns. */
export interface ConnectionResetData {
  linger: LingerReset;
  unreadData: UnreadDataReset;
}

const WAIT_MS = 5000;
const MESSAGE = 'helloworld';
/**
 * The main thread's recvs must never block: the reset has been observed (TCP state CLOSE) before
 * each one, and MSG_DONTWAIT makes sure of it, should the kernel behave otherwise.
 */
const DONTWAIT = c.MSG_DONTWAIT!;

interface ReaderArg {
  fd: number;
  flags: number;
}

/**
 * The reader (worker thread; self-contained): a blocking recv; when it returns, one more recv and
 * a send, each reported with the time it returned.
 */
const reader: ThreadBody<ReaderArg, void> = (sys, arg, post) => {
  const buf = Buffer.alloc(64);
  const blockedRecv = sys.recv(arg.fd, buf, 0, buf.length, 0);
  const at = process.hrtime.bigint();
  const secondRecv = sys.recv(arg.fd, buf, 0, buf.length, 0);
  const send = sys.send(arg.fd, buf, 0, 1, arg.flags);
  post({ blockedRecv, at, secondRecv, send });
};

async function lingerReset(claims: Claims, scope: Scope, note: (text: string) => void) {
  const { client, server } = tcpConnection(scope);
  // A bound on the reader's second recv, should the kernel not report the reset as claimed.
  server.setOption('SO_RCVTIMEO', WAIT_MS);
  const thread = await startThread(reader, { fd: server.fd, flags: c.MSG_NOSIGNAL! });
  scope.defer(async () => {
    if (!server.closed) sys.shutdown(server.fd, c.SHUT_RDWR); // wakes a recv still blocked; then join
    await thread.stop(2000);
  });
  const where = await waitUntilAsleepIn(thread.tid, 'recvfrom', server.fd, WAIT_MS);
  client.setOption('SO_LINGER', { onoff: true, linger: 0 });
  const linger = client.getOption('SO_LINGER');
  const closedAt = process.hrtime.bigint();
  client.close(); // linger {on, 0}: abort, RST
  const r = (await thread.next(WAIT_MS, 'the blocked recv to return')) as {
    blockedRecv: number;
    at: bigint;
    secondRecv: number;
    send: number;
  };
  let ownRecvAfterClose = 'no error';
  try {
    client.recv(Buffer.alloc(1));
  } catch (e) {
    ownRecvAfterClose = e instanceof SocketError ? e.code : String(e);
  }
  const result: LingerReset = {
    linger,
    where,
    blockedRecv: r.blockedRecv,
    msAfterClose: Number(r.at - closedAt) / 1e6,
    secondRecv: r.secondRecv,
    send: r.send,
    state: tcpState(server),
    ownRecvAfterClose,
  };
  claims.check(
    '[linger 0] SO_LINGER reads back {onoff: true, linger: 0} before close',
    linger.onoff && linger.linger === 0,
    `{onoff: ${linger.onoff}, linger: ${linger.linger}}`,
  );
  claims.check(
    '[linger 0] the reader thread was asleep inside recvfrom when the peer closed',
    where.state === 'S' && where.syscall?.name === 'recvfrom' && where.syscall.fd === server.fd,
    `state ${where.state}, ${where.syscall?.name}(${where.syscall?.fd})`,
  );
  if (where.stack)
    claims.check(
      '[linger 0] its kernel stack waits for data (sk_wait_data / wait_woken)',
      where.stack.includes('sk_wait_data') || where.stack.includes('wait_woken'),
      where.stack.slice(0, 4).join(' ← '),
    );
  else note(`kernel stack not shown: ${where.unavailable.find((u) => u.startsWith('stack')) ?? 'unreadable'}`);
  claims.check(
    '[linger 0] the blocked recv returns -ECONNRESET (not 0: no FIN was sent)',
    result.blockedRecv === -c.ECONNRESET,
    `${rawResult(result.blockedRecv)}, ${result.msAfterClose.toFixed(2)} ms after close`,
  );
  claims.check(
    '[linger 0] the reset is reported once: the next recv returns 0',
    result.secondRecv === 0,
    rawResult(result.secondRecv),
  );
  claims.check('[linger 0] then send gives -EPIPE', result.send === -c.EPIPE, rawResult(result.send));
  claims.equal(
    '[linger 0] the closer itself: recv on its closed Socket gives EBADF (refused without a syscall)',
    ownRecvAfterClose,
    'EBADF',
  );
  return result;
}

/** A connection whose server side closes with `MESSAGE` unread; resolves once the RST arrived. */
async function resetByUnreadData(scope: Scope): Promise<{ client: Socket; unread: number }> {
  const { client, server } = tcpConnection(scope);
  client.send(MESSAGE);
  await waitFor(() => server.recvQueue() === MESSAGE.length, WAIT_MS, 'the data in the server Recv-Q');
  const unread = server.recvQueue();
  server.close(); // data unread: RST, not FIN
  await waitForTcpState(client, 'CLOSE', WAIT_MS);
  return { client, unread };
}

async function unreadDataReset(claims: Claims, scope: Scope) {
  const buf = Buffer.alloc(64);
  const first = await resetByUnreadData(scope);
  const state = tcpState(first.client);
  const revents = first.client.poll(c.POLLIN, 0);
  const recvFirst = {
    recv: sys.recv(first.client.fd, buf, 0, buf.length, DONTWAIT),
    recvAgain: sys.recv(first.client.fd, buf, 0, buf.length, DONTWAIT),
    send: sys.send(first.client.fd, buf, 0, 1, c.MSG_NOSIGNAL!),
  };
  const second = await resetByUnreadData(scope);
  const sendFirst = {
    send: sys.send(second.client.fd, buf, 0, 1, c.MSG_NOSIGNAL!),
    recv: sys.recv(second.client.fd, buf, 0, buf.length, DONTWAIT),
  };
  const result: UnreadDataReset = {
    unread: first.unread,
    state,
    revents: pollNames(revents),
    recvFirst,
    sendFirst,
  };
  claims.check(
    '[unread data] a close with unread data in the receive buffer sends RST: the peer goes straight to CLOSE',
    first.unread === MESSAGE.length && state === 'CLOSE',
    `${first.unread} bytes unread; peer state ${state}`,
  );
  claims.check(
    "[unread data] the peer's recv gives -ECONNRESET, then 0, then send -EPIPE",
    recvFirst.recv === -c.ECONNRESET && recvFirst.recvAgain === 0 && recvFirst.send === -c.EPIPE,
    `${rawResult(recvFirst.recv)}, ${rawResult(recvFirst.recvAgain)}, ${rawResult(recvFirst.send)}`,
  );
  claims.check(
    '[unread data] whichever call comes first gets the reset: a send first gives -ECONNRESET, then recv 0',
    sendFirst.send === -c.ECONNRESET && sendFirst.recv === 0,
    `${rawResult(sendFirst.send)}, ${rawResult(sendFirst.recv)}`,
  );
  return result;
}

/** E14: the experiment. */
export const connectionReset = defineExperiment<ConnectionResetData>(
  {
    id: 'E14',
    slug: 'connection-reset',
    title: 'RST instead of FIN: SO_LINGER 0, and close with unread data',
    shows:
      'SO_LINGER {on, 0} close: recv -ECONNRESET, then 0, then send -EPIPE; closing with unread data also resets: -ECONNRESET',
    seeds: '002',
  },
  async ({ claims, scope, note, headline }) => {
    const linger = await lingerReset(claims, scope, note);
    const unreadData = await unreadDataReset(claims, scope);
    headline(
      `linger 0: blocked recv ${rawResult(linger.blockedRecv)} after ${linger.msAfterClose.toFixed(2)} ms, ` +
        `then ${linger.secondRecv}, then ${rawResult(linger.send)}; unread data: ${rawResult(unreadData.recvFirst.recv)}`,
    );
    return { linger, unreadData };
  },
);
