// AF_UNIX: socketpair, stream sockets on a filesystem path (in a fresh temp dir, files removed
// after each test), datagram sockets and sender addresses, Linux abstract names, and the errnos
// of connecting to a missing path or to a socket that is bound but not listening.
import { existsSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Socket, abstractName, constants as c, sys, unixPath, type UnixAddress } from '../lib/index.js';
import { WAIT_MS, expectErrno, makeTempDir, removeTempDir, uniqueAbstractName } from './helpers/net.js';
import { Sockets } from './helpers/peers.js';

const sockets = new Sockets();
let dir = '';
let fileCounter = 0;

beforeAll(() => {
  dir = makeTempDir('unix');
});
afterEach(() => {
  sockets.closeAll();
  // Socket files outlive their sockets: remove what this test bound.
  for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
});
afterAll(() => removeTempDir(dir));

/** A path in the temp dir that nothing is bound to yet. */
function freshPath(label: string): string {
  fileCounter += 1;
  return join(dir, `${label}-${fileCounter}.sock`);
}

function unixSocket(type: number): Socket {
  return sockets.add(Socket.create(c.AF_UNIX!, type));
}

function readable(socket: Socket): void {
  expect(socket.poll(c.POLLIN!, WAIT_MS) & c.POLLIN!).toBe(c.POLLIN);
}

/** A listening stream socket on a fresh path. */
function streamListener(): { server: Socket; path: string } {
  const path = freshPath('listen');
  const server = unixSocket(c.SOCK_STREAM!);
  server.bind(unixPath(path));
  server.listen(4);
  return { server, path };
}

describe('socketpair', () => {
  it('moves bytes both ways over a stream pair', () => {
    const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!).map((s) => sockets.add(s));
    expect(a!.send('ab')).toBe(2);
    expect(b!.send('xyz')).toBe(3);
    const buf = Buffer.alloc(8);
    expect(b!.recv(buf)).toBe(2);
    expect(buf.subarray(0, 2).toString()).toBe('ab');
    expect(a!.recv(buf)).toBe(3);
    expect(buf.subarray(0, 3).toString()).toBe('xyz');
  });

  it('both ends are unnamed: getsockname and getpeername give AF_UNIX with an empty path', () => {
    const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!).map((s) => sockets.add(s));
    const unnamed: UnixAddress = { family: c.AF_UNIX!, path: '' };
    expect(a!.getsockname()).toEqual(unnamed);
    expect(a!.getpeername()).toEqual(unnamed);
    expect(b!.getsockname()).toEqual(unnamed);
  });

  it('the raw socketpair writes two distinct fds into the Int32Array', () => {
    const sv = new Int32Array([-1, -1]);
    expect(sys.socketpair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_CLOEXEC!, 0, sv)).toBe(0);
    sockets.add(Socket.fromFd(sv[0]!));
    sockets.add(Socket.fromFd(sv[1]!));
    expect(sv[0]).toBeGreaterThanOrEqual(0);
    expect(sv[1]).toBeGreaterThanOrEqual(0);
    expect(sv[0]).not.toBe(sv[1]);
  });

  it('a datagram pair keeps message boundaries', () => {
    const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_DGRAM!).map((s) => sockets.add(s));
    a!.send('one');
    a!.send('three');
    const buf = Buffer.alloc(16);
    expect(b!.recv(buf)).toBe(3);
    expect(b!.recv(buf)).toBe(5);
  });
});

describe('stream on a filesystem path', () => {
  it('bind creates a socket file at the path', () => {
    const path = freshPath('bind');
    unixSocket(c.SOCK_STREAM!).bind(unixPath(path));
    expect(statSync(path).isSocket()).toBe(true);
  });

  it('getsockname returns the bound path', () => {
    const { server, path } = streamListener();
    expect(server.getsockname()).toEqual(unixPath(path));
  });

  it('connect, accept and exchange bytes', () => {
    const { server, path } = streamListener();
    const client = unixSocket(c.SOCK_STREAM!);
    client.connect(unixPath(path));
    const { socket: conn } = server.accept();
    sockets.add(conn);
    client.send('hello');
    const buf = Buffer.alloc(8);
    expect(conn.recv(buf)).toBe(5);
    expect(buf.subarray(0, 5).toString()).toBe('hello');
  });

  it("the client's getpeername is the listener's path", () => {
    const { server, path } = streamListener();
    const client = unixSocket(c.SOCK_STREAM!);
    client.connect(unixPath(path));
    sockets.add(server.accept().socket);
    expect(client.getpeername()).toEqual(unixPath(path));
  });

  it('accept reports an unbound client as AF_UNIX with an empty path', () => {
    const { server, path } = streamListener();
    unixSocket(c.SOCK_STREAM!).connect(unixPath(path));
    const accepted = server.accept();
    sockets.add(accepted.socket);
    expect(accepted.address).toEqual({ family: c.AF_UNIX, path: '' });
  });

  it("accept reports a bound client's path", () => {
    const { server, path } = streamListener();
    const clientPath = freshPath('client');
    const client = unixSocket(c.SOCK_STREAM!);
    client.bind(unixPath(clientPath));
    client.connect(unixPath(path));
    const accepted = server.accept();
    sockets.add(accepted.socket);
    expect(accepted.address).toEqual(unixPath(clientPath));
  });

  it('the socket file outlives close: binding the path again is EADDRINUSE until it is unlinked', () => {
    const path = freshPath('stale');
    const first = unixSocket(c.SOCK_STREAM!);
    first.bind(unixPath(path));
    first.close();
    expect(existsSync(path)).toBe(true);
    expectErrno(() => unixSocket(c.SOCK_STREAM!).bind(unixPath(path)), 'EADDRINUSE', 'bind');
  });

  it('after unlinking the stale file the path binds again', () => {
    const path = freshPath('rebind');
    const first = unixSocket(c.SOCK_STREAM!);
    first.bind(unixPath(path));
    first.close();
    unlinkSync(path);
    const second = unixSocket(c.SOCK_STREAM!);
    second.bind(unixPath(path));
    expect(second.getsockname()).toEqual(unixPath(path));
  });

  it('a path given as bytes binds the same file', () => {
    const path = freshPath('bytes');
    const s = unixSocket(c.SOCK_STREAM!);
    s.bind({ family: c.AF_UNIX!, path: Buffer.from(path) });
    expect(s.getsockname()).toEqual(unixPath(path));
  });

  it('connecting to a missing path is ENOENT', () => {
    const client = unixSocket(c.SOCK_STREAM!);
    expectErrno(() => client.connect(unixPath(freshPath('missing'))), 'ENOENT', 'connect');
  });

  it('connecting to a path whose socket is bound but not listening is ECONNREFUSED', () => {
    const path = freshPath('notlistening');
    unixSocket(c.SOCK_STREAM!).bind(unixPath(path));
    const client = unixSocket(c.SOCK_STREAM!);
    expectErrno(() => client.connect(unixPath(path)), 'ECONNREFUSED', 'connect');
  });

  it('the SocketError carries the path it was about', () => {
    const path = freshPath('missing');
    const err = expectErrno(() => unixSocket(c.SOCK_STREAM!).connect(unixPath(path)), 'ENOENT');
    expect(err.path).toBe(path);
    expect(err.message).toContain(path);
  });
});

describe('datagram', () => {
  it('sendto a bound path delivers the datagram', () => {
    const path = freshPath('dgram');
    const receiver = unixSocket(c.SOCK_DGRAM! | c.SOCK_NONBLOCK!);
    receiver.bind(unixPath(path));
    const sender = unixSocket(c.SOCK_DGRAM!);
    expect(sender.sendto('hi', unixPath(path))).toBe(2);
    readable(receiver);
    const buf = Buffer.alloc(8);
    expect(receiver.recvfrom(buf).bytes).toBe(2);
    expect(buf.subarray(0, 2).toString()).toBe('hi');
  });

  it("recvfrom reports a bound sender's path", () => {
    const path = freshPath('dgram');
    const receiver = unixSocket(c.SOCK_DGRAM! | c.SOCK_NONBLOCK!);
    receiver.bind(unixPath(path));
    const senderPath = freshPath('sender');
    const sender = unixSocket(c.SOCK_DGRAM!);
    sender.bind(unixPath(senderPath));
    sender.sendto('hi', unixPath(path));
    readable(receiver);
    expect(receiver.recvfrom(Buffer.alloc(8)).address).toEqual(unixPath(senderPath));
  });

  it('recvfrom from an unbound sender: the kernel gives no address (length 0), reported as AF_UNSPEC without a path', () => {
    const path = freshPath('dgram');
    const receiver = unixSocket(c.SOCK_DGRAM! | c.SOCK_NONBLOCK!);
    receiver.bind(unixPath(path));
    unixSocket(c.SOCK_DGRAM!).sendto('hi', unixPath(path));
    readable(receiver);
    expect(receiver.recvfrom(Buffer.alloc(8)).address).toEqual({ family: c.AF_UNSPEC });
  });

  it('sendto a path with no socket is ENOENT', () => {
    const sender = unixSocket(c.SOCK_DGRAM!);
    expectErrno(() => sender.sendto('x', unixPath(freshPath('nobody'))), 'ENOENT', 'sendto');
  });
});

describe('abstract names', () => {
  it('binding an abstract name creates no file', () => {
    // The name is the text of a path in the (empty) temp dir, to show that no file appears there.
    const name = join(dir, 'abstract');
    unixSocket(c.SOCK_STREAM!).bind(abstractName(name));
    expect(existsSync(name)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("getsockname returns the same '\\0name', every byte of it", () => {
    const name = uniqueAbstractName('getsockname');
    const s = unixSocket(c.SOCK_STREAM!);
    s.bind(abstractName(name));
    expect(s.getsockname()).toEqual({ family: c.AF_UNIX, path: `\0${name}` });
  });

  it('a second bind to the same abstract name is EADDRINUSE', () => {
    const name = uniqueAbstractName('inuse');
    unixSocket(c.SOCK_STREAM!).bind(abstractName(name));
    expectErrno(() => unixSocket(c.SOCK_STREAM!).bind(abstractName(name)), 'EADDRINUSE', 'bind');
  });

  it('the name is released on close: binding it again succeeds without any unlink', () => {
    const name = uniqueAbstractName('release');
    unixSocket(c.SOCK_STREAM!).bind(abstractName(name));
    sockets.closeAll();
    const again = unixSocket(c.SOCK_STREAM!);
    again.bind(abstractName(name));
    expect(again.getsockname()).toEqual(abstractName(name));
  });

  it('connect, accept and exchange bytes through an abstract name', () => {
    const name = uniqueAbstractName('stream');
    const server = unixSocket(c.SOCK_STREAM!);
    server.bind(abstractName(name));
    server.listen(4);
    const client = unixSocket(c.SOCK_STREAM!);
    client.connect(abstractName(name));
    const conn = sockets.add(server.accept().socket);
    client.send('abs');
    expect(conn.recv(Buffer.alloc(8))).toBe(3);
    expect(client.getpeername()).toEqual(abstractName(name));
  });

  it('connecting to an abstract name nobody bound is ECONNREFUSED', () => {
    const client = unixSocket(c.SOCK_STREAM!);
    expectErrno(() => client.connect(abstractName(uniqueAbstractName('nobody'))), 'ECONNREFUSED', 'connect');
  });

  it('an abstract name is its exact bytes: a trailing NUL makes a different name', () => {
    const name = uniqueAbstractName('exact');
    unixSocket(c.SOCK_DGRAM!).bind(abstractName(name));
    const other = unixSocket(c.SOCK_DGRAM!);
    other.bind(abstractName(`${name}\0`));
    expect(other.getsockname()).toEqual(abstractName(`${name}\0`));
  });
});
