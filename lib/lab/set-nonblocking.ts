/**
 * E05 set-nonblocking: the ways to make a socket nonblocking on Linux (seed 001): fcntl
 * F_GETFL/F_SETFL with O_NONBLOCK, socket(… | SOCK_NONBLOCK), ioctl(FIONBIO), accept4(…,
 * SOCK_NONBLOCK) — and the trap: accept() on a nonblocking listener returns a *blocking* socket.
 *
 * Each way is read back with fcntl(F_GETFL) and tried by behaviour: a recv with nothing to read
 * returns -EAGAIN at once on a nonblocking socket; on the socket accept() returned, a plain recv
 * sleeps in recvfrom (on a worker thread) until data comes.
 * @module
 */
import { constants as c } from '../constants.js';
import { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import { fdFlags, outcome, startRecv, within, type FdFlags } from './group-a.js';
import { tcpListener } from './loopback.js';
import type { Scope } from './scope.js';
import { waitUntilAsleepIn, type ThreadWhere } from './where.js';

/** One way of making a socket nonblocking, as observed. */
export interface Way {
  /** F_GETFL before the call that should set O_NONBLOCK (null when the socket is born with it). */
  before: FdFlags | null;
  /** F_GETFL after. */
  after: FdFlags;
  /** A recv with nothing to read on that socket: -EAGAIN when it is nonblocking. */
  recv: number;
  recvCode: string;
}

/** What E05 returns. */
export interface SetNonBlockingData {
  /** O_NONBLOCK as the headers define it. */
  oNonBlock: number;
  /** fcntl(F_SETFL, F_GETFL | O_NONBLOCK) on a connected blocking socket. */
  fcntl: Way;
  /** socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK); its connect: 0 or -EINPROGRESS, then SO_ERROR. */
  socketFlag: Way & { connect: number; connectCode: string; pollRevents: number | null; soError: number };
  /** ioctl(FIONBIO, 1), then ioctl(FIONBIO, 0). */
  ioctl: Way & { cleared: FdFlags };
  /** accept4(…, SOCK_NONBLOCK) on a blocking listener. */
  accept4: Way & { listener: FdFlags };
  /** accept() on a nonblocking listener. */
  accept: {
    listener: FdFlags;
    /** accept with nothing queued: -EAGAIN. */
    emptyAccept: number;
    emptyAcceptCode: string;
    /** F_GETFL of the accepted socket. */
    accepted: FdFlags;
    /** A plain recv on it: where its thread slept, and what it returned once the client sent. */
    plainRecvWhere: ThreadWhere;
    plainRecvReturned: number;
  };
}

/** Upper bound for every readiness wait. Loopback answers in microseconds. */
const WAIT_MS = 2000;

/** A blocking client connected to `listener`; the handshake is complete when connect returns. */
function connectedClient(scope: Scope, listener: ReturnType<typeof tcpListener>): Socket {
  const client = scope.socket(Socket.create(c.AF_INET, c.SOCK_STREAM));
  client.connect(listener.address);
  return client;
}

/** A raw recv with nothing to read (bounded: only called on sockets known to be nonblocking). */
function tryRecv(socket: Socket): { recv: number; recvCode: string } {
  const recv = sys.recv(socket.fd, Buffer.alloc(16), 0, 16, 0);
  return { recv, recvCode: outcome(recv) };
}

/** Waits (poll, bounded) until `listener` has a connection queued. */
function waitQueued(listener: Socket): void {
  const revents = listener.poll(c.POLLIN!, WAIT_MS);
  if ((revents & c.POLLIN!) === 0) throw new Error(`no connection queued within ${WAIT_MS} ms`);
}

const hex = (f: FdFlags) => `0x${f.flags.toString(16)}`;

/** E05: the experiment. */
export const setNonblocking = defineExperiment<SetNonBlockingData>(
  {
    id: 'E05',
    slug: 'set-nonblocking',
    title: 'The ways to make a socket nonblocking, and what accept() does not inherit',
    shows: 'fcntl, SOCK_NONBLOCK, ioctl(FIONBIO), accept4(SOCK_NONBLOCK) set O_NONBLOCK; accept() does not inherit it',
    seeds: '001',
  },
  async ({ claims, scope, headline }) => {
    const on = (f: FdFlags | null) => f !== null && f.nonBlocking;
    const target = tcpListener(scope);

    // 1. fcntl: F_GETFL, then F_SETFL with O_NONBLOCK added (two syscalls, as the seed writes it).
    const s1 = connectedClient(scope, target);
    const before1 = fdFlags(s1.fd);
    sys.fcntl(s1.fd, c.F_SETFL!, before1.flags | c.O_NONBLOCK!);
    const after1 = fdFlags(s1.fd);
    if (!after1.nonBlocking) throw new Error('fcntl did not set O_NONBLOCK: a recv would block');
    const fcntl: Way = { before: before1, after: after1, ...tryRecv(s1) };
    claims.check(
      'fcntl(F_SETFL, F_GETFL | O_NONBLOCK) sets O_NONBLOCK; recv then gives -EAGAIN',
      !on(before1) && on(after1) && fcntl.recv === -c.EAGAIN!,
      `F_GETFL ${hex(before1)} → ${hex(after1)}; recv ${fcntl.recvCode}`,
    );

    // 2. socket(… | SOCK_NONBLOCK): born nonblocking — which also makes connect nonblocking
    //    (why seed 000 sets O_NONBLOCK only after connect).
    const s2 = scope.socket(Socket.create(c.AF_INET, c.SOCK_STREAM | c.SOCK_NONBLOCK!));
    const after2 = fdFlags(s2.fd);
    if (!after2.nonBlocking) throw new Error('SOCK_NONBLOCK did not set O_NONBLOCK');
    const connect = sys.connect(s2.fd, target.address);
    let soError = 0;
    let pollRevents: number | null = null;
    if (connect === -c.EINPROGRESS!) {
      // The handshake goes on without us: wait for POLLOUT (bounded), then read the outcome.
      pollRevents = s2.poll(c.POLLOUT!, WAIT_MS);
      soError = s2.getOption('SO_ERROR');
    }
    const connected = connect === 0 || (pollRevents !== null && (pollRevents & c.POLLOUT!) !== 0 && soError === 0);
    const socketFlag = {
      before: null,
      after: after2,
      ...tryRecv(s2),
      connect,
      connectCode: outcome(connect),
      pollRevents,
      soError,
    };
    claims.check(
      'socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK) is born with O_NONBLOCK; recv then gives -EAGAIN',
      on(after2) && connected && socketFlag.recv === -c.EAGAIN!,
      `F_GETFL ${hex(after2)}; connect ${socketFlag.connectCode}` +
        `${pollRevents !== null ? ` → poll revents 0x${pollRevents.toString(16)}, SO_ERROR ${soError}` : ''}; recv ${socketFlag.recvCode}`,
    );

    // 3. ioctl(FIONBIO): the BSD way; it sets the very same flag F_GETFL reads.
    const s3 = connectedClient(scope, target);
    const before3 = fdFlags(s3.fd);
    s3.ioctl(c.FIONBIO!, 1);
    const after3 = fdFlags(s3.fd);
    if (!after3.nonBlocking) throw new Error('FIONBIO did not set O_NONBLOCK');
    const recv3 = tryRecv(s3);
    s3.ioctl(c.FIONBIO!, 0);
    const cleared = fdFlags(s3.fd);
    const ioctl = { before: before3, after: after3, ...recv3, cleared };
    claims.check(
      'ioctl(FIONBIO, 1) sets O_NONBLOCK (read back with F_GETFL), recv then gives -EAGAIN; FIONBIO 0 clears it',
      !on(before3) && on(after3) && recv3.recv === -c.EAGAIN! && !on(cleared),
      `F_GETFL ${hex(before3)} → ${hex(after3)} → ${hex(cleared)}; recv ${recv3.recvCode}`,
    );

    // 4. accept4(…, SOCK_NONBLOCK) on a blocking listener: the flag, not the listener, decides.
    const l4 = tcpListener(scope);
    const l4Flags = fdFlags(l4.socket.fd);
    connectedClient(scope, l4);
    waitQueued(l4.socket);
    const a4 = scope.socket(l4.socket.accept4(c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!).socket);
    const after4 = fdFlags(a4.fd);
    if (!after4.nonBlocking) throw new Error('accept4(SOCK_NONBLOCK) did not set O_NONBLOCK');
    const accept4 = { before: null, after: after4, ...tryRecv(a4), listener: l4Flags };
    claims.check(
      'accept4(…, SOCK_NONBLOCK) returns a socket with O_NONBLOCK (from a blocking listener); recv gives -EAGAIN',
      !on(l4Flags) && on(after4) && accept4.recv === -c.EAGAIN!,
      `listener F_GETFL ${hex(l4Flags)}; accepted F_GETFL ${hex(after4)}; recv ${accept4.recvCode}`,
    );

    // 5. accept() on a nonblocking listener: -EAGAIN with nothing queued, and the accepted
    //    socket does NOT inherit O_NONBLOCK (Linux; some BSDs differ). An event loop that
    //    assumes otherwise freezes on its first recv.
    const l5 = tcpListener(scope);
    l5.socket.setNonBlocking(true);
    const l5Flags = fdFlags(l5.socket.fd);
    if (!l5Flags.nonBlocking) throw new Error('the listener is not nonblocking: accept would block');
    const emptyAccept = sys.accept(l5.socket.fd, null);
    if (emptyAccept >= 0) scope.socket(Socket.fromFd(emptyAccept));
    const c5 = connectedClient(scope, l5);
    waitQueued(l5.socket);
    const a5 = scope.socket(l5.socket.acceptRaw().socket);
    const accepted = fdFlags(a5.fd);
    claims.check(
      'on a nonblocking listener, accept with nothing queued returns -EAGAIN',
      on(l5Flags) && emptyAccept === -c.EAGAIN!,
      `listener F_GETFL ${hex(l5Flags)}; accept ${outcome(emptyAccept)}`,
    );
    // Behaviour: a plain recv on the accepted socket sleeps (on a worker) until the client sends.
    const thread = await startRecv(scope, a5, 16);
    const plainRecvWhere = await waitUntilAsleepIn(thread.tid, 'recvfrom', a5.fd, 5000);
    c5.send('x');
    const woken = await within(thread.done, 5000, 'the plain recv on the accepted socket to return');
    claims.check(
      'accept() on a nonblocking listener returns a BLOCKING socket (O_NONBLOCK not inherited): recv on it sleeps',
      !accepted.nonBlocking && plainRecvWhere.state === 'S' && plainRecvWhere.syscall?.name === 'recvfrom',
      `accepted F_GETFL ${hex(accepted)}; its recv: state ${plainRecvWhere.state} in ` +
        `${plainRecvWhere.syscall?.name}, returned ${outcome(woken.returned)} once the client sent 1 byte`,
    );

    headline(
      `fcntl, SOCK_NONBLOCK, FIONBIO, accept4 → O_NONBLOCK (recv EAGAIN); ` +
        `accept() from a nonblocking listener → F_GETFL ${hex(accepted)}, blocking`,
    );
    return {
      oNonBlock: c.O_NONBLOCK!,
      fcntl,
      socketFlag,
      ioctl,
      accept4,
      accept: {
        listener: l5Flags,
        emptyAccept,
        emptyAcceptCode: outcome(emptyAccept),
        accepted,
        plainRecvWhere,
        plainRecvReturned: woken.returned,
      },
    };
  },
);
