// O_NONBLOCK and FD_CLOEXEC as the kernel reports them (fcntl F_GETFL / F_GETFD): which calls set
// them, which do not, and what an accepted fd inherits from its listener (nothing, on Linux).
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constant, sys } from '../lib/index.js';
import { listener, Sockets } from './helpers/peers.js';
import { cloexecFlag, nonBlockingFlag, tcpSocket, waitAcceptable } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** A nonblocking listener with one connection queued (the client is blocking and connected). */
function nonBlockingListenerWithPending(): Socket {
  const { socket: server, address } = listener(sockets, { nonBlocking: true });
  tcpSocket(sockets).connect(address);
  waitAcceptable(server);
  expect(nonBlockingFlag(server)).toBe(true);
  return server;
}

describe('O_NONBLOCK', () => {
  it('socket() with SOCK_NONBLOCK sets O_NONBLOCK', () => {
    const s = tcpSocket(sockets, constant('SOCK_NONBLOCK'));
    expect(nonBlockingFlag(s)).toBe(true);
    expect(s.isNonBlocking()).toBe(true);
  });

  it('socket() without SOCK_NONBLOCK leaves the fd blocking', () => {
    const s = tcpSocket(sockets);
    expect(nonBlockingFlag(s)).toBe(false);
    expect(s.isNonBlocking()).toBe(false);
  });

  it('setNonBlocking(true) sets O_NONBLOCK and setNonBlocking(false) clears it', () => {
    const s = tcpSocket(sockets);
    s.setNonBlocking(true);
    expect(nonBlockingFlag(s)).toBe(true);
    s.setNonBlocking(false);
    expect(nonBlockingFlag(s)).toBe(false);
  });

  it('setNonBlocking keeps the other file status flags', () => {
    const s = tcpSocket(sockets);
    const before = s.fcntl(constant('F_GETFL'));
    s.setNonBlocking(true);
    expect(s.fcntl(constant('F_GETFL'))).toBe(before | constant('O_NONBLOCK'));
    s.setNonBlocking(false);
    expect(s.fcntl(constant('F_GETFL'))).toBe(before);
  });

  it('ioctl(FIONBIO, 1) sets O_NONBLOCK and ioctl(FIONBIO, 0) clears it', () => {
    const s = tcpSocket(sockets);
    s.ioctl(constant('FIONBIO'), 1);
    expect(nonBlockingFlag(s)).toBe(true);
    s.ioctl(constant('FIONBIO'), 0);
    expect(nonBlockingFlag(s)).toBe(false);
  });

  it('sys.ioctl(FIONBIO) returns 0 and sets O_NONBLOCK on a raw fd', () => {
    const s = tcpSocket(sockets);
    expect(sys.ioctl(s.fd, constant('FIONBIO'), new Int32Array([1]))).toBe(0);
    expect(sys.fcntl(s.fd, constant('F_GETFL')) & constant('O_NONBLOCK')).toBe(constant('O_NONBLOCK'));
  });

  it('Socket.accept on a nonblocking listener returns a blocking fd (O_NONBLOCK is not inherited)', () => {
    const server = nonBlockingListenerWithPending();
    const accepted = sockets.add(server.accept().socket);
    expect(nonBlockingFlag(accepted)).toBe(false);
  });

  it('accept(2) itself (acceptRaw) does not inherit O_NONBLOCK either', () => {
    const server = nonBlockingListenerWithPending();
    const accepted = sockets.add(server.acceptRaw().socket);
    expect(nonBlockingFlag(accepted)).toBe(false);
  });

  it('accept4(SOCK_NONBLOCK) returns a nonblocking fd', () => {
    const server = nonBlockingListenerWithPending();
    const accepted = sockets.add(server.accept4(constant('SOCK_NONBLOCK')).socket);
    expect(nonBlockingFlag(accepted)).toBe(true);
  });

  it('accept4(SOCK_NONBLOCK) on a blocking listener still returns a nonblocking fd', () => {
    const { socket: server, address } = listener(sockets);
    tcpSocket(sockets).connect(address);
    waitAcceptable(server);
    const accepted = sockets.add(server.accept4(constant('SOCK_NONBLOCK')).socket);
    expect(nonBlockingFlag(server)).toBe(false);
    expect(nonBlockingFlag(accepted)).toBe(true);
  });
});

describe('FD_CLOEXEC', () => {
  it('Socket.create sets FD_CLOEXEC', () => {
    const s = sockets.add(Socket.create(constant('AF_INET'), constant('SOCK_STREAM')));
    expect(cloexecFlag(s)).toBe(true);
  });

  it('Socket.createRaw does not set FD_CLOEXEC', () => {
    const s = sockets.add(Socket.createRaw(constant('AF_INET'), constant('SOCK_STREAM')));
    expect(cloexecFlag(s)).toBe(false);
  });

  it('Socket.createRaw with SOCK_CLOEXEC sets exactly that', () => {
    const s = sockets.add(Socket.createRaw(constant('AF_INET'), constant('SOCK_STREAM') | constant('SOCK_CLOEXEC')));
    expect(cloexecFlag(s)).toBe(true);
    expect(nonBlockingFlag(s)).toBe(false);
  });

  it('sys.socket adds no flag: neither FD_CLOEXEC nor O_NONBLOCK', () => {
    const fd = sys.socket(constant('AF_INET'), constant('SOCK_STREAM'), 0);
    expect(fd).toBeGreaterThanOrEqual(0);
    const s = sockets.add(Socket.fromFd(fd));
    expect(cloexecFlag(s)).toBe(false);
    expect(nonBlockingFlag(s)).toBe(false);
  });

  it('Socket.pair sets FD_CLOEXEC on both ends', () => {
    const [a, b] = Socket.pair(constant('AF_UNIX'), constant('SOCK_STREAM'));
    sockets.add(a);
    sockets.add(b);
    expect(cloexecFlag(a)).toBe(true);
    expect(cloexecFlag(b)).toBe(true);
  });

  it('Socket.accept sets FD_CLOEXEC on the accepted fd', () => {
    const { socket: server, address } = listener(sockets);
    tcpSocket(sockets).connect(address);
    waitAcceptable(server);
    const accepted = sockets.add(server.accept().socket);
    expect(cloexecFlag(accepted)).toBe(true);
  });

  it('Socket.acceptRaw does not set FD_CLOEXEC, even when the listener has it', () => {
    const { socket: server, address } = listener(sockets);
    tcpSocket(sockets).connect(address);
    waitAcceptable(server);
    const accepted = sockets.add(server.acceptRaw().socket);
    expect(cloexecFlag(server)).toBe(true);
    expect(cloexecFlag(accepted)).toBe(false);
  });

  it('fcntl(F_SETFD, 0) clears FD_CLOEXEC and it reads back cleared', () => {
    const s = tcpSocket(sockets);
    expect(s.fcntl(constant('F_SETFD'), 0)).toBe(0);
    expect(cloexecFlag(s)).toBe(false);
  });
});
