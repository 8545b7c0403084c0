/**
 * E15 half-close: shutdown(SHUT_WR). Seeds 001 (closing a socket), 002 (FIN means "I will send
 * no more", close means "I will neither send nor receive").
 *
 * A `tac`-like server runs on a worker thread: it reads the whole request, blocking, until recv
 * returns 0, and only then answers with the lines in reverse order — it cannot answer before it
 * knows the request is complete. The client sends three lines; the server reads them all and is
 * seen asleep in recvfrom again (it has everything but cannot know that). The client then calls
 * shutdown(SHUT_WR): a FIN goes out, the server's recv returns 0, the client sits in FIN_WAIT2
 * and the server in CLOSE_WAIT. The client's own send now gives -EPIPE, yet it still receives:
 * the server sends its answer back and then shuts down its own side, and the client reads the
 * answer and then 0.
 * @module
 */
import type { InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import { kernelTcpStates, pollNames, rawResult, tcpState, waitForTcpState } from './group-c.js';
import { tcpConnection } from './loopback.js';
import { startThread, type ThreadBody } from './thread.js';
import { waitUntilAsleepIn, whereIs, type ThreadWhere } from './where.js';

/** TCP states of both sides at each step. */
export interface HalfCloseStates {
  /** Before anything: ESTABLISHED / ESTABLISHED. */
  before: { client: string; server: string };
  /** After the client's SHUT_WR was acknowledged: FIN_WAIT2 / CLOSE_WAIT. */
  afterClientShutWr: { client: string; server: string };
  /**
   * After the server answered and shut down its side too: both fds CLOSE, and `kernel` lists
   * what /proc/net/tcp shows for the client's address pair: TIME_WAIT.
   */
  end: { client: string; server: string; kernel: string[] };
}

/** What E15 returns. */
export interface HalfCloseData {
  /** The request the client sent (three lines). */
  request: string;
  /** Each recv the server made, in order: the request's pieces, then 0 (EOF). */
  serverReads: number[];
  /** The server's Recv-Q when the client shut down: 0, everything was read. */
  serverRecvQBeforeShutdown: number;
  /** Where the server thread was just before the shutdown: asleep in recvfrom. */
  whereBeforeShutdown: ThreadWhere;
  /** poll(POLLIN|POLLRDHUP, 0) on the server side after the FIN. */
  serverRevents: string;
  /** The client's send after its own SHUT_WR (MSG_NOSIGNAL): -EPIPE. */
  ownSendAfterShutWr: number;
  /** What the server sent back after the EOF: the lines reversed. */
  reply: string;
  /** Bytes the server's send calls accepted for the reply. */
  replySent: number;
  /** Each recv the client made for the reply, ending with 0 (the server's FIN). */
  clientReads: number[];
  states: HalfCloseStates;
}

const WAIT_MS = 5000;
const LINES = ['one', 'two', 'three'];
const MAX_READS = 1000;

interface ServerArg {
  fd: number;
  /** [0]: set to 1 by the main thread to let the server answer. */
  gate: SharedArrayBuffer;
  waitMs: number;
  maxReads: number;
  sendFlags: number;
  shutWr: number;
}

/**
 * The server (worker thread; self-contained): blocking recv until 0, posting each result; then
 * waits at the gate (Atomics.wait, bounded) so the main thread can look at the half-closed
 * connection; then sends the lines in reverse order and shuts down its own writing side.
 */
const tacServer: ThreadBody<ServerArg, { replySent: number; shutdown: number }> = (sys, arg, post) => {
  const buf = Buffer.alloc(64 * 1024);
  let total = 0;
  for (let i = 0; i < arg.maxReads; i++) {
    const n = sys.recv(arg.fd, buf, total, buf.length - total, 0);
    post({ n });
    if (n <= 0) break;
    total += n;
  }
  const gate = new Int32Array(arg.gate);
  Atomics.wait(gate, 0, 0, arg.waitMs);
  const lines = buf
    .subarray(0, total)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const reply = Buffer.from(lines.reverse().join('\n') + '\n');
  let sent = 0;
  while (sent < reply.length) {
    const r = sys.send(arg.fd, reply, sent, reply.length - sent, arg.sendFlags);
    if (r <= 0) break;
    sent += r;
  }
  return { replySent: sent, shutdown: sys.shutdown(arg.fd, arg.shutWr) };
};

/** E15: the experiment. */
export const halfClose = defineExperiment<HalfCloseData>(
  {
    id: 'E15',
    slug: 'half-close',
    title: 'Half-close with shutdown(SHUT_WR)',
    shows: 'the peer reads the data then 0, and can still send back; our own send after SHUT_WR gives -EPIPE',
    seeds: '001, 002',
  },
  async ({ claims, scope, note, headline }) => {
    const { client, server } = tcpConnection(scope);
    const before = { client: tcpState(client), server: tcpState(server) };
    const clientAddress = client.getsockname() as InetAddress;
    const serverAddress = client.getpeername() as InetAddress;
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const thread = await startThread(tacServer, {
      fd: server.fd,
      gate: gate.buffer as SharedArrayBuffer,
      waitMs: WAIT_MS,
      maxReads: MAX_READS,
      sendFlags: c.MSG_NOSIGNAL!,
      shutWr: c.SHUT_WR,
    });
    scope.defer(async () => {
      // Open the gate and wake a recv still blocked (shutdown does, close would not); then join.
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      if (!server.closed) sys.shutdown(server.fd, c.SHUT_RDWR);
      await thread.stop(2000);
    });

    // The request, one line per send; the server reads until it has all of it.
    const request = LINES.map((l) => `${l}\n`).join('');
    for (const line of LINES) client.send(`${line}\n`);
    const serverReads: number[] = [];
    let received = 0;
    while (received < request.length && serverReads.length < MAX_READS) {
      const { n } = (await thread.next(WAIT_MS, 'the server reading the request')) as { n: number };
      serverReads.push(n);
      if (n <= 0) break;
      received += n;
    }
    // Everything read, and the server still waits: it cannot know the request is complete.
    await waitUntilAsleepIn(thread.tid, 'recvfrom', server.fd, WAIT_MS);
    const serverRecvQBeforeShutdown = server.recvQueue();
    const whereBeforeShutdown = whereIs(thread.tid);

    client.shutdown(c.SHUT_WR);
    const eof = (await thread.next(WAIT_MS, 'the server to see the end of the request')) as { n: number };
    serverReads.push(eof.n);
    await waitForTcpState(client, 'FIN_WAIT2', WAIT_MS);
    await waitForTcpState(server, 'CLOSE_WAIT', WAIT_MS);
    const afterClientShutWr = { client: tcpState(client), server: tcpState(server) };
    const serverRevents = pollNames(server.poll(c.POLLIN | (c.POLLRDHUP ?? 0), 0));
    const payload = Buffer.from('more');
    const ownSendAfterShutWr = sys.send(client.fd, payload, 0, payload.length, c.MSG_NOSIGNAL!);

    // Let the server answer; read the answer to its end, never blocking longer than a poll bound.
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
    const chunks: Buffer[] = [];
    const clientReads: number[] = [];
    const buf = Buffer.alloc(4096);
    for (let i = 0; i < MAX_READS; i++) {
      if ((client.poll(c.POLLIN, WAIT_MS) & c.POLLIN) === 0) break;
      const n = sys.recv(client.fd, buf, 0, buf.length, c.MSG_DONTWAIT!);
      clientReads.push(n);
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    const reply = Buffer.concat(chunks).toString('utf8');
    const { replySent, shutdown } = await thread.done;
    // The client sent the first FIN, so its end of the connection goes to TIME_WAIT — in a
    // kernel-only socket: the fd the program holds reads CLOSE (tcp_time_wait hands the
    // connection over and closes the original), so the TIME_WAIT is looked up in /proc/net/tcp.
    await waitForTcpState(client, 'CLOSE', WAIT_MS);
    await waitForTcpState(server, 'CLOSE', WAIT_MS);
    const end = {
      client: tcpState(client),
      server: tcpState(server),
      kernel: kernelTcpStates(clientAddress, serverAddress),
    };

    const expectedReply = `${[...LINES].reverse().join('\n')}\n`;
    claims.check(
      'before the shutdown the server had read the whole request and was still asleep in recvfrom (it cannot know the request is complete)',
      received === request.length &&
        serverRecvQBeforeShutdown === 0 &&
        whereBeforeShutdown.state === 'S' &&
        whereBeforeShutdown.syscall?.name === 'recvfrom' &&
        whereBeforeShutdown.syscall.fd === server.fd,
      `read ${received}/${request.length} bytes, Recv-Q ${serverRecvQBeforeShutdown}, ` +
        `state ${whereBeforeShutdown.state} in ${whereBeforeShutdown.syscall?.name}(${whereBeforeShutdown.syscall?.fd})`,
    );
    if (whereBeforeShutdown.stack)
      claims.check(
        'its kernel stack waits for data (sk_wait_data / wait_woken)',
        whereBeforeShutdown.stack.includes('sk_wait_data') || whereBeforeShutdown.stack.includes('wait_woken'),
        whereBeforeShutdown.stack.slice(0, 4).join(' ← '),
      );
    else
      note(
        `kernel stack not shown: ${whereBeforeShutdown.unavailable.find((u) => u.startsWith('stack')) ?? 'unreadable'}`,
      );
    claims.check(
      'after shutdown(SHUT_WR) the peer reads its data, then 0 (end of stream)',
      eof.n === 0 && serverReads.slice(0, -1).reduce((a, b) => a + b, 0) === request.length,
      `server recv results: ${serverReads.join(', ')}`,
    );
    claims.equal(
      'the connection is half-closed: client FIN_WAIT2, server CLOSE_WAIT',
      `${afterClientShutWr.client} / ${afterClientShutWr.server}`,
      'FIN_WAIT2 / CLOSE_WAIT',
    );
    claims.check(
      'our own send after SHUT_WR gives -EPIPE',
      ownSendAfterShutWr === -c.EPIPE,
      rawResult(ownSendAfterShutWr),
    );
    claims.check(
      'the peer can still send back: the client receives the whole answer, then 0 when the server shuts down too',
      reply === expectedReply && replySent === expectedReply.length && shutdown === 0 && clientReads.at(-1) === 0,
      `${JSON.stringify(reply)} in reads ${clientReads.join(', ')}`,
    );
    claims.equal(
      'both directions closed: both fds read CLOSE, and the kernel keeps the client side, which sent the first FIN, in TIME_WAIT',
      `fds ${end.client} / ${end.server}; /proc/net/tcp ${end.kernel.join(', ') || 'nothing'}`,
      'fds CLOSE / CLOSE; /proc/net/tcp TIME_WAIT',
    );

    headline(
      `after SHUT_WR: peer read ${request.length} B then 0, answered ${replySent} B; our send ${rawResult(ownSendAfterShutWr)}`,
    );
    return {
      request,
      serverReads,
      serverRecvQBeforeShutdown,
      whereBeforeShutdown,
      serverRevents,
      ownSendAfterShutWr,
      reply,
      replySent,
      clientReads,
      states: { before, afterClientShutWr, end },
    };
  },
);
