/**
 * E12 peer-close: how the other side going away is detected when the peer *process* dies, even
 * by `kill -9`. Seeds 003 §01 (Ctrl-C and kill -9 of client and server), 004.
 *
 * A child process connects three times to a listener of ours and then idles. We hold the three
 * accepted ends:
 * - A: a worker thread blocks in recv on it — proven asleep inside recvfrom on that fd from
 *   /proc (and, as root, its kernel stack) right before the kill;
 * - B: nobody reads it;
 * - C: we will send on it.
 * Then the child is killed with SIGKILL. It never runs close(), yet the kernel closes its fds as
 * the process dies, and closing a TCP socket sends FIN. The blocked recv on A returns 0 at once.
 * B moves to CLOSE_WAIT inside the kernel, but the program learns nothing until its next recv,
 * which returns 0. On C the next send *succeeds* (the seed's "send message successfully"), the
 * dead peer's kernel answers the data with RST, a recv returns 0 (the seed's "empty reply"), and
 * only the send after that fails, with EPIPE.
 * @module
 */
import { constants as os } from 'node:os';
import { constants as c } from '../constants.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { startChild, type ChildBody, type ChildExit } from './child.js';
import { defineExperiment } from './define.js';
import { acceptWithin, pollNames, rawResult, tcpState, waitForTcpState } from './group-c.js';
import { tcpListener } from './loopback.js';
import { startThread, type ThreadBody } from './thread.js';
import { waitUntilAsleepIn, whereIs, type ThreadWhere } from './where.js';

/** The blocked reader (connection A). */
export interface BlockedReader {
  /** Where the thread was, read from /proc just before the kill. */
  whereBeforeKill: ThreadWhere;
  /** How long it had been seen asleep in recvfrom before the kill, ms. */
  asleepMsBeforeKill: number;
  /** What its recv returned (0: end of stream). */
  returned: number;
  /** Time from the kill(2) call to the recv returning, ms (the thread's own clock reading). */
  msAfterKill: number;
}

/** The side nobody reads (connection B). */
export interface IdleSide {
  /** TCP state before the kill. */
  stateBefore: string;
  /** TCP state after the kill, before the program made any call on it. */
  stateAfterKill: string;
  /** poll(POLLIN|POLLRDHUP, 0) after the kill: readiness the program could have asked for. */
  revents: string;
  /** Its next recv: 0. */
  recv: number;
}

/** The side that sends next (connection C). */
export interface SendingSide {
  /** TCP state before the kill, and after it, before the program made any call on it. */
  stateBefore: string;
  stateAfterKill: string;
  /** The first send after the kill: accepted (bytes). */
  firstSend: number;
  /** The state once the peer's kernel answered that data: CLOSE (a RST arrived). */
  stateAfterAnswer: string;
  /** recv after that: 0 (the FIN came first; the pending error is left for the next send). */
  recv: number;
  /** The send after that: -EPIPE. */
  secondSend: number;
}

/** What E12 returns. */
export interface PeerCloseData {
  /** The child that was killed, and how it ended. */
  child: { pid: number; exit: ChildExit };
  /** os.constants.signals.SIGKILL (9 on Linux). */
  sigkill: number;
  blocked: BlockedReader;
  idle: IdleSide;
  sending: SendingSide;
}

const WAIT_MS = 5000;
const MESSAGE = 'helloworld';

interface PeerArg {
  port: number;
  count: number;
}

/**
 * The peer process (self-contained): connects `count` times to 127.0.0.1:port, reports its local
 * ports, then idles until it is killed (bounded: it gives up after 20 s).
 */
const peer: ChildBody<PeerArg, string> = async (sys, arg, io) => {
  const k = sys.constants;
  const ports: number[] = [];
  for (let i = 0; i < arg.count; i++) {
    const fd = sys.socket(k.AF_INET!, k.SOCK_STREAM!, 0);
    if (fd < 0) throw new Error(`socket: ${fd}`);
    const r = sys.connect(fd, { family: k.AF_INET!, address: '127.0.0.1', port: arg.port });
    if (r < 0) throw new Error(`connect: ${r}`);
    const local: { family: number; port?: number } = { family: 0 };
    sys.getsockname(fd, local);
    ports.push(local.port!);
  }
  io.post({ ports });
  await io.next(20_000, 'the kill that never came');
  return 'not killed';
};

interface ReaderArg {
  fd: number;
}

/** The blocked reader (worker thread; self-contained): one blocking recv, and when it returned. */
const reader: ThreadBody<ReaderArg, void> = (sys, arg, post) => {
  const buf = Buffer.alloc(64);
  const returned = sys.recv(arg.fd, buf, 0, buf.length, 0);
  post({ returned, at: process.hrtime.bigint() });
};

/** E12: the experiment. */
export const peerClose = defineExperiment<PeerCloseData>(
  {
    id: 'E12',
    slug: 'peer-close',
    title: 'A peer process killed with SIGKILL still closes its connections',
    shows:
      'kill -9 of the peer sends FIN: a blocked recv returns 0 at once; a side not reading learns it at its next recv/send',
    seeds: '003 §01, 004',
  },
  async ({ claims, scope, note, headline, progress }) => {
    const { socket: listener, address } = tcpListener(scope);
    progress('starting the peer process');
    const child = await startChild(scope, peer, { port: address.port, count: 3 });
    const { ports } = (await child.next(WAIT_MS, 'the peer connected')) as { ports: number[] };

    // Accept the three connections and put them in the peer's order (A, B, C).
    const accepted = new Map<number, Socket>();
    for (let i = 0; i < ports.length; i++) {
      const s = acceptWithin(scope, listener, WAIT_MS);
      accepted.set((s.getpeername() as { port: number }).port, s);
    }
    const [a, b, cc] = ports.map((p) => accepted.get(p));
    if (!a || !b || !cc) throw new Error(`accepted ${[...accepted.keys()]} but the peer connected from ${ports}`);
    // Bound every recv the main thread makes, in case the kernel behaves otherwise than claimed.
    b.setOption('SO_RCVTIMEO', WAIT_MS);
    cc.setOption('SO_RCVTIMEO', WAIT_MS);

    // A: a thread asleep in recv.
    const thread = await startThread(reader, { fd: a.fd });
    scope.defer(async () => {
      // If the recv is still blocked (the kill did not end it), shutdown wakes it; then join.
      if (!a.closed) sys.shutdown(a.fd, c.SHUT_RDWR);
      await thread.stop(2000);
    });
    await waitUntilAsleepIn(thread.tid, 'recvfrom', a.fd, WAIT_MS);
    const seenAt = performance.now();
    const idleBefore = tcpState(b);
    const sendingBefore = tcpState(cc);

    // Last look at the thread, then the kill. Nothing happens in between but reading the clock.
    const whereBeforeKill = whereIs(thread.tid);
    const asleepMsBeforeKill = performance.now() - seenAt;
    const killAt = process.hrtime.bigint();
    child.kill('SIGKILL');
    const woke = (await thread.next(WAIT_MS, 'the blocked recv to return')) as { returned: number; at: bigint };
    const msAfterKill = Number(woke.at - killAt) / 1e6;
    const exit = await child.waitExit(WAIT_MS);

    claims.check(
      'the peer process died of SIGKILL (it never called close itself)',
      exit.signal === 'SIGKILL' && exit.code === null,
      exit.signal ?? `exit code ${exit.code}`,
    );
    claims.check(
      'before the kill, the reader thread was asleep inside recvfrom on its fd',
      whereBeforeKill.state === 'S' &&
        whereBeforeKill.syscall?.name === 'recvfrom' &&
        whereBeforeKill.syscall.fd === a.fd,
      `state ${whereBeforeKill.state}, ${whereBeforeKill.syscall?.name}(${whereBeforeKill.syscall?.fd})` +
        `${whereBeforeKill.wchan ? `, wchan ${whereBeforeKill.wchan}` : ''}`,
    );
    const stack = whereBeforeKill.stack;
    if (stack)
      claims.check(
        'its kernel stack waits for data (sk_wait_data / wait_woken)',
        stack.includes('sk_wait_data') || stack.includes('wait_woken'),
        stack.slice(0, 4).join(' ← '),
      );
    else
      note(`kernel stack not shown: ${whereBeforeKill.unavailable.find((u) => u.startsWith('stack')) ?? 'unreadable'}`);
    claims.equal('the blocked recv returned 0 (end of stream: a FIN, not an error)', woke.returned, 0);
    claims.check(
      'it returned at once after the kill (well under a second)',
      msAfterKill >= 0 && msAfterKill < 1000,
      `${msAfterKill.toFixed(2)} ms after kill(2)`,
    );

    // B: the kernel knows; the program has not been told anything yet.
    await waitForTcpState(b, 'CLOSE_WAIT', WAIT_MS);
    const idleAfter = tcpState(b);
    const revents = b.poll(c.POLLIN | (c.POLLRDHUP ?? 0), 0);
    const idleRecv = b.recv(Buffer.alloc(64));
    claims.check(
      'the side nobody reads: the kernel moved it to CLOSE_WAIT (the FIN arrived) with no call from the program',
      idleBefore === 'ESTABLISHED' && idleAfter === 'CLOSE_WAIT',
      `${idleBefore} → ${idleAfter}`,
    );
    claims.equal('its next recv returns 0 — only now does the program learn the peer is gone', idleRecv, 0);

    // C: the next send succeeds; the dead peer's kernel answers it with RST.
    await waitForTcpState(cc, 'CLOSE_WAIT', WAIT_MS);
    const sendingAfterKill = tcpState(cc);
    const payload = Buffer.from(MESSAGE);
    const firstSend = cc.send(payload, c.MSG_NOSIGNAL!);
    await waitForTcpState(cc, 'CLOSE', WAIT_MS);
    const stateAfterAnswer = tcpState(cc);
    const sendingRecv = cc.recv(Buffer.alloc(64));
    const secondSend = sys.send(cc.fd, payload, 0, payload.length, c.MSG_NOSIGNAL!);
    claims.equal(
      'the side that sends: its first send after the peer died succeeds (the bytes are accepted)',
      firstSend,
      payload.length,
    );
    claims.equal('the dead peer answers that data with RST (our socket goes to CLOSE)', stateAfterAnswer, 'CLOSE');
    claims.equal('a recv then returns 0 (the FIN came before the RST)', sendingRecv, 0);
    claims.check('the send after that fails: -EPIPE', secondSend === -c.EPIPE, rawResult(secondSend));

    headline(
      `blocked recv → 0 ${msAfterKill.toFixed(1)} ms after kill -9; idle side learns at next recv (0); ` +
        `sender: send ok, then EPIPE`,
    );
    return {
      child: { pid: child.pid, exit },
      sigkill: os.signals.SIGKILL,
      blocked: { whereBeforeKill, asleepMsBeforeKill, returned: woke.returned, msAfterKill },
      idle: { stateBefore: idleBefore, stateAfterKill: idleAfter, revents: pollNames(revents), recv: idleRecv },
      sending: {
        stateBefore: sendingBefore,
        stateAfterKill: sendingAfterKill,
        firstSend,
        stateAfterAnswer,
        recv: sendingRecv,
        secondSend,
      },
    };
  },
);
