/**
 * The echo server of bench/async.ts's 10,000-connection test, run in its own process so its RSS
 * is its own: `node --import tsx bench/async-server.ts syssock|net`.
 *
 * Prints `{"port":N,"nofile":L}` once listening on 127.0.0.1 (L: its RLIMIT_NOFILE soft limit),
 * echoes every byte back on every connection, and exits when stdin ends (its parent closed the
 * pipe or died) or after 60 s whatever happens.
 *
 * - syssock: a nonblocking listener, `accepts()`, and per connection a loop of `readable()` +
 *   `sys.recv` into ONE shared 64 KiB buffer + `sys.send` of the same bytes in the same
 *   synchronous step (so the shared buffer cannot be overwritten in between). Only bytes the
 *   kernel did not take are copied, and then sent with `sendAll`. No per-connection buffer.
 * - net: `net.createServer({ noDelay: true })`, `socket.on('data', (d) => socket.write(d))`.
 * @module
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { constants as c, inet, Socket, sys, type InetAddress } from '../lib/index.js';

const mode = process.argv[2];
const deadline = setTimeout(() => process.exit(3), 60_000);
deadline.unref();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('data', () => {});
process.stdin.resume();

const nofile = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];

function ready(port: number): void {
  process.stdout.write(`${JSON.stringify({ port, nofile: Number(nofile) })}\n`);
}

if (mode === 'syssock') {
  const listener = Socket.create(c.AF_INET!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!);
  listener.setOption('SO_REUSEADDR', true);
  listener.bind(inet('127.0.0.1', 0));
  listener.listen(4096);
  const shared = Buffer.allocUnsafe(64 * 1024);
  const EAGAIN = -c.EAGAIN!;

  const echo = async (s: Socket): Promise<void> => {
    try {
      const fd = s.fd;
      for (;;) {
        const n = sys.recv(fd, shared, 0, shared.length, 0);
        if (n === EAGAIN) {
          await s.readable();
          continue;
        }
        if (n <= 0) return; // EOF or an error: the client went away
        const w = sys.send(fd, shared, 0, n, 0);
        if (w === n) continue;
        if (w < 0 && w !== EAGAIN) return;
        await s.sendAll(Buffer.from(shared.subarray(Math.max(w, 0), n)));
      }
    } catch {
      // A reset connection ends its loop; the bench counts echoes on the client side.
    } finally {
      s.close();
    }
  };
  void (async () => {
    for await (const { socket } of listener.accepts()) {
      socket.setOption('TCP_NODELAY', true);
      void echo(socket);
    }
  })().catch((e: unknown) => {
    console.error(`async-server: accept loop: ${String(e)}`);
    process.exit(2);
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
