// The README's quickstart, runnable: `npx tsx examples/quickstart.ts`.
// A listener on loopback, a nonblocking client, the EINPROGRESS dance and the EAGAIN you get.
import { Socket, SocketError, constants as c, formatAddress, inet, sys } from '../lib/index.js';

/** Runs `fn` and returns the code of the SocketError it throws (or 'no error'). */
function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (e) {
    if (e instanceof SocketError) return e.code;
    throw e;
  }
}

// A listener on 127.0.0.1; port 0 lets the kernel choose.
const server = Socket.create(c.AF_INET, c.SOCK_STREAM);
server.bind(inet('127.0.0.1', 0));
server.listen(16);
const address = server.getsockname();

// A nonblocking client: connect(2) returns at once, the handshake goes on in the kernel.
const client = Socket.create(c.AF_INET, c.SOCK_STREAM | c.SOCK_NONBLOCK!);
console.log(
  'connect:',
  codeOf(() => client.connect(address)),
); // EINPROGRESS
// Writable means "the handshake finished", not "it worked": SO_ERROR says which.
client.poll(c.POLLOUT, 1000);
console.log('SO_ERROR after POLLOUT:', client.getOption('SO_ERROR')); // 0: connected

const { socket: conn, address: peer } = server.accept();
const buf = Buffer.alloc(64);

// Nothing to read yet: the kernel says EAGAIN instead of blocking.
console.log(
  'recv with no data:',
  codeOf(() => client.recv(buf)),
); // EAGAIN
// The raw layer returns -errno instead of throwing: no exception, no allocation.
console.log('sys.recv === -EAGAIN:', sys.recv(client.fd, buf, 0, buf.length, 0) === -c.EAGAIN); // true

conn.send('hello');
client.poll(c.POLLIN, 1000);
const n = client.recv(buf);
console.log(`received ${n} bytes: ${buf.toString('utf8', 0, n)} (the server saw the client as ${formatAddress(peer)})`);

for (const s of [client, conn, server]) s.close();
console.log(
  'recv after close:',
  codeOf(() => client.recv(buf)),
); // EBADF, no syscall made
