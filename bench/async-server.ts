/**
 * The echo server of bench/async.ts's 10,000-connection test, run in its own process so its RSS
 * is its own: `node --expose-gc --import tsx bench/async-server.ts syssock|net`.
 *
 * Prints `{"port":N,"nofile":L}` once listening on 127.0.0.1 (L: its RLIMIT_NOFILE soft limit),
 * echoes every byte back on every connection, answers the stdin line `gc` with `{"gc":true}`
 * after a full garbage collection (so the parent reads a retained RSS, not garbage not yet
 * collected), and exits when stdin ends (its parent closed the pipe or died) or after 60 s
 * whatever happens.
 *
 * - syssock: the shape the library offers for many connections: `watch(POLLIN)` on a
 *   nonblocking listener (accept4 until EAGAIN) and on every connection, whose listener does one
 *   `sys.recv` into ONE shared 64 KiB buffer and a `sys.send` of those bytes in the same
 *   synchronous step (so the shared buffer cannot be overwritten in between). Readiness is
 *   level-triggered: what one recv leaves is reported on the next loop turn. Only bytes the
 *   kernel did not take are copied, and sent with `sendAll` while the connection stops reading.
 *   No promise, no per-connection buffer.
 * - net: `net.createServer({ noDelay: true })`, `socket.on('data', (d) => socket.write(d))`.
 * @module
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { constants as c, inet, Socket, sys, type InetAddress } from '../lib/index.js';

const mode = process.argv[2];
const deadline = setTimeout(() => process.exit(3), 60_000);
deadline.unref();
createInterface({ input: process.stdin })
  .on('line', (line) => {
    if (line !== 'gc') return;
    // --expose-gc is on the command line (bench/async.ts); two passes also collect what the
    // first one's finalizers released.
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    process.stdout.write(`${JSON.stringify({ gc: gc !== undefined })}\n`);
  })
  .on('close', () => process.exit(0));

const nofile = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];

function ready(port: number): void {
  process.stdout.write(`${JSON.stringify({ port, nofile: Number(nofile) })}\n`);
}

if (mode === 'syssock') {
  const POLLIN = c.POLLIN!;
  const EAGAIN = -c.EAGAIN!;
  const listener = Socket.create(c.AF_INET!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!);
  listener.setOption('SO_REUSEADDR', true);
  listener.bind(inet('127.0.0.1', 0));
  listener.listen(4096);
  const shared = Buffer.allocUnsafe(64 * 1024);
  const flags = c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!;

  const serve = (s: Socket): void => {
    const fd = s.fd;
    const onReadable = (): void => {
      const n = sys.recv(fd, shared, 0, shared.length, 0);
      if (n === EAGAIN) return; // a wake-up that no longer holds
      if (n <= 0) return s.close(); // EOF or an error: the client went away
      const w = sys.send(fd, shared, 0, n, 0);
      if (w === n) return;
      if (w < 0 && w !== EAGAIN) return s.close();
      // The send buffer is full: stop reading until the rest is out (backpressure).
      s.unwatch();
      s.sendAll(Buffer.from(shared.subarray(Math.max(w, 0), n))).then(
        () => s.closed || s.watch(POLLIN, onReadable),
        () => s.close(),
      );
    };
    s.setOption('TCP_NODELAY', true);
    s.watch(POLLIN, onReadable);
  };
  const lfd = listener.fd;
  listener.watch(POLLIN, () => {
    // Bounded: at most 256 accepts per wake-up; what is left wakes the next loop turn.
    for (let i = 0; i < 256; i++) {
      const fd = sys.accept4(lfd, null, flags);
      if (fd === EAGAIN) return;
      if (fd < 0) {
        console.error(`async-server: accept4: ${fd}`);
        process.exit(2);
      }
      serve(Socket.fromFd(fd));
    }
  });
  ready((listener.getsockname() as InetAddress).port);
} else if (mode === 'net') {
  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('data', (d) => socket.write(d));
    socket.on('error', () => socket.destroy());
  });
  server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, () => ready((server.address() as net.AddressInfo).port));
} else {
  console.error('usage: async-server.ts syssock|net');
  process.exit(2);
}
