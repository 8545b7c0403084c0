// UDP over 127.0.0.1: addresses on sendto/recvfrom, datagram truncation and MSG_TRUNC, connected
// sockets, ICMP port unreachable surfacing as ECONNREFUSED on a connected socket only, and
// dissolving the association with AF_UNSPEC. Every socket is nonblocking; every wait is a
// bounded poll.
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constants as c, inet, sys, unspec, type InetAddress } from '../lib/index.js';
import { WAIT_MS, closedUdpPort, expectErrno, udp4 } from './helpers/net.js';
import { Sockets } from './helpers/peers.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** Waits (bounded) until `socket` has a datagram queued; fails the test otherwise. */
function readable(socket: Socket): void {
  expect(socket.poll(c.POLLIN!, WAIT_MS) & c.POLLIN!).toBe(c.POLLIN);
}

/** Two bound UDP sockets on 127.0.0.1. */
function udpPeers() {
  const a = udp4(sockets);
  const b = udp4(sockets);
  return { a: a.socket, aAddr: a.address, b: b.socket, bAddr: b.address };
}

describe('sendto / recvfrom', () => {
  it('sendto returns the datagram length and recvfrom the same count', () => {
    const { a, b, bAddr } = udpPeers();
    expect(a.sendto('datagram', bAddr)).toBe(8);
    readable(b);
    const buf = Buffer.alloc(64);
    const got = b.recvfrom(buf);
    expect(got.bytes).toBe(8);
    expect(buf.subarray(0, got.bytes).toString()).toBe('datagram');
  });

  it("recvfrom reports the sender's address exactly (family, address, port)", () => {
    const { a, aAddr, b, bAddr } = udpPeers();
    a.sendto('x', bAddr);
    readable(b);
    expect(b.recvfrom(Buffer.alloc(8)).address).toEqual(aAddr);
  });

  it('the raw recvfrom writes the sender into the caller object', () => {
    const { a, aAddr, b, bAddr } = udpPeers();
    expect(sys.sendto(a.fd, Buffer.from('x'), 0, 1, 0, bAddr)).toBe(1);
    readable(b);
    const source = {} as sys.RawAddress;
    expect(sys.recvfrom(b.fd, Buffer.alloc(8), 0, 8, 0, source)).toBe(1);
    expect(source).toEqual(aAddr);
  });

  it('an unbound sender is bound implicitly by sendto, and the receiver sees that port', () => {
    const { socket: b, address: bAddr } = udp4(sockets);
    const a = sockets.add(Socket.create(c.AF_INET!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
    a.sendto('x', bAddr);
    const local = a.getsockname() as InetAddress;
    expect(local.port).toBeGreaterThan(0);
    readable(b);
    expect((b.recvfrom(Buffer.alloc(8)).address as InetAddress).port).toBe(local.port);
  });

  it('a zero-length datagram is a datagram: recv returns 0 and the queue is then empty', () => {
    const { a, b, bAddr } = udpPeers();
    expect(a.sendto(Buffer.alloc(0), bAddr)).toBe(0);
    readable(b);
    expect(b.recv(Buffer.alloc(8))).toBe(0);
    expectErrno(() => b.recv(Buffer.alloc(8)), 'EAGAIN', 'recv');
  });

  it('recv on an empty nonblocking UDP socket is EAGAIN (raw: -EAGAIN)', () => {
    const { socket } = udp4(sockets);
    expect(sys.recv(socket.fd, Buffer.alloc(8), 0, 8, 0)).toBe(-c.EAGAIN!);
  });
});

describe('truncation', () => {
  it('a datagram read into a smaller buffer returns the buffer size and its first bytes', () => {
    const { a, b, bAddr } = udpPeers();
    a.sendto('0123456789', bAddr);
    readable(b);
    const small = Buffer.alloc(4);
    expect(b.recv(small)).toBe(small.length);
    expect(small.toString()).toBe('0123');
  });

  it('the rest of a truncated datagram is discarded: the next recv gets the NEXT datagram', () => {
    const { a, b, bAddr } = udpPeers();
    a.sendto('0123456789', bAddr);
    a.sendto('next', bAddr);
    readable(b);
    expect(b.recv(Buffer.alloc(4))).toBe(4);
    readable(b);
    const buf = Buffer.alloc(64);
    const n = b.recv(buf);
    expect(buf.subarray(0, n).toString()).toBe('next');
  });

  it('the rest of a truncated datagram is discarded: with nothing else queued, the next recv is EAGAIN', () => {
    const { a, b, bAddr } = udpPeers();
    a.sendto('0123456789', bAddr);
    readable(b);
    expect(b.recv(Buffer.alloc(4))).toBe(4);
    expectErrno(() => b.recv(Buffer.alloc(64)), 'EAGAIN', 'recv');
  });

  it("with MSG_TRUNC recv returns the datagram's full length, not the bytes copied", () => {
    const { a, b, bAddr } = udpPeers();
    const datagram = Buffer.from('0123456789');
    a.sendto(datagram, bAddr);
    readable(b);
    const small = Buffer.alloc(4);
    expect(b.recv(small, c.MSG_TRUNC!)).toBe(datagram.length);
    expect(small.toString()).toBe('0123');
  });

  it('with MSG_TRUNC | MSG_PEEK into an empty buffer: the length of the next datagram, still queued', () => {
    const { a, b, bAddr } = udpPeers();
    const datagram = Buffer.from('0123456789');
    a.sendto(datagram, bAddr);
    readable(b);
    expect(b.recv(Buffer.alloc(0), c.MSG_TRUNC! | c.MSG_PEEK!)).toBe(datagram.length);
    expect(b.recv(Buffer.alloc(64))).toBe(datagram.length);
  });

  it('FIONREAD on a UDP socket is the size of the next datagram, not of the whole queue', () => {
    const { a, b, bAddr } = udpPeers();
    a.sendto('0123456789', bAddr);
    a.sendto('abc', bAddr);
    readable(b);
    expect(b.recvQueue()).toBe(10);
  });
});

describe('connected UDP', () => {
  it('send and recv need no address once both sides are connected', () => {
    const { a, aAddr, b, bAddr } = udpPeers();
    a.connect(bAddr);
    b.connect(aAddr);
    expect(a.send('ping')).toBe(4);
    readable(b);
    const buf = Buffer.alloc(8);
    expect(b.recv(buf)).toBe(4);
    expect(buf.subarray(0, 4).toString()).toBe('ping');
  });

  it('getpeername of a connected UDP socket is the address it connected to', () => {
    const { a, bAddr } = udpPeers();
    a.connect(bAddr);
    expect(a.getpeername()).toEqual(bAddr);
  });

  it('sendto with a null address goes to the connected peer', () => {
    const { a, aAddr, b, bAddr } = udpPeers();
    a.connect(bAddr);
    expect(a.sendto('x', null)).toBe(1);
    readable(b);
    expect(b.recvfrom(Buffer.alloc(8)).address).toEqual(aAddr);
  });

  it('send on an unconnected UDP socket is EDESTADDRREQ', () => {
    const { socket } = udp4(sockets);
    expectErrno(() => socket.send('x'), 'EDESTADDRREQ', 'send');
  });

  it('to a closed loopback port: send succeeds (UDP does not know yet)', () => {
    const closed = closedUdpPort(sockets);
    const { socket } = udp4(sockets);
    socket.connect(closed);
    expect(socket.send('x')).toBe(1);
  });

  it('to a closed loopback port: the ICMP answer makes poll report POLLERR', () => {
    const closed = closedUdpPort(sockets);
    const { socket } = udp4(sockets);
    socket.connect(closed);
    socket.send('x');
    expect(socket.poll(c.POLLIN!, WAIT_MS) & c.POLLERR!).toBe(c.POLLERR);
  });

  it('to a closed loopback port: the next recv gives ECONNREFUSED', () => {
    const closed = closedUdpPort(sockets);
    const { socket } = udp4(sockets);
    socket.connect(closed);
    socket.send('x');
    expect(socket.poll(c.POLLIN!, WAIT_MS) & c.POLLERR!).toBe(c.POLLERR);
    expectErrno(() => socket.recv(Buffer.alloc(8)), 'ECONNREFUSED', 'recv');
  });

  it('to a closed loopback port: the raw recv returns -ECONNREFUSED', () => {
    const closed = closedUdpPort(sockets);
    const { socket } = udp4(sockets);
    socket.connect(closed);
    socket.send('x');
    expect(socket.poll(c.POLLIN!, WAIT_MS) & c.POLLERR!).toBe(c.POLLERR);
    expect(sys.recv(socket.fd, Buffer.alloc(8), 0, 8, 0)).toBe(-c.ECONNREFUSED!);
  });

  it('ECONNREFUSED is reported once: the recv after it is EAGAIN', () => {
    const closed = closedUdpPort(sockets);
    const { socket } = udp4(sockets);
    socket.connect(closed);
    socket.send('x');
    expect(socket.poll(c.POLLIN!, WAIT_MS) & c.POLLERR!).toBe(c.POLLERR);
    expectErrno(() => socket.recv(Buffer.alloc(8)), 'ECONNREFUSED', 'recv');
    expectErrno(() => socket.recv(Buffer.alloc(8)), 'EAGAIN', 'recv');
  });

  it('an unconnected socket never sees the ICMP error: recv is EAGAIN and SO_ERROR stays 0', () => {
    const closed = closedUdpPort(sockets);
    const { socket: unconnected } = udp4(sockets);
    expect(unconnected.sendto('x', closed)).toBe(1);
    // Witness: a connected socket sends to the same port after it; once its error has arrived,
    // the ICMP answer to the earlier datagram has been handled too.
    const { socket: witness } = udp4(sockets);
    witness.connect(closed);
    witness.send('x');
    expect(witness.poll(c.POLLIN!, WAIT_MS) & c.POLLERR!).toBe(c.POLLERR);
    expect(unconnected.poll(c.POLLIN!, 0)).toBe(0);
    expect(unconnected.getOption('SO_ERROR')).toBe(0);
    expectErrno(() => unconnected.recv(Buffer.alloc(8)), 'EAGAIN', 'recv');
  });

  it('connect to AF_UNSPEC dissolves the association: getpeername is then ENOTCONN', () => {
    const { a, bAddr } = udpPeers();
    a.connect(bAddr);
    expect(a.getpeername()).toEqual(bAddr);
    a.connect(unspec());
    expectErrno(() => a.getpeername(), 'ENOTCONN', 'getpeername');
  });

  it('after AF_UNSPEC, send without an address is EDESTADDRREQ again', () => {
    const { a, bAddr } = udpPeers();
    a.connect(bAddr);
    a.connect(unspec());
    expectErrno(() => a.send('x'), 'EDESTADDRREQ', 'send');
  });

  it('after AF_UNSPEC, a socket bound with port 0 loses its port (the kernel unhashes it), keeps its address', () => {
    const { a, bAddr } = udpPeers();
    a.connect(bAddr);
    a.connect(unspec());
    expect(a.getsockname()).toEqual(inet('127.0.0.1', 0));
  });
});
