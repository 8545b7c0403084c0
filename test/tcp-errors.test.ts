// The errno the kernel gives for TCP's failure cases, exactly: ECONNREFUSED, EADDRINUSE,
// ECONNRESET then EOF then EPIPE after a reset, EPIPE/ENOTCONN on a socket that never connected,
// EOPNOTSUPP for listen on UDP, and what shutdown(SHUT_WR) allows afterwards.
import { getSystemErrorName } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constant, inet, sys } from '../lib/index.js';
import { closedPort, listener, Sockets, tcpPair } from './helpers/peers.js';
import { expectCode, expectThrows, hasAll, tcpSocket, thrown, waitFor } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

describe('connect', () => {
  it('a blocking connect to a closed port throws ECONNREFUSED with the address', () => {
    const address = closedPort(sockets);
    const s = tcpSocket(sockets);
    const err = expectThrows(() => s.connect(address), 'ECONNREFUSED', 'connect');
    expect(err.address).toBe('127.0.0.1');
    expect(err.port).toBe(address.port);
    expect(err.message).toContain(`127.0.0.1:${address.port}`);
  });

  it('sys.connect (blocking) to a closed port returns -ECONNREFUSED', () => {
    const address = closedPort(sockets);
    const s = tcpSocket(sockets);
    expect(sys.connect(s.fd, address as sys.RawAddress)).toBe(-constant('ECONNREFUSED'));
  });

  it('the SocketError matches what Node calls the same errno', () => {
    const address = closedPort(sockets);
    const err = thrown(() => tcpSocket(sockets).connect(address));
    expect(getSystemErrorName(err.errno)).toBe(err.code);
  });
});

describe('bind', () => {
  it('bind to a port a listener holds throws EADDRINUSE with address and port', () => {
    const { address } = listener(sockets);
    const s = tcpSocket(sockets);
    const err = expectThrows(() => s.bind(inet('127.0.0.1', address.port)), 'EADDRINUSE', 'bind');
    expect(err.address).toBe('127.0.0.1');
    expect(err.port).toBe(address.port);
    expect(err.message).toContain(`127.0.0.1:${address.port}`);
  });

  it('SO_REUSEADDR on both sockets does not let a second socket bind a listening port', () => {
    const { address } = listener(sockets); // the helper sets SO_REUSEADDR on the listener
    const s = tcpSocket(sockets);
    s.setOption('SO_REUSEADDR', true);
    expectThrows(() => s.bind(inet('127.0.0.1', address.port)), 'EADDRINUSE', 'bind');
  });

  it('sys.bind to a busy port returns -EADDRINUSE', () => {
    const { address } = listener(sockets);
    const s = tcpSocket(sockets);
    expect(sys.bind(s.fd, inet('127.0.0.1', address.port) as sys.RawAddress)).toBe(-constant('EADDRINUSE'));
  });

  it('binding an already bound socket again throws EINVAL', () => {
    const s = tcpSocket(sockets);
    s.bind(inet('127.0.0.1', 0));
    expectThrows(() => s.bind(inet('127.0.0.1', 0)), 'EINVAL', 'bind');
  });
});

describe('after the peer resets the connection (SO_LINGER 0)', () => {
  /** A connected pair whose client closed with linger {on, 0}: returns the survivor once the RST arrived. */
  function resetSurvivor(): Socket {
    const [client, server] = tcpPair(sockets);
    client.setOption('SO_LINGER', { onoff: true, linger: 0 });
    expect(client.getOption('SO_LINGER')).toEqual({ onoff: true, linger: 0 });
    client.close();
    const revents = waitFor(server, constant('POLLIN'));
    expect(hasAll(revents, 'POLLERR')).toBe(true);
    return server;
  }

  it('recv throws ECONNRESET', () => {
    const server = resetSurvivor();
    expectThrows(() => server.recv(Buffer.alloc(16)), 'ECONNRESET', 'recv');
  });

  it('the reset is reported once: the next recv returns 0 (end of stream)', () => {
    const server = resetSurvivor();
    expectThrows(() => server.recv(Buffer.alloc(16)), 'ECONNRESET', 'recv');
    expect(server.recv(Buffer.alloc(16))).toBe(0);
  });

  it('send after the reported reset throws EPIPE', () => {
    const server = resetSurvivor();
    expectThrows(() => server.recv(Buffer.alloc(16)), 'ECONNRESET', 'recv');
    expectThrows(() => server.send('x', constant('MSG_NOSIGNAL')), 'EPIPE', 'send');
  });

  it('a send that comes first receives the pending ECONNRESET instead, and recv then sees 0', () => {
    const server = resetSurvivor();
    expectThrows(() => server.send('x', constant('MSG_NOSIGNAL')), 'ECONNRESET', 'send');
    expect(server.recv(Buffer.alloc(16))).toBe(0);
  });

  it('SO_ERROR holds ECONNRESET until read, after which recv returns 0', () => {
    const server = resetSurvivor();
    expect(server.getOption('SO_ERROR')).toBe(constant('ECONNRESET'));
    expect(server.recv(Buffer.alloc(16))).toBe(0);
  });

  it('the survivor is in state CLOSE', () => {
    const server = resetSurvivor();
    expect(server.tcpInfo().state).toBe(constant('TCP_CLOSE'));
  });
});

describe('a TCP socket that never connected', () => {
  it('send throws EPIPE (MSG_NOSIGNAL: no SIGPIPE)', () => {
    const s = tcpSocket(sockets);
    expectThrows(() => s.send('x', constant('MSG_NOSIGNAL')), 'EPIPE', 'send');
  });

  it('sys.send returns -EPIPE', () => {
    const s = tcpSocket(sockets);
    expect(sys.send(s.fd, Buffer.from('x'), 0, 1, constant('MSG_NOSIGNAL'))).toBe(-constant('EPIPE'));
  });

  it('recv throws ENOTCONN (and does not block, even on a blocking socket)', () => {
    const s = tcpSocket(sockets);
    expect(s.isNonBlocking()).toBe(false);
    expectThrows(() => s.recv(Buffer.alloc(16)), 'ENOTCONN', 'recv');
  });

  it('getpeername throws ENOTCONN', () => {
    const s = tcpSocket(sockets);
    expectThrows(() => s.getpeername(), 'ENOTCONN', 'getpeername');
  });

  it('shutdown throws ENOTCONN', () => {
    const s = tcpSocket(sockets);
    expectThrows(() => s.shutdown(constant('SHUT_WR')), 'ENOTCONN', 'shutdown');
  });

  it('a listener is not connected either: recv throws ENOTCONN', () => {
    const { socket: server } = listener(sockets);
    expectThrows(() => server.recv(Buffer.alloc(16)), 'ENOTCONN', 'recv');
  });
});

describe('listen on a UDP socket', () => {
  it('throws errno EOPNOTSUPP, which Node (and syssock) names ENOTSUP', () => {
    const u = sockets.add(Socket.create(constant('AF_INET'), constant('SOCK_DGRAM')));
    const err = thrown(() => u.listen(1));
    expect(constant('EOPNOTSUPP')).toBe(constant('ENOTSUP'));
    expect(err.errno).toBe(-constant('EOPNOTSUPP'));
    expectCode(err, 'ENOTSUP', 'listen');
    expect(getSystemErrorName(err.errno)).toBe('ENOTSUP');
  });

  it('sys.listen returns -EOPNOTSUPP', () => {
    const u = sockets.add(Socket.create(constant('AF_INET'), constant('SOCK_DGRAM')));
    expect(sys.listen(u.fd, 1)).toBe(-constant('EOPNOTSUPP'));
  });
});

describe('shutdown(SHUT_WR)', () => {
  /** A pair where the client sent `data` and then shut down its writing side. */
  function halfClosed(data: string): [Socket, Socket] {
    const [client, server] = tcpPair(sockets);
    expect(client.send(data)).toBe(data.length);
    client.shutdown(constant('SHUT_WR'));
    return [client, server];
  }

  it('the peer reads the data, then 0 (end of stream)', () => {
    const [, server] = halfClosed('last words');
    const buf = Buffer.alloc(64);
    waitFor(server, constant('POLLIN'));
    expect(server.recv(buf)).toBe('last words'.length);
    expect(buf.subarray(0, 'last words'.length).toString()).toBe('last words');
    waitFor(server, constant('POLLIN')); // readable again: the FIN
    expect(server.recv(buf)).toBe(0);
  });

  it('the peer can still send back, and the half-closed side receives it', () => {
    const [client, server] = halfClosed('q');
    expect(server.send('answer')).toBe(6);
    waitFor(client, constant('POLLIN'));
    const buf = Buffer.alloc(16);
    expect(client.recv(buf)).toBe(6);
    expect(buf.subarray(0, 6).toString()).toBe('answer');
  });

  it('our own send after SHUT_WR throws EPIPE', () => {
    const [client] = halfClosed('q');
    expectThrows(() => client.send('more', constant('MSG_NOSIGNAL')), 'EPIPE', 'send');
  });

  it('the peer sees POLLIN with POLLRDHUP once the FIN has arrived and the data is read', () => {
    const [, server] = halfClosed('x');
    waitFor(server, constant('POLLIN'));
    expect(server.recv(Buffer.alloc(8))).toBe(1);
    const revents = waitFor(server, constant('POLLIN') | constant('POLLRDHUP'));
    expect(hasAll(revents, 'POLLIN', 'POLLRDHUP')).toBe(true);
  });

  it('the peer moves to CLOSE_WAIT once the FIN has arrived', () => {
    const [, server] = halfClosed('x');
    waitFor(server, constant('POLLIN'));
    expect(server.recv(Buffer.alloc(8))).toBe(1);
    waitFor(server, constant('POLLRDHUP'));
    expect(server.tcpInfo().state).toBe(constant('TCP_CLOSE_WAIT'));
  });
});
