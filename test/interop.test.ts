// node:net interop. Borrowing: options, TCP_INFO and addresses of a net.Socket / net.Server read
// and set through its fd, which net keeps owning; with no fd (destroyed, not yet connected, not
// listening) every call throws EBADF without a syscall. Handing over: a syssock socket becomes a
// net.Socket or a net.Server's listener, the syssock Socket is closed, and net keeps working.
// Every net socket and server is destroyed/closed in afterEach, awaiting 'close', so the fd-leak
// check sees none of them. Nothing sleeps: tests wait on net's events or on poll(2).
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BorrowedSocket,
  Socket,
  borrow,
  constant,
  constants as c,
  inet,
  listenOnNet,
  sys,
  toNetSocket,
  type InetAddress,
  type ToNetSocketOptions,
} from '../lib/index.js';
import { expectArgError, thrown } from './helpers/net.js';
import { listener, Sockets } from './helpers/peers.js';
import { expectThrows, tcpSocket, waitFor } from './helpers/tcp.js';

const NO_SYSCALL = 'no syscall was made';

/**
 * net.Sockets and net.Servers made by a test. afterEach destroys and closes them all and awaits
 * each one's 'close' (the promise is taken when the object is registered, so no event is missed).
 * A server's accepted sockets are registered as they arrive. Socket errors are recorded, not
 * thrown, so that a reset during cleanup cannot fail an unrelated test.
 */
class NetPeers {
  readonly errors: Error[] = [];
  #sockets: net.Socket[] = [];
  #servers: net.Server[] = [];
  #closed: Promise<unknown>[] = [];

  socket<T extends net.Socket>(s: T): T {
    this.#sockets.push(s);
    this.#closed.push(new Promise((resolve) => s.once('close', resolve)));
    s.on('error', (e) => this.errors.push(e));
    return s;
  }

  server<T extends net.Server>(s: T): T {
    this.#servers.push(s);
    s.on('connection', (socket: net.Socket) => this.socket(socket));
    return s;
  }

  async closeAll(): Promise<void> {
    for (const s of this.#sockets.splice(0)) s.destroy();
    const servers = this.#servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await Promise.all([...this.#closed.splice(0), ...servers]);
  }
}

const sockets = new Sockets();
const peers = new NetPeers();
afterEach(async () => {
  await peers.closeAll();
  sockets.closeAll();
});

/** The next connection `server` accepts. */
function nextConnection(server: net.Server): Promise<net.Socket> {
  return once(server, 'connection').then(([s]) => s as net.Socket);
}

/** A net.Server listening on 127.0.0.1 with a kernel-chosen port. */
async function netListener(): Promise<{ server: net.Server; port: number }> {
  const server = peers.server(net.createServer());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A connected pair made by node:net alone: the client and the side its server accepted. */
async function netPair(): Promise<{ client: net.Socket; accepted: net.Socket; server: net.Server }> {
  const { server, port } = await netListener();
  const connection = nextConnection(server);
  const client = peers.socket(net.connect(port, '127.0.0.1'));
  const [accepted] = await Promise.all([connection, once(client, 'connect')]);
  return { client, accepted, server };
}

/** Resolves with the first `n` bytes `s` emits as 'data'. */
function collect(s: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      got += chunk.length;
      if (got >= n) {
        s.off('data', onData);
        s.off('error', reject);
        resolve(Buffer.concat(chunks).subarray(0, n));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

/** Receives exactly `n` bytes on a syssock socket, waiting with a bounded poll(2) before each recv. */
function recvExactly(s: Socket, n: number): Buffer {
  const buf = Buffer.alloc(n);
  let got = 0;
  for (let i = 0; i < 1000 && got < n; i++) {
    waitFor(s, constant('POLLIN'));
    const r = s.recv(buf, 0, got);
    if (r === 0) break;
    got += r;
  }
  expect(got).toBe(n);
  return buf;
}

/** `n` bytes of a pattern that is not periodic in small powers of two. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return b;
}

/** net's write, awaited until libuv has handed the bytes to the kernel. */
function write(s: net.Socket, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => s.write(data, (err) => (err ? reject(err) : resolve())));
}

/** The fd node:net's handle has now (Node-internal, as lib/interop.ts reads it). */
function handleFd(o: net.Socket | net.Server): number | undefined {
  return (o as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
}

describe('borrow a net.Socket', () => {
  it.each(['client', 'accepted'] as const)(
    '%s side: TCP_NODELAY and TCP_USER_TIMEOUT are set and read back',
    async (side) => {
      const pair = await netPair();
      const b = borrow(pair[side]);
      b.setOption('TCP_NODELAY', true);
      expect(b.getOption('TCP_NODELAY')).toBe(true);
      b.setOption('TCP_NODELAY', false);
      expect(b.getOption('TCP_NODELAY')).toBe(false);
      b.setOption('TCP_USER_TIMEOUT', 1234);
      expect(b.getOption('TCP_USER_TIMEOUT')).toBe(1234);
    },
  );

  it.each(['client', 'accepted'] as const)('%s side: TCP_INFO state is ESTABLISHED', async (side) => {
    const pair = await netPair();
    const info = borrow(pair[side]).tcpInfo();
    expect(info.state).toBe(constant('TCP_ESTABLISHED'));
    expect(info.stateName).toBe('ESTABLISHED');
  });

  it("getpeername and getsockname agree with net's remotePort and localPort, both sides", async () => {
    const { client, accepted } = await netPair();
    const bc = borrow(client);
    const ba = borrow(accepted);
    const peer = bc.getpeername() as InetAddress;
    expect(peer.port).toBe(client.remotePort);
    expect(peer.address).toBe(client.remoteAddress);
    expect((bc.getsockname() as InetAddress).port).toBe(client.localPort);
    expect((ba.getpeername() as InetAddress).port).toBe(accepted.remotePort);
    expect((ba.getpeername() as InetAddress).port).toBe(client.localPort);
    expect((ba.getsockname() as InetAddress).port).toBe(accepted.localPort);
  });

  it('the fd is the one net has, and libuv keeps it nonblocking', async () => {
    const { client } = await netPair();
    const b = borrow(client);
    expect(b.fd).toBe(handleFd(client));
    expect(b.fd).toBeGreaterThanOrEqual(0);
    expect(b.isNonBlocking()).toBe(true);
    expect(b.target).toBe(client);
  });

  it('the raw getsockopt/setsockopt reach the same option', async () => {
    const { client } = await netPair();
    const b = borrow(client);
    b.setsockopt(constant('SOL_SOCKET'), constant('SO_KEEPALIVE'), new Int32Array([1]));
    expect(b.getOption('SO_KEEPALIVE')).toBe(true);
    const out = new Int32Array(1);
    expect(b.getsockopt(constant('SOL_SOCKET'), constant('SO_TYPE'), out)).toBe(4);
    expect(out[0]).toBe(constant('SOCK_STREAM'));
  });

  it('sendQueue and recvQueue read the kernel queues: 0 once net has sent and read everything', async () => {
    const { client, accepted } = await netPair();
    const data = collect(accepted, 1000);
    await write(client, pattern(1000, 1));
    await data;
    expect(borrow(client).sendQueue()).toBe(0);
    expect(borrow(accepted).recvQueue()).toBe(0);
  });

  it('the connection keeps working for net after options were set through the borrow', async () => {
    const { client, accepted } = await netPair();
    const b = borrow(accepted);
    b.setOption('TCP_USER_TIMEOUT', 5000);
    b.setOption('SO_KEEPALIVE', true);
    b.setOption('TCP_KEEPIDLE', 60);
    const payload = pattern(4096, 2);
    const got = collect(client, payload.length);
    await write(accepted, payload);
    expect((await got).equals(payload)).toBe(true);
    expect(b.getOption('TCP_KEEPIDLE')).toBe(60);
  });
});

/** Each method of BorrowedSocket, with the syscall name its EBADF must carry. */
const methods: [method: string, syscall: string, call: (b: BorrowedSocket) => unknown][] = [
  ['getOption', 'getsockopt', (b) => b.getOption('SO_ERROR')],
  ['setOption', 'setsockopt', (b) => b.setOption('SO_LINGER', { onoff: true, linger: 0 })],
  ['getsockopt', 'getsockopt', (b) => b.getsockopt(constant('SOL_SOCKET'), constant('SO_TYPE'), new Int32Array(1))],
  [
    'setsockopt',
    'setsockopt',
    (b) => b.setsockopt(constant('SOL_SOCKET'), constant('SO_KEEPALIVE'), new Int32Array([1])),
  ],
  ['tcpInfo', 'getsockopt', (b) => b.tcpInfo()],
  ['sendQueue', 'ioctl', (b) => b.sendQueue()],
  ['recvQueue', 'ioctl', (b) => b.recvQueue()],
  ['getsockname', 'getsockname', (b) => b.getsockname()],
  ['getpeername', 'getpeername', (b) => b.getpeername()],
  ['isNonBlocking', 'fcntl', (b) => b.isNonBlocking()],
];

describe('a borrowed net object with no fd throws EBADF without a syscall', () => {
  it.each(methods)('%s after destroy (syscall %s)', async (_name, syscall, call) => {
    const { client } = await netPair();
    const b = borrow(client);
    client.destroy();
    const err = expectThrows(() => call(b), 'EBADF', syscall);
    expect(err.message).toContain(NO_SYSCALL);
    expect(err.message).toContain('destroyed');
    expect(b.fd).toBe(-1);
  });

  it('after destroy, even when the kernel has given the number to a new socket', async () => {
    const { client } = await netPair();
    const b = borrow(client);
    const number = b.fd;
    client.destroy(); // libuv closes the fd at once
    // The kernel gives out the lowest free number: within number + 1 new sockets one gets it.
    let reused: Socket | undefined;
    for (let i = 0; i <= number && reused === undefined; i++) {
      const s = tcpSocket(sockets);
      if (s.fd === number) reused = s;
    }
    expect(reused?.fd).toBe(number);
    // Had the call reached the kernel, it would have set SO_LINGER on the new socket.
    const err = expectThrows(() => b.setOption('SO_LINGER', { onoff: true, linger: 0 }), 'EBADF', 'setsockopt');
    expect(err.message).toContain(NO_SYSCALL);
    expect(reused!.getOption('SO_LINGER')).toEqual({ onoff: false, linger: 0 });
    expectThrows(() => b.getsockname(), 'EBADF', 'getsockname');
  });

  it("the accepted side after net's server destroyed it", async () => {
    const { accepted } = await netPair();
    const b = borrow(accepted);
    accepted.destroy();
    expect(expectThrows(() => b.tcpInfo(), 'EBADF', 'getsockopt').message).toContain(NO_SYSCALL);
  });

  it('a new net.Socket before connect() has no handle', () => {
    const s = peers.socket(new net.Socket());
    const b = borrow(s);
    expect(b.fd).toBe(-1);
    const err = expectThrows(() => b.getOption('TCP_NODELAY'), 'EBADF', 'getsockopt');
    expect(err.message).toContain('not connected');
    expect(err.message).toContain(NO_SYSCALL);
  });

  it('between connect() and its connect(2) the handle has fd -1; after "connect" it works', async () => {
    const { port } = await netListener();
    const client = peers.socket(net.connect(port, '127.0.0.1'));
    const b = borrow(client);
    const err = expectThrows(() => b.getpeername(), 'EBADF', 'getpeername');
    expect(err.message).toContain('fd -1');
    await once(client, 'connect');
    expect((b.getpeername() as InetAddress).port).toBe(port);
  });

  it('a net.Server before listen() and after close()', async () => {
    const server = peers.server(net.createServer());
    const b = borrow(server);
    expect(expectThrows(() => b.getOption('SO_ACCEPTCONN'), 'EBADF', 'getsockopt').message).toContain('not listening');
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    expect(b.getOption('SO_ACCEPTCONN')).toBe(true);
    server.close();
    await once(server, 'close');
    expect(b.fd).toBe(-1);
    expect(expectThrows(() => b.getsockname(), 'EBADF', 'getsockname').message).toContain(NO_SYSCALL);
  });
});

describe('borrow a net.Server', () => {
  it('SO_ACCEPTCONN is true, TCP_INFO says LISTEN, getsockname is the port net reports', async () => {
    const { server, port } = await netListener();
    const b = borrow(server);
    expect(b.getOption('SO_ACCEPTCONN')).toBe(true);
    expect(b.tcpInfo().stateName).toBe('LISTEN');
    expect(b.getsockname()).toEqual(inet('127.0.0.1', port));
    expect(b.fd).toBe(handleFd(server));
    expectThrows(() => b.getpeername(), 'ENOTCONN', 'getpeername');
  });

  it('an http.Server is a net.Server: borrowed the same way', async () => {
    const server = peers.server(http.createServer());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    expect(borrow(server).getOption('SO_ACCEPTCONN')).toBe(true);
  });

  it('borrow refuses what is not a net.Socket or net.Server, before any syscall', () => {
    const s = tcpSocket(sockets);
    for (const bad of [{}, null, 3, s, { _handle: { fd: s.fd } }]) {
      expectArgError(() => borrow(bad as unknown as net.Socket), 'ERR_INVALID_ARG_TYPE');
    }
  });
});

describe('toNetSocket: a syssock socket becomes a net.Socket', () => {
  /** A blocking syssock connection over loopback: [client, accepted]. */
  function syssockPair(): [Socket, Socket] {
    const { socket: server, address } = listener(sockets);
    const client = tcpSocket(sockets);
    client.connect(address);
    waitFor(server, constant('POLLIN'));
    return [client, sockets.add(server.accept().socket)];
  }

  it('exchanges bytes both ways with a syssock peer; the Socket throws EBADF; net keeps the fd', async () => {
    const [client, peer] = syssockPair();
    const number = client.fd;
    expect(client.isNonBlocking()).toBe(false);
    const ns = peers.socket(toNetSocket(client));

    expect(client.closed).toBe(true);
    expect(client.fd).toBe(-1);
    expect(expectThrows(() => client.send('x'), 'EBADF', 'send').message).toContain(NO_SYSCALL);
    expect(handleFd(ns)).toBe(number); // the same fd: syssock did not close it
    expect(borrow(ns).isNonBlocking()).toBe(true); // libuv set O_NONBLOCK itself
    expect(ns.remotePort).toBe((peer.getsockname() as InetAddress).port);

    const toPeer = pattern(10_000, 3);
    await write(ns, toPeer);
    expect(recvExactly(peer, toPeer.length).equals(toPeer)).toBe(true);

    const fromPeer = pattern(10_000, 4);
    const got = collect(ns, fromPeer.length);
    let sent = 0;
    for (let i = 0; i < 100 && sent < fromPeer.length; i++) sent += peer.send(fromPeer, 0, sent);
    expect(sent).toBe(fromPeer.length);
    expect((await got).equals(fromPeer)).toBe(true);
  });

  it('net closes the fd when it is destroyed (syssock never does)', async () => {
    const [client] = syssockPair();
    const number = client.fd;
    const ns = peers.socket(toNetSocket(client));
    ns.destroy();
    await once(ns, 'close');
    expect(sys.fcntl(number, constant('F_GETFD'), 0)).toBe(-constant('EBADF'));
  });

  it('an AF_UNIX socketpair end becomes a net.Socket over a Pipe handle', async () => {
    const [a, b] = Socket.pair(c.AF_UNIX, c.SOCK_STREAM);
    sockets.add(a);
    sockets.add(b);
    const ns = peers.socket(toNetSocket(a));
    const got = collect(ns, 5);
    expect(b.send('hello')).toBe(5);
    expect((await got).toString()).toBe('hello');
    await write(ns, Buffer.from('bye'));
    expect(recvExactly(b, 3).toString()).toBe('bye');
  });

  it('options are passed to net.Socket (allowHalfOpen)', async () => {
    const [client, peer] = syssockPair();
    const ns = peers.socket(toNetSocket(client, { allowHalfOpen: true }));
    ns.resume();
    peer.shutdown(constant('SHUT_WR'));
    await once(ns, 'end');
    // Half open: net did not end its side, so the peer can still receive.
    await write(ns, Buffer.from('still open'));
    expect(recvExactly(peer, 10).toString()).toBe('still open');
  });

  it('an unconnected stream socket: ENOTCONN from getpeername, and it stays owned and open', () => {
    const s = tcpSocket(sockets);
    expectThrows(() => toNetSocket(s), 'ENOTCONN', 'getpeername');
    expect(s.closed).toBe(false);
    expect(s.getOption('SO_TYPE')).toBe(constant('SOCK_STREAM'));
  });

  it('a listening socket: ENOTCONN, stays owned', () => {
    const { socket } = listener(sockets);
    expectThrows(() => toNetSocket(socket), 'ENOTCONN', 'getpeername');
    expect(socket.getOption('SO_ACCEPTCONN')).toBe(true);
  });

  it('a UDP socket, even connected: ERR_INVALID_ARG_VALUE, stays owned', () => {
    const s = sockets.add(Socket.create(c.AF_INET, c.SOCK_DGRAM));
    s.connect(inet('127.0.0.1', 9));
    expectArgError(() => toNetSocket(s), 'ERR_INVALID_ARG_VALUE');
    expect(s.closed).toBe(false);
  });

  it('a closed Socket: EBADF without a syscall', () => {
    const s = tcpSocket(sockets);
    s.close();
    expect(expectThrows(() => toNetSocket(s), 'EBADF').message).toContain(NO_SYSCALL);
  });

  it('bad arguments are refused before ownership moves', () => {
    const [client] = syssockPair();
    expectArgError(() => toNetSocket({} as Socket), 'ERR_INVALID_ARG_TYPE');
    expectArgError(() => toNetSocket(client, { fd: 0 } as ToNetSocketOptions), 'ERR_INVALID_ARG_VALUE');
    expectArgError(() => toNetSocket(client, { handle: {} } as ToNetSocketOptions), 'ERR_INVALID_ARG_VALUE');
    expectArgError(
      () => toNetSocket(client, { signal: 'abort' } as unknown as ToNetSocketOptions),
      'ERR_INVALID_ARG_TYPE',
    );
    expectArgError(() => toNetSocket(client, null as unknown as ToNetSocketOptions), 'ERR_INVALID_ARG_TYPE');
    expect(client.closed).toBe(false);
    expect(client.getpeername()).toBeDefined();
  });

  it('when new net.Socket throws after the release, the fd is closed (not leaked) and the error rethrown', () => {
    const [client] = syssockPair();
    const number = client.fd;
    // net rejects objectMode in its constructor, after toNetSocket has released the fd.
    const err = thrown(() => toNetSocket(client, { objectMode: true } as ToNetSocketOptions));
    expect(err).toBeInstanceOf(TypeError); // node:net's own error, rethrown as it was
    expect((err as { code?: unknown }).code).toBe('ERR_INVALID_ARG_VALUE');
    expect(client.closed).toBe(true);
    // Nothing ran between the throw and this line that could have been given the number.
    expect(sys.fcntl(number, constant('F_GETFD'), 0)).toBe(-constant('EBADF'));
  });
});

describe('listenOnNet: a syssock listener becomes a net.Server', () => {
  /** A syssock listener on 127.0.0.1 with SO_REUSEPORT, bound and listening (backlog 3). */
  function reusePortListener(port = 0): { socket: Socket; port: number } {
    const socket = tcpSocket(sockets);
    socket.setOption('SO_REUSEPORT', true);
    socket.bind(inet('127.0.0.1', port));
    socket.listen(3);
    return { socket, port: (socket.getsockname() as InetAddress).port };
  }

  it('accepts a net client; SO_REUSEPORT set by syssock stays; the Socket throws EBADF', async () => {
    const { socket, port } = reusePortListener();
    const number = socket.fd;
    const server = peers.server(net.createServer());
    expect(listenOnNet(server, socket)).toBe(server);
    await once(server, 'listening');

    expect(socket.closed).toBe(true);
    expect(expectThrows(() => socket.getsockname(), 'EBADF', 'getsockname').message).toContain(NO_SYSCALL);
    expect(handleFd(server)).toBe(number); // net listens on the very fd syssock made
    expect((server.address() as net.AddressInfo).port).toBe(port);
    expect(borrow(server).getOption('SO_REUSEPORT')).toBe(true);

    const connection = nextConnection(server);
    const client = peers.socket(net.connect(port, '127.0.0.1'));
    const [accepted] = await Promise.all([connection, once(client, 'connect')]);
    const got = collect(client, 5);
    accepted.write('hello');
    expect((await got).toString()).toBe('hello');
    expect(accepted.remotePort).toBe(client.localPort);
  });

  it('a second SO_REUSEPORT listener on the same port can join, handed to a second net.Server', async () => {
    const first = reusePortListener();
    const second = reusePortListener(first.port);
    const a = listenOnNet(peers.server(net.createServer()), first.socket);
    const b = listenOnNet(peers.server(net.createServer()), second.socket);
    await Promise.all([once(a, 'listening'), once(b, 'listening')]);
    expect((a.address() as net.AddressInfo).port).toBe(first.port);
    expect((b.address() as net.AddressInfo).port).toBe(first.port);
  });

  it("net calls listen(2) again with the backlog given (TCP_INFO's sacked is a listener's backlog)", async () => {
    const { socket } = reusePortListener();
    expect(socket.tcpInfo().sacked).toBe(3);
    const server = listenOnNet(peers.server(net.createServer()), socket, { backlog: 7 });
    await once(server, 'listening');
    expect(borrow(server).tcpInfo().sacked).toBe(7);
  });

  it('a bound socket that is not listening: ERR_INVALID_ARG_VALUE, stays owned and unlistened', () => {
    const s = tcpSocket(sockets);
    s.bind(inet('127.0.0.1', 0));
    const server = peers.server(net.createServer());
    expectArgError(() => listenOnNet(server, s), 'ERR_INVALID_ARG_VALUE');
    expect(s.closed).toBe(false);
    expect(s.getOption('SO_ACCEPTCONN')).toBe(false);
    expect(server.listening).toBe(false);
  });

  it('a UDP socket: ERR_INVALID_ARG_VALUE, stays owned', () => {
    const s = sockets.add(Socket.create(c.AF_INET, c.SOCK_DGRAM));
    s.bind(inet('127.0.0.1', 0));
    expectArgError(() => listenOnNet(peers.server(net.createServer()), s), 'ERR_INVALID_ARG_VALUE');
    expect(s.closed).toBe(false);
  });

  it('a server that already listens: ERR_SERVER_ALREADY_LISTEN, the socket stays owned', async () => {
    const { server } = await netListener();
    const { socket } = reusePortListener();
    const err = thrown(() => listenOnNet(server, socket));
    expect((err as { code?: unknown }).code).toBe('ERR_SERVER_ALREADY_LISTEN');
    expect(socket.closed).toBe(false);
    expect(socket.getOption('SO_ACCEPTCONN')).toBe(true);
  });

  it('bad arguments are refused before ownership moves', () => {
    const { socket } = reusePortListener();
    const server = peers.server(net.createServer());
    expectArgError(() => listenOnNet({} as net.Server, socket), 'ERR_INVALID_ARG_TYPE');
    expectArgError(() => listenOnNet(server, {} as Socket), 'ERR_INVALID_ARG_TYPE');
    expectArgError(() => listenOnNet(server, socket, { backlog: 1.5 }), 'ERR_OUT_OF_RANGE');
    expectArgError(() => listenOnNet(server, socket, { backlog: 0 }), 'ERR_OUT_OF_RANGE');
    expect(socket.closed).toBe(false);
  });
});

describe('the interop examples run', () => {
  function run(file: string): string[] {
    const r = spawnSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', timeout: 15_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout.trim().split('\n');
  }

  it('examples/interop-user-timeout.ts: options set through borrow() read back on live requests', () => {
    const lines = run('examples/interop-user-timeout.ts');
    expect(lines[0]).toMatch(/^http server on 127\.0\.0\.1:\d+$/);
    const requests = lines.filter((l) => l.startsWith('request '));
    expect(requests).toHaveLength(2);
    for (const l of requests) {
      expect(l).toContain('TCP_USER_TIMEOUT 10000 ms');
      expect(l).toContain('SO_KEEPALIVE true');
      expect(l).toContain('TCP_KEEPIDLE 30 s');
      expect(l).toContain('TCP_INFO state ESTABLISHED');
    }
    expect(lines.filter((l) => l.startsWith('after close: EBADF'))).toHaveLength(2);
    expect(lines.filter((l) => /^response \d: 200 hello from \/\d$/.test(l))).toHaveLength(2);
    expect(lines.at(-1)).toBe('done');
  });

  it('examples/interop-reuseport.ts: two handed-over SO_REUSEPORT listeners share 40 connections', () => {
    const lines = run('examples/interop-reuseport.ts');
    const servers = lines.filter((l) => /^server [AB]: net\.Server on 127\.0\.0\.1:\d+, SO_REUSEPORT true/.test(l));
    expect(servers).toHaveLength(2);
    expect(servers[0]!.match(/:(\d+),/)![1]).toBe(servers[1]!.match(/:(\d+),/)![1]); // the same port
    expect(lines).toContain('syssock Sockets after the hand-over: closed true and true (net owns the fds)');
    const spread = lines.find((l) => l.startsWith('40 connections:'));
    const [, a, b] = spread!.match(/A accepted (\d+), B accepted (\d+)$/)!;
    expect(Number(a) + Number(b)).toBe(40);
    expect(lines).toContain(`clients were answered by A ${a} times, by B ${b} times`);
    expect(lines.at(-1)).toBe('done');
  });
});
