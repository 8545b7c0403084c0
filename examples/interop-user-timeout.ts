// node:net interop, borrowing: `npx tsx examples/interop-user-timeout.ts`.
// An http server on 127.0.0.1 whose accepted sockets get TCP_USER_TIMEOUT and keepalive
// (SO_KEEPALIVE, TCP_KEEPIDLE) through borrow(), options node:http cannot set. Each request reads
// them back, with TCP_INFO, while it is live. node:net keeps owning every fd: borrow() never closes
// one, and once net has closed it, the borrowed socket throws EBADF without making a syscall.
// Bounded: two requests, one connection each, and a 10 s deadline.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SocketError, borrow, formatAddress } from '../lib/index.js';

const USER_TIMEOUT_MS = 10_000; // give up on a peer that acknowledges nothing for 10 s
const KEEPIDLE_S = 30; // first keepalive probe after 30 s of silence
const REQUESTS = 2;

const deadline = setTimeout(() => {
  console.error('interop-user-timeout: did not finish within 10 s');
  process.exit(1);
}, 10_000);
deadline.unref();

/** Resolves when the server side of the current connection has closed and we have looked at it. */
let serverSideClosed: Promise<void> = Promise.resolve();

const server = http.createServer((req, res) => {
  // A live request: the connection is ESTABLISHED, and the options are what we set.
  const b = borrow(req.socket);
  const info = b.tcpInfo();
  console.log(
    `request ${req.url}: TCP_USER_TIMEOUT ${b.getOption('TCP_USER_TIMEOUT')} ms, SO_KEEPALIVE ` +
      `${b.getOption('SO_KEEPALIVE')}, TCP_KEEPIDLE ${b.getOption('TCP_KEEPIDLE')} s, TCP_NODELAY ` +
      `${b.getOption('TCP_NODELAY')} (node:http sets that one), TCP_INFO state ${info.stateName}, ` +
      `rtt ${info.rtt} µs, Send-Q ${b.sendQueue()}, Recv-Q ${b.recvQueue()}`,
  );
  res.end(`hello from ${req.url}\n`);
});

server.on('connection', (socket) => {
  const b = borrow(socket);
  b.setOption('TCP_USER_TIMEOUT', USER_TIMEOUT_MS);
  b.setOption('SO_KEEPALIVE', true); // TCP_KEEPIDLE only matters with keepalive on
  b.setOption('TCP_KEEPIDLE', KEEPIDLE_S);
  console.log(
    `connection from ${formatAddress(b.getpeername())}: set TCP_USER_TIMEOUT=${USER_TIMEOUT_MS} ms, ` +
      `SO_KEEPALIVE=true, TCP_KEEPIDLE=${KEEPIDLE_S} s through borrow()`,
  );
  serverSideClosed = new Promise((resolve) => {
    socket.once('close', () => {
      try {
        b.getOption('TCP_USER_TIMEOUT');
        console.log('after close: the borrowed socket still answered (unexpected)');
      } catch (e) {
        if (!(e instanceof SocketError)) throw e;
        console.log(`after close: ${e.code}, no syscall made (net closed the fd; the number may be reused)`);
      }
      resolve();
    });
  });
});

/** One GET on a fresh connection (no agent: `Connection: close`) → status and body. */
async function get(url: string): Promise<{ status: number; body: string }> {
  const req = http.get(url, { agent: false });
  const [res] = (await once(req, 'response')) as [http.IncomingMessage];
  res.setEncoding('utf8');
  let body = '';
  for await (const chunk of res) body += chunk;
  return { status: res.statusCode ?? 0, body };
}

server.listen(0, '127.0.0.1');
await once(server, 'listening');
const { port } = server.address() as AddressInfo;
console.log(`http server on 127.0.0.1:${port}`);

for (let i = 1; i <= REQUESTS; i++) {
  const { status, body } = await get(`http://127.0.0.1:${port}/${i}`);
  await serverSideClosed;
  console.log(`response ${i}: ${status} ${body.trim()}`);
}

server.close();
await once(server, 'close');
clearTimeout(deadline);
console.log('done');
