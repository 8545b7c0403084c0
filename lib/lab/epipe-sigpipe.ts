/**
 * E13 epipe-sigpipe: writing to a connection the peer has closed. Seeds 001 (SIGPIPE and EPIPE),
 * 004 (the server process dies, the client keeps sending).
 *
 * After the peer closed, the first send still succeeds: our side only knows that the peer will
 * send nothing more (a FIN), not that it will read nothing more. The peer's kernel answers the
 * data with RST, and the next send fails with EPIPE — and raises SIGPIPE, whose default action
 * kills the process. Node ignores SIGPIPE (it sets SIG_IGN at startup, visible in
 * /proc/self/status), so in Node the send just returns -EPIPE, with or without MSG_NOSIGNAL.
 * To see the classic death, a child process restores SIGPIPE's default with
 * `sys.signal(SIGPIPE, 'default')` (sigaction SIG_DFL) and makes the same sends: it dies of
 * signal 13. A control child that keeps Node's disposition survives with -EPIPE.
 * Also: a TCP socket that never connected gives -EPIPE on send and -ENOTCONN on recv.
 * @module
 */
import { constants as os } from 'node:os';
import { constants as c } from '../constants.js';
import * as sys from '../sys.js';
import { startChild, type ChildBody, type ChildExit } from './child.js';
import { defineExperiment } from './define.js';
import {
  acceptWithin,
  pollNames,
  rawResult,
  signalDisposition,
  tcpSocket,
  tcpState,
  waitForTcpState,
  type SignalDisposition,
} from './group-c.js';
import { tcpConnection, tcpListener } from './loopback.js';
import type { Scope } from './scope.js';

/** The sequence in this (Node) process. */
export interface InProcessRun {
  /** SIGPIPE's disposition in this process (/proc/self/status): 'ignored', as Node sets it. */
  sigpipe: SignalDisposition;
  /** State after the peer closed (FIN received): CLOSE_WAIT. */
  stateAfterFin: string;
  /** First send after the peer closed (MSG_NOSIGNAL): bytes accepted. */
  firstSend: number;
  /** State once the peer's RST arrived: CLOSE. */
  stateAfterRst: string;
  /** poll(POLLOUT, 0) after the RST. */
  revents: string;
  /** The next send with MSG_NOSIGNAL: -EPIPE. */
  secondSendNoSignal: number;
  /** One more send without MSG_NOSIGNAL: -EPIPE too, and the process lives on. */
  thirdSendPlain: number;
}

/** The sequence in a child process. */
export interface ChildRun {
  /** Whether the child restored SIGPIPE's default (sigaction SIG_DFL) before sending. */
  restoredDefault: boolean;
  /** sys.signal's result (0), or null when the child kept Node's disposition. */
  signalResult: number | null;
  /** SIGPIPE's disposition in the child, from /proc/<pid>/status, before and after the restore. */
  sigpipeBefore: SignalDisposition;
  sigpipeAfter: SignalDisposition;
  /** The child's first send after the peer closed (flags 0): bytes accepted. */
  firstSend: number;
  /** poll(0 events) in the child once the RST arrived: POLLERR|POLLHUP. */
  revents: string;
  /** The second send (flags 0), when the child lived to report it: -EPIPE. */
  secondSend: number | null;
  /** How the child ended. */
  exit: ChildExit;
  /** The number of the signal that killed it, from os.constants.signals (13 for SIGPIPE). */
  signalNumber: number | null;
}

/** What E13 returns. */
export interface EpipeSigpipeData {
  /** os.constants.signals.SIGPIPE. */
  sigpipe: number;
  inProcess: InProcessRun;
  /** The child with SIGPIPE at its default disposition. */
  defaultChild: ChildRun;
  /** The control child that keeps Node's SIG_IGN. */
  ignoringChild: ChildRun;
  /** A TCP socket that never connected. */
  neverConnected: { send: number; recv: number };
}

const WAIT_MS = 5000;
const MESSAGE = 'helloworld';

interface SenderArg {
  port: number;
  restore: boolean;
  sigpipe: number;
  message: string;
  waitMs: number;
}

/**
 * The child (self-contained): connects, waits for the parent to close its side, optionally
 * restores SIGPIPE's default, sends once (accepted), waits for the RST, then sends again with
 * flags 0 — the send that raises SIGPIPE.
 */
const sender: ChildBody<SenderArg, { second: number }> = async (sys, arg, io) => {
  const k = sys.constants;
  const fd = sys.socket(k.AF_INET!, k.SOCK_STREAM!, 0);
  if (sys.connect(fd, { family: k.AF_INET!, address: '127.0.0.1', port: arg.port }) !== 0)
    throw new Error('connect failed');
  const local: { family: number; port?: number } = { family: 0 };
  sys.getsockname(fd, local);
  io.post({ port: local.port });
  await io.next(arg.waitMs, 'the parent to close its side');
  const signalResult = arg.restore ? sys.signal(arg.sigpipe, 'default') : null;
  // One struct pollfd, laid out as the addon's headers say; typed arrays keep native byte order.
  const pl = sys.layouts.pollfd!;
  const pfd = new ArrayBuffer(pl.size);
  const pfdFd = new Int32Array(pfd, pl.fields.fd![0], 1);
  const pfdEvents = new Int16Array(pfd, pl.fields.events![0], 1);
  const pfdRevents = new Int16Array(pfd, pl.fields.revents![0], 1);
  const pollFor = (events: number): number => {
    pfdFd[0] = fd;
    pfdEvents[0] = events;
    pfdRevents[0] = 0;
    const n = sys.poll(new Uint8Array(pfd), 1, arg.waitMs);
    return n > 0 ? pfdRevents[0]! : n;
  };
  pollFor(k.POLLIN! | k.POLLRDHUP!); // the FIN has arrived
  const bytes = Buffer.from(arg.message);
  const first = sys.send(fd, bytes, 0, bytes.length, 0);
  const revents = pollFor(0); // only POLLERR/POLLHUP can wake this: the peer's RST
  io.post({ signalResult, first, revents });
  await io.next(arg.waitMs, 'the go for the second send');
  const second = sys.send(fd, bytes, 0, bytes.length, 0);
  return { second };
};

async function childRun(scope: Scope, restore: boolean): Promise<ChildRun> {
  const { socket: listener, address } = tcpListener(scope);
  const sigpipe = os.signals.SIGPIPE;
  const child = await startChild(scope, sender, {
    port: address.port,
    restore,
    sigpipe,
    message: MESSAGE,
    waitMs: WAIT_MS,
  });
  await child.next(WAIT_MS, 'the child connected');
  const peer = acceptWithin(scope, listener, WAIT_MS);
  const sigpipeBefore = signalDisposition(sigpipe, child.pid);
  peer.close(); // nothing unread: an orderly close, FIN
  child.send('closed');
  const report = (await child.next(WAIT_MS, 'the first send')) as {
    signalResult: number | null;
    first: number;
    revents: number;
  };
  const sigpipeAfter = signalDisposition(sigpipe, child.pid);
  child.send('go');
  const exit = await child.waitExit(WAIT_MS);
  const result = exit.code === 0 ? await child.done : null;
  return {
    restoredDefault: restore,
    signalResult: report.signalResult,
    sigpipeBefore,
    sigpipeAfter,
    firstSend: report.first,
    revents: report.revents < 0 ? rawResult(report.revents) : pollNames(report.revents),
    secondSend: result?.second ?? null,
    exit,
    signalNumber: exit.signal ? os.signals[exit.signal] : null,
  };
}

/** E13: the experiment. */
export const epipeSigpipe = defineExperiment<EpipeSigpipeData>(
  {
    id: 'E13',
    slug: 'epipe-sigpipe',
    title: 'Sending on a closed connection: EPIPE, and SIGPIPE where it is not ignored',
    shows:
      'first send after the peer closed succeeds (RST answers it), the next gives -EPIPE; SIGPIPE at its default kills a child with signal 13; never connected: send -EPIPE, recv -ENOTCONN',
    seeds: '001, 004',
  },
  async ({ claims, scope, headline, progress }) => {
    const sigpipe = os.signals.SIGPIPE;
    const payload = Buffer.from(MESSAGE);

    // In this process.
    const { client, server } = tcpConnection(scope);
    server.close(); // nothing unread: FIN
    await waitForTcpState(client, 'CLOSE_WAIT', WAIT_MS);
    const stateAfterFin = tcpState(client);
    const firstSend = sys.send(client.fd, payload, 0, payload.length, c.MSG_NOSIGNAL!);
    await waitForTcpState(client, 'CLOSE', WAIT_MS);
    const stateAfterRst = tcpState(client);
    const revents = client.poll(c.POLLOUT, 0);
    const secondSendNoSignal = sys.send(client.fd, payload, 0, payload.length, c.MSG_NOSIGNAL!);
    const thirdSendPlain = sys.send(client.fd, payload, 0, payload.length, 0);
    const inProcess: InProcessRun = {
      sigpipe: signalDisposition(sigpipe),
      stateAfterFin,
      firstSend,
      stateAfterRst,
      revents: pollNames(revents),
      secondSendNoSignal,
      thirdSendPlain,
    };
    claims.equal(
      'after the peer closed (we are in CLOSE_WAIT), the first send succeeds',
      `${stateAfterFin}, send → ${firstSend}`,
      `CLOSE_WAIT, send → ${payload.length}`,
    );
    claims.equal('the peer answers that data with RST: our socket is now CLOSE', stateAfterRst, 'CLOSE');
    claims.check(
      'the next send (MSG_NOSIGNAL) gives -EPIPE',
      secondSendNoSignal === -c.EPIPE,
      rawResult(secondSendNoSignal),
    );
    claims.check(
      'Node ignores SIGPIPE (SigIgn in /proc/self/status), so a send without MSG_NOSIGNAL also gives -EPIPE and the process lives on',
      inProcess.sigpipe === 'ignored' && thirdSendPlain === -c.EPIPE,
      `SIGPIPE ${inProcess.sigpipe}, send → ${rawResult(thirdSendPlain)}`,
    );

    // In child processes: SIGPIPE at its default, and the control keeping Node's SIG_IGN.
    progress('a child with SIGPIPE at its default disposition sends on the closed connection');
    const defaultChild = await childRun(scope, true);
    progress('the control child, SIGPIPE still ignored');
    const ignoringChild = await childRun(scope, false);
    claims.check(
      "a child starts with Node's SIG_IGN for SIGPIPE; sys.signal(SIGPIPE, 'default') restores SIG_DFL",
      defaultChild.sigpipeBefore === 'ignored' &&
        defaultChild.signalResult === 0 &&
        defaultChild.sigpipeAfter === 'default',
      `${defaultChild.sigpipeBefore} → signal() ${defaultChild.signalResult} → ${defaultChild.sigpipeAfter}`,
    );
    claims.equal(
      "the child's first send after the peer closed succeeds (no signal: nothing failed yet)",
      defaultChild.firstSend,
      payload.length,
    );
    claims.check(
      `with SIGPIPE at its default, the next send kills the child with signal ${sigpipe} (SIGPIPE)`,
      defaultChild.exit.signal === 'SIGPIPE' && defaultChild.signalNumber === sigpipe,
      defaultChild.exit.signal
        ? `killed by ${defaultChild.exit.signal} (${defaultChild.signalNumber})`
        : `exit code ${defaultChild.exit.code}`,
    );
    claims.check(
      'the control child (SIGPIPE ignored) makes the same sends and survives: -EPIPE, exit code 0',
      ignoringChild.sigpipeAfter === 'ignored' &&
        ignoringChild.firstSend === payload.length &&
        ignoringChild.secondSend === -c.EPIPE &&
        ignoringChild.exit.code === 0,
      `first ${ignoringChild.firstSend}, second ${ignoringChild.secondSend === null ? 'none' : rawResult(ignoringChild.secondSend)}, ` +
        `exit ${ignoringChild.exit.signal ?? ignoringChild.exit.code}`,
    );

    // A socket that never connected.
    const lone = tcpSocket(scope);
    const neverConnected = {
      send: sys.send(lone.fd, payload, 0, payload.length, c.MSG_NOSIGNAL!),
      recv: sys.recv(lone.fd, Buffer.alloc(16), 0, 16, 0),
    };
    claims.check(
      'a TCP socket that never connected: send gives -EPIPE',
      neverConnected.send === -c.EPIPE,
      rawResult(neverConnected.send),
    );
    claims.check(
      'a TCP socket that never connected: recv gives -ENOTCONN',
      neverConnected.recv === -c.ENOTCONN,
      rawResult(neverConnected.recv),
    );

    headline(
      `send after close: ${firstSend} B accepted, then EPIPE; SIG_DFL child killed by ` +
        `${defaultChild.exit.signal ?? 'nothing'} (${defaultChild.signalNumber ?? '-'})`,
    );
    return { sigpipe, inProcess, defaultChild, ignoringChild, neverConnected };
  },
);
