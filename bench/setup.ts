/**
 * Socket setup for the JavaScript implementations, the same as bench/c/send_bench.c does it:
 * AF_INET stream sockets with SOCK_CLOEXEC, TCP_NODELAY as chosen, SO_SNDTIMEO 5 s (so a blocking
 * send cannot hang the run), default buffer sizes, 127.0.0.1 only.
 * @module
 */
import net from 'node:net';
import { constants as c, inet, Socket, sys, type InetAddress } from '../lib/index.js';

/** The never-reading peer's SO_RCVBUF, as in send_bench.c (PEER_RCVBUF). */
const PEER_RCVBUF = 65536;
const CHUNK = 64 * 1024;

/** A blocking sender connected to 127.0.0.1:`port` (the draining peer, or the never-reading one). */
export function connectSender(port: number, nodelay: boolean): Socket {
  const s = Socket.create(c.AF_INET!, c.SOCK_STREAM!);
  try {
    s.setOption('TCP_NODELAY', nodelay);
    s.setOption('SO_SNDTIMEO', 5000);
    s.connect(inet('127.0.0.1', port));
    return s;
  } catch (e) {
    s.close();
    throw e;
  }
}

/** A node:net connection to the draining peer, with the same TCP_NODELAY setting. */
export async function connectNet(port: number, nodelay: boolean, timeoutMs: number): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port, noDelay: nodelay });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('node:net connect timed out')), timeoutMs);
      s.once('connect', () => (clearTimeout(timer), resolve()));
      s.once('error', (e) => (clearTimeout(timer), reject(e)));
    });
  } catch (e) {
    s.destroy();
    throw e;
  }
  // setNoDelay is applied by libuv on connect; say so explicitly rather than trust a default.
  s.setNoDelay(nodelay);
  return s;
}

/** A sender whose send buffer is full, and the accepted peer socket that never reads it. */
export interface FullConnection {
  /** Nonblocking sender: every 10-byte send returns EAGAIN. */
  sender: Socket;
  /** The peer, held open and never read. */
  held: Socket;
  /** Fill rounds it took until the buffer stayed full. */
  fillRounds: number;
}

/**
 * A nonblocking sender with a full send buffer, made like send_bench.c's: the peer's receive
 * buffer is fixed (an autotuned one keeps admitting a trickle), and filling repeats until even a
 * 10-byte send is refused and nothing is left unacknowledged, because the peer's delayed ACK
 * (≈40 ms) would otherwise free memory in the middle of a timed loop.
 */
export function connectFull(nodelay: boolean): FullConnection {
  const listener = Socket.create(c.AF_INET!, c.SOCK_STREAM!);
  let sender: Socket | undefined;
  let held: Socket | undefined;
  try {
    // Set before listen so the accepted socket inherits it (and the window scale matches it).
    listener.setOption('SO_RCVBUF', PEER_RCVBUF);
    listener.bind(inet('127.0.0.1', 0));
    listener.listen(16);
    sender = connectSender((listener.getsockname() as InetAddress).port, nodelay);
    held = listener.accept().socket;
    sender.setNonBlocking(true);
    const fillRounds = fillUntilQuiet(sender);
    return { sender, held, fillRounds };
  } catch (e) {
    sender?.close();
    held?.close();
    throw e;
  } finally {
    listener.close();
  }
}

/** See {@link connectFull}. Bounded: 300 rounds or 3 s; between rounds a ≤10 ms wait on POLLOUT. */
function fillUntilQuiet(sender: Socket): number {
  const chunk = Buffer.alloc(CHUNK, 'x');
  const start = Date.now();
  for (let round = 0; round < 300 && Date.now() - start < 3000; round++) {
    let added = 0;
    let r = 0;
    for (let i = 0; i < 100_000 && (r = sys.send(sender.fd, chunk, 0, CHUNK, 0)) > 0; i++) added += r;
    for (let i = 0; i < 1_000_000 && (r = sys.send(sender.fd, chunk, 0, 10, 0)) > 0; i++) added += r;
    if (added === 0 && sender.tcpInfo().unacked === 0) return round;
    sender.poll(c.POLLOUT!, 10);
  }
  throw new Error('the send buffer never settled full');
}
