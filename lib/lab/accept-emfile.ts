/**
 * E21 accept-emfile: accept when the process is out of file descriptors. Seed 001 ("accept返回
 * EMFILE的处理方法", the reserve-fd trick).
 *
 * A child process runs under `prlimit --nofile=64:64` (RLIMIT_NOFILE 64, soft and hard) and is
 * handed our nonblocking listener. It keeps one spare fd (a dup of the listener), then dups the
 * listener with fcntl(F_DUPFD) until that fails with EMFILE: every fd slot below the limit is in
 * use. We connect three clients; the handshakes complete in the kernel, so each client's connect
 * returns 0. In the child, accept now fails with -EMFILE and the connection stays queued: the
 * listener stays readable, so a poll/accept loop spins — poll returns POLLIN at once, accept fails,
 * again and again (the busy-loop trap, counted in a loop bounded in count and time). The reserve-fd
 * trick drains the queue: close the spare, accept (now there is a free slot), close the accepted
 * connection (the client sees end of stream), reopen the spare. Afterwards the listener is no
 * longer readable and the accept queue, read from the outside with TCP_INFO, is empty.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { constants as c } from '../constants.js';
import type { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { startChild, type ChildBody, type ChildExit } from './child.js';
import { defineExperiment } from './define.js';
import { pollNames, rawResult, tcpSocket, tcpState } from './group-c.js';
import { tcpListener } from './loopback.js';

/** The fd exhaustion in the child. */
export interface Exhaustion {
  /** The spare fd the child reserved (a dup of the listener) before filling the table. */
  spare: number;
  /** RLIMIT_NOFILE (soft) of the child, from /proc/<pid>/limits. */
  limit: number;
  /**
   * The child's fds below the limit before it started dup'ing (Node's own, stdio, IPC, the
   * listener, the spare), from /proc/<pid>/fd: openBefore + dups == limit.
   */
  openBefore: number;
  /** How many F_DUPFD calls succeeded before one failed. */
  dups: number;
  /** What the failing F_DUPFD returned: -EMFILE. */
  dupResult: number;
  /** fds of the child below the limit, counted in /proc/<pid>/fd once it was full: == limit. */
  slotsInUse: number;
}

/** The busy loop: poll(POLLIN) then accept, again and again, bounded. */
export interface BusyLoop {
  /** The first accept: -EMFILE. */
  firstAccept: number;
  /** Iterations run (bounded by `maxIterations` and `maxMs`). */
  iterations: number;
  /** The loop's bounds: at most this many iterations … */
  maxIterations: number;
  /** … and at most this many ms. */
  maxMs: number;
  /** How many polls reported POLLIN (all of them: the queue never drains). */
  pollReady: number;
  /** How many accepts failed with EMFILE (all of them). */
  emfile: number;
  /** The poll timeout each call was given, ms: none of them waited. */
  pollTimeoutMs: number;
  /** The longest single poll, ms. */
  maxPollMs: number;
  /** The whole loop, ms. */
  totalMs: number;
}

/** One round of the reserve-fd trick. */
export interface ReserveRound {
  /** accept before the trick: -EMFILE. */
  accept: number;
  /** close(spare): 0. */
  closeSpare: number;
  /** accept with one slot free: an fd (≥ 0). */
  acceptWithSlot: number;
  /** close of the accepted fd: 0. */
  closeAccepted: number;
  /** The spare reopened (F_DUPFD): an fd (≥ 0). */
  reopenSpare: number;
}

/** What E21 returns. */
export interface AcceptEmfileData {
  /** The prefix command the child ran under. */
  prefix: string[];
  exhaustion: Exhaustion;
  /** Clients connected while the child was out of fds. */
  clients: number;
  /** connect's result for each client: 0 (the kernel completes the handshake without accept). */
  connects: number[];
  /** The accept queue length while the child spun (TCP_INFO of the listener, tcpi_unacked). */
  queuedDuringBusyLoop: number;
  /** The clients' TCP state while queued: ESTABLISHED. */
  clientStatesWhileQueued: string[];
  busy: BusyLoop;
  /** The drain with the reserve-fd trick, one round per queued connection. */
  rounds: ReserveRound[];
  /** poll(POLLIN, 0) on the listener in the child after the drain: 0. */
  reventsAfterDrain: string;
  /** The accept queue length after the drain: 0. */
  queuedAfterDrain: number;
  /** Each client's recv after the drain: 0 (the child closed the accepted connection); null if never readable. */
  clientRecvs: (number | null)[];
  /** How the child ended. */
  exit: ChildExit;
}

const WAIT_MS = 5000;
const LIMIT = 64;
const CLIENTS = 3;
const BUSY_ITERATIONS = 1000;
const BUSY_MS = 250;
const POLL_TIMEOUT_MS = 2000;

interface ChildArg {
  maxDups: number;
  busyIterations: number;
  busyMs: number;
  pollTimeoutMs: number;
  waitMs: number;
  maxRounds: number;
}

interface ChildResult {
  firstAccept: number;
  busy: Omit<BusyLoop, 'firstAccept' | 'maxIterations' | 'maxMs' | 'pollTimeoutMs'>;
  rounds: ReserveRound[];
  reventsAfterDrain: number;
}

/**
 * The child (self-contained), given the listener as fd io.fds[0]: reserve a spare, exhaust the
 * fd table, then (once the parent has connected) show the busy loop and drain with the trick.
 */
const emfileChild: ChildBody<ChildArg, ChildResult> = async (sys, arg, io) => {
  const k = sys.constants;
  const lfd = io.fds[0]!;
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  // One struct pollfd for the listener, native byte order.
  const pl = sys.layouts.pollfd!;
  const pfd = new ArrayBuffer(pl.size);
  new Int32Array(pfd, pl.fields.fd![0], 1)[0] = lfd;
  new Int16Array(pfd, pl.fields.events![0], 1)[0] = k.POLLIN!;
  const revents = new Int16Array(pfd, pl.fields.revents![0], 1);
  const pollIn = (timeout: number): number => {
    revents[0] = 0;
    const n = sys.poll(new Uint8Array(pfd), 1, timeout);
    return n > 0 ? revents[0]! : n;
  };

  let spare = sys.fcntl(lfd, k.F_DUPFD!, 0);
  if (spare < 0) throw new Error(`no spare fd: ${spare}`);
  io.post({ phase: 'spare', spare });
  await io.next(arg.waitMs, 'the parent counting fds');
  let dups = 0;
  let dupResult = 0;
  for (; dups < arg.maxDups; dups++) {
    dupResult = sys.fcntl(lfd, k.F_DUPFD!, 0);
    if (dupResult < 0) break;
  }
  io.post({ phase: 'full', dups, dupResult });
  await io.next(arg.waitMs, 'the clients connected');

  pollIn(arg.waitMs);
  const firstAccept = sys.accept(lfd, null);
  const busy = { iterations: 0, pollReady: 0, emfile: 0, maxPollMs: 0, totalMs: 0 };
  const start = now();
  while (busy.iterations < arg.busyIterations && now() - start < arg.busyMs) {
    const t = now();
    const r = pollIn(arg.pollTimeoutMs);
    busy.maxPollMs = Math.max(busy.maxPollMs, now() - t);
    if (r > 0 && (r & k.POLLIN!) !== 0) busy.pollReady++;
    const a = sys.accept(lfd, null);
    busy.iterations++;
    if (a === -k.EMFILE!) busy.emfile++;
    else if (a >= 0) {
      sys.close(a);
      break;
    }
  }
  busy.totalMs = now() - start;
  io.post({ phase: 'busy' });
  await io.next(arg.waitMs, 'the go to drain');

  const rounds = [];
  for (let i = 0; i < arg.maxRounds && (pollIn(0) & k.POLLIN!) !== 0; i++) {
    const accept = sys.accept(lfd, null);
    if (accept >= 0) {
      sys.close(accept);
      break;
    }
    const closeSpare = sys.close(spare);
    const acceptWithSlot = sys.accept(lfd, null);
    const closeAccepted = acceptWithSlot >= 0 ? sys.close(acceptWithSlot) : acceptWithSlot;
    spare = sys.fcntl(lfd, k.F_DUPFD!, 0);
    rounds.push({ accept, closeSpare, acceptWithSlot, closeAccepted, reopenSpare: spare });
    if (spare < 0) break;
  }
  return { firstAccept, busy, rounds, reventsAfterDrain: pollIn(0) };
};

/** The soft RLIMIT_NOFILE of process `pid`, from /proc/<pid>/limits. */
function nofileLimit(pid: number): number {
  const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const soft = Number(line?.trim().split(/\s+/)[3]);
  if (!Number.isInteger(soft)) throw new Error(`cannot read RLIMIT_NOFILE of ${pid}: ${line}`);
  return soft;
}

/** The open fd numbers of process `pid` below `limit`. */
function fdsBelow(pid: number, limit: number): number {
  return readdirSync(`/proc/${pid}/fd`).filter((name) => Number(name) < limit).length;
}

/** The accept queue length of a listener: TCP_INFO tcpi_unacked holds sk_ack_backlog for LISTEN. */
function acceptQueue(listener: Socket): number {
  return listener.tcpInfo().unacked;
}

/** E21: the experiment. */
export const acceptEmfile = defineExperiment<AcceptEmfileData>(
  {
    id: 'E21',
    slug: 'accept-emfile',
    title: 'accept when the process is out of fds: EMFILE, the busy loop, the reserve fd',
    shows:
      'with RLIMIT_NOFILE exhausted accept gives -EMFILE and the connection stays queued (listener stays readable: a busy loop); the reserve-fd trick drains it',
    seeds: '001',
  },
  async ({ claims, scope, progress, headline }) => {
    const { socket: listener, address } = tcpListener(scope, { backlog: 16 });
    // Nonblocking, so no accept in the child can ever block (the flag is on the shared open file
    // description: the child's copy has it too).
    listener.setNonBlocking(true);
    const prefix = ['prlimit', `--nofile=${LIMIT}:${LIMIT}`, '--'];
    progress(`starting a child under ${prefix.join(' ')}`);
    const child = await startChild(
      scope,
      emfileChild,
      {
        maxDups: LIMIT * 4, // more than the limit allows: the loop ends at EMFILE, well before this
        busyIterations: BUSY_ITERATIONS,
        busyMs: BUSY_MS,
        pollTimeoutMs: POLL_TIMEOUT_MS,
        waitMs: WAIT_MS,
        maxRounds: CLIENTS + 2,
      },
      { prefix, fds: [listener.fd] },
    );
    const limit = nofileLimit(child.pid);
    const { spare } = (await child.next(WAIT_MS, 'the spare fd')) as { spare: number };
    const openBefore = fdsBelow(child.pid, limit);
    child.send('counted');
    const full = (await child.next(WAIT_MS, 'the fd table full')) as { dups: number; dupResult: number };
    const slotsInUse = fdsBelow(child.pid, limit);
    const exhaustion: Exhaustion = { spare, limit, openBefore, dups: full.dups, dupResult: full.dupResult, slotsInUse };
    claims.check(
      `the child runs with RLIMIT_NOFILE ${LIMIT} (prlimit), and F_DUPFD fails with -EMFILE once every slot below it is in use`,
      limit === LIMIT && full.dupResult === -c.EMFILE && slotsInUse === limit && openBefore + full.dups === limit,
      `limit ${limit}; ${openBefore} open + ${full.dups} dups, then ${rawResult(full.dupResult)}; ` +
        `${slotsInUse} of ${limit} slots in use`,
    );

    // Connect while the child cannot accept: the kernel completes the handshakes anyway.
    const clients = Array.from({ length: CLIENTS }, () => tcpSocket(scope));
    const connects = clients.map((s) => sys.connect(s.fd, address as sys.RawAddress));
    for (const s of clients) s.setOption('SO_RCVTIMEO', WAIT_MS); // bounds the recvs below
    child.send('connected');
    await child.next(WAIT_MS, 'the busy loop');
    const queuedDuringBusyLoop = acceptQueue(listener);
    const clientStatesWhileQueued = clients.map(tcpState);
    progress('draining with the reserve-fd trick');
    child.send('drain');
    const result = await child.done;
    const exit = await child.waitExit(WAIT_MS);
    const queuedAfterDrain = acceptQueue(listener);
    const clientRecvs = clients.map((s) => {
      const revents = s.poll(c.POLLIN, WAIT_MS);
      return (revents & c.POLLIN) !== 0 ? sys.recv(s.fd, Buffer.alloc(16), 0, 16, c.MSG_DONTWAIT!) : null;
    });

    const busy: BusyLoop = {
      firstAccept: result.firstAccept,
      ...result.busy,
      maxIterations: BUSY_ITERATIONS,
      maxMs: BUSY_MS,
      pollTimeoutMs: POLL_TIMEOUT_MS,
    };
    claims.check(
      'connect returns 0 for every client although nobody can accept (the handshake completes in the kernel)',
      connects.every((r) => r === 0) && clientStatesWhileQueued.every((s) => s === 'ESTABLISHED'),
      `connect ${connects.join(', ')}; clients ${clientStatesWhileQueued.join(', ')}`,
    );
    claims.check('accept in the child gives -EMFILE', busy.firstAccept === -c.EMFILE, rawResult(busy.firstAccept));
    claims.check(
      'the connections stay queued: the accept queue (TCP_INFO of the listener) still holds every client',
      queuedDuringBusyLoop === CLIENTS,
      `${queuedDuringBusyLoop} queued`,
    );
    claims.check(
      'the busy-loop trap: every poll reports POLLIN at once and every accept fails with EMFILE',
      busy.iterations > 1 && busy.pollReady === busy.iterations && busy.emfile === busy.iterations,
      `${busy.iterations} iterations in ${busy.totalMs.toFixed(1)} ms: ${busy.pollReady} POLLIN, ${busy.emfile} EMFILE`,
    );
    claims.check(
      `no poll waited: the longest took far less than its ${POLL_TIMEOUT_MS} ms timeout`,
      busy.maxPollMs * 10 < POLL_TIMEOUT_MS,
      `longest poll ${busy.maxPollMs.toFixed(3)} ms`,
    );
    const trickWorked = result.rounds.every(
      (r) =>
        r.accept === -c.EMFILE &&
        r.closeSpare === 0 &&
        r.acceptWithSlot >= 0 &&
        r.closeAccepted === 0 &&
        r.reopenSpare >= 0,
    );
    claims.check(
      'the reserve-fd trick (close the spare, accept, close, reopen the spare) takes each queued connection',
      result.rounds.length === CLIENTS && trickWorked,
      `${result.rounds.length} rounds: ` +
        result.rounds
          .map(
            (r) =>
              `accept ${rawResult(r.accept)} → close spare → accept ${r.acceptWithSlot} → close → spare ${r.reopenSpare}`,
          )
          .join('; '),
    );
    claims.check(
      'after the drain the listener is no longer readable and the accept queue is empty',
      result.reventsAfterDrain === 0 && queuedAfterDrain === 0,
      `poll ${pollNames(result.reventsAfterDrain)}, ${queuedAfterDrain} queued`,
    );
    claims.check(
      'each client sees end of stream (recv 0): its connection was accepted and closed',
      clientRecvs.every((r) => r === 0),
      clientRecvs.map((r) => (r === null ? 'not readable' : rawResult(r))).join(', '),
    );

    headline(
      `accept -EMFILE; ${busy.iterations} poll/accept spins in ${busy.totalMs.toFixed(1)} ms; ` +
        `reserve fd drained ${result.rounds.length} of ${CLIENTS}`,
    );
    return {
      prefix,
      exhaustion,
      clients: CLIENTS,
      connects,
      queuedDuringBusyLoop,
      clientStatesWhileQueued,
      busy,
      rounds: result.rounds,
      reventsAfterDrain: pollNames(result.reventsAfterDrain),
      queuedAfterDrain,
      clientRecvs,
      exit,
    };
  },
);
