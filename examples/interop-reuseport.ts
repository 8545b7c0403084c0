// node:net interop, handing over: `npx tsx examples/interop-reuseport.ts`.
// Two listeners made with syssock on the same 127.0.0.1 port, both with SO_REUSEPORT (which
// Node 20's net.Server cannot set), each handed to its own net.Server with listenOnNet(). Then a
// bounded number of client connections, and how the kernel spread them over the two listeners.
// After the hand-over net owns the fds; the syssock Sockets are closed and throw EBADF.
// Bounded: 40 connections, one at a time, and a 10 s deadline.
import { once } from 'node:events';
import net from 'node:net';
import { Socket, borrow, constants as c, inet, listenOnNet, type InetAddress } from '../lib/index.js';

const CONNECTIONS = 40;

const deadline = setTimeout(() => {
  console.error('interop-reuseport: did not finish within 10 s');
  process.exit(1);
}, 10_000);
deadline.unref();

/** A syssock TCP listener with SO_REUSEPORT on 127.0.0.1:`port` (0: the kernel chooses). */
function reusePortListener(port: number): Socket {
  const s = Socket.create(c.AF_INET, c.SOCK_STREAM);
  s.setOption('SO_REUSEPORT', true);
  s.bind(inet('127.0.0.1', port));
  s.listen(64);
  return s;
}

const first = reusePortListener(0);
const port = (first.getsockname() as InetAddress).port;
const second = reusePortListener(port); // EADDRINUSE without SO_REUSEPORT on both

const names = ['A', 'B'] as const;
const accepted = { A: 0, B: 0 };
const servers = names.map((name) =>
  net.createServer((socket) => {
    accepted[name] += 1;
    socket.end(name); // tell the client which listener accepted it
  }),
);
listenOnNet(servers[0]!, first);
listenOnNet(servers[1]!, second);
await Promise.all(servers.map((s) => once(s, 'listening')));

for (const [i, s] of servers.entries()) {
  const b = borrow(s);
  console.log(
    `server ${names[i]}: net.Server on 127.0.0.1:${(s.address() as net.AddressInfo).port}, ` +
      `SO_REUSEPORT ${b.getOption('SO_REUSEPORT')}, SO_ACCEPTCONN ${b.getOption('SO_ACCEPTCONN')}`,
  );
}
console.log(`syssock Sockets after the hand-over: closed ${first.closed} and ${second.closed} (net owns the fds)`);

/** One connection: → the name of the listener that answered. */
async function connectOnce(): Promise<string> {
  const client = net.connect(port, '127.0.0.1');
  client.setEncoding('utf8');
  let reply = '';
  for await (const chunk of client) reply += chunk;
  return reply;
}

const answered: Record<string, number> = { A: 0, B: 0 };
for (let i = 0; i < CONNECTIONS; i++) {
  const name = await connectOnce();
  answered[name] = (answered[name] ?? 0) + 1;
}

console.log(`${CONNECTIONS} connections: A accepted ${accepted.A}, B accepted ${accepted.B}`);
console.log(`clients were answered by A ${answered.A} times, by B ${answered.B} times`);
console.log(
  accepted.A > 0 && accepted.B > 0
    ? "the kernel spread them over both listeners (by a hash of each connection's addresses and ports)"
    : 'the kernel gave them all to one listener this time',
);

for (const s of servers) s.close();
await Promise.all(servers.map((s) => once(s, 'close')));
clearTimeout(deadline);
console.log('done');
