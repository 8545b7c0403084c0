// Nonblocking TCP on loopback: the kernel's EAGAIN and EINPROGRESS, seen through Socket (as a
// SocketError) and through the raw layer (as -errno), and how a nonblocking connect's outcome is
// read afterwards (poll for POLLOUT, then SO_ERROR, which is read-and-clear).
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, SocketError, constant, constants, errnoName, sys } from '../lib/index.js';
import { closedPort, listener, Sockets } from './helpers/peers.js';
import {
  WAIT_MS,
  connectNonBlocking,
  expectCode,
  expectThrows,
  hasAll,
  hasNone,
  nonBlockingPair,
  tcpSocket,
  waitFor,
  waitForFd,
} from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** A raw nonblocking AF_INET stream fd, owned by a Socket in `sockets` so afterEach closes it. */
function rawNonBlockingFd(): number {
  const fd = sys.socket(constant('AF_INET'), constant('SOCK_STREAM') | constant('SOCK_NONBLOCK'), 0);
  expect(fd).toBeGreaterThanOrEqual(0);
  return sockets.add(Socket.fromFd(fd)).fd;
}

describe('EAGAIN', () => {
  it('EAGAIN and EWOULDBLOCK are the same errno, named EAGAIN', () => {
    expect(constants.EAGAIN).toBeDefined();
    expect(constants.EWOULDBLOCK).toBe(constants.EAGAIN);
    expect(errnoName(constant('EWOULDBLOCK'))).toBe('EAGAIN');
  });

  it('Socket.recv on a nonblocking connected socket with no data throws EAGAIN', () => {
    const [client] = nonBlockingPair(sockets);
    const err = expectThrows(() => client.recv(Buffer.alloc(16)), 'EAGAIN', 'recv');
    expect(err.message).toMatch(/^recv EAGAIN \(/);
  });

  it('sys.recv on a nonblocking connected fd with no data returns -EAGAIN', () => {
    const { address } = listener(sockets);
    const fd = rawNonBlockingFd();
    const rc = sys.connect(fd, address as sys.RawAddress);
    expect([0, -constant('EINPROGRESS')]).toContain(rc);
    waitForFd(fd, constant('POLLOUT'));
    expect(sys.recv(fd, Buffer.alloc(16), 0, 16, 0)).toBe(-constant('EAGAIN'));
  });

  it('Socket.accept on a nonblocking listener with nothing queued throws EAGAIN', () => {
    const { socket: server } = listener(sockets, { nonBlocking: true });
    expectThrows(() => server.accept(), 'EAGAIN', 'accept4');
  });

  it('Socket.acceptRaw on a nonblocking listener with nothing queued throws EAGAIN from accept(2)', () => {
    const { socket: server } = listener(sockets, { nonBlocking: true });
    expectThrows(() => server.acceptRaw(), 'EAGAIN', 'accept');
  });

  it('sys.accept on a nonblocking listener with nothing queued returns -EAGAIN', () => {
    const { socket: server } = listener(sockets, { nonBlocking: true });
    expect(sys.accept(server.fd, null)).toBe(-constant('EAGAIN'));
  });
});

describe('nonblocking connect to a listener', () => {
  it('reports EINPROGRESS (or completes at once) instead of waiting for the handshake', () => {
    const { address } = listener(sockets);
    const client = tcpSocket(sockets, constant('SOCK_NONBLOCK'));
    const outcome = connectNonBlocking(client, address);
    expect(['EINPROGRESS', 'connected']).toContain(outcome.path);
    if (outcome.path === 'EINPROGRESS') {
      expectCode(outcome.error, 'EINPROGRESS', 'connect');
      expect(outcome.error.address).toBe('127.0.0.1');
      expect(outcome.error.port).toBe(address.port);
    }
  });

  it('becomes writable without POLLERR/POLLHUP, and SO_ERROR then reads 0', () => {
    const { address } = listener(sockets);
    const client = tcpSocket(sockets, constant('SOCK_NONBLOCK'));
    expect(connectNonBlocking(client, address).path).not.toBe('failed');
    const revents = waitFor(client, constant('POLLOUT'));
    expect(hasAll(revents, 'POLLOUT')).toBe(true);
    expect(hasNone(revents, 'POLLERR', 'POLLHUP')).toBe(true);
    expect(client.getOption('SO_ERROR')).toBe(0);
  });

  it('sys.connect returns -EINPROGRESS (or 0) on a raw nonblocking fd', () => {
    const { address } = listener(sockets);
    const fd = rawNonBlockingFd();
    expect([0, -constant('EINPROGRESS')]).toContain(sys.connect(fd, address as sys.RawAddress));
  });

  it('is connected afterwards: getpeername names the listener', () => {
    const { address } = listener(sockets);
    const client = tcpSocket(sockets, constant('SOCK_NONBLOCK'));
    expect(connectNonBlocking(client, address).path).not.toBe('failed');
    waitFor(client, constant('POLLOUT'));
    expect(client.getpeername()).toEqual(address);
  });
});

describe('nonblocking connect to a closed port', () => {
  /**
   * The nonblocking connect and, on the EINPROGRESS path, the poll that waits for its outcome.
   * Linux reports the RST either later (EINPROGRESS, then POLLERR and SO_ERROR) or, in
   * principle, at once (connect fails with ECONNREFUSED); the tests accept exactly these two.
   */
  function refusedConnect() {
    const address = closedPort(sockets);
    const client = tcpSocket(sockets, constant('SOCK_NONBLOCK'));
    const outcome = connectNonBlocking(client, address);
    expect(['EINPROGRESS', 'failed']).toContain(outcome.path);
    const revents = client.poll(constant('POLLOUT'), WAIT_MS);
    return { client, address, outcome, revents };
  }

  it('fails with ECONNREFUSED: via EINPROGRESS + SO_ERROR, or directly from connect', () => {
    const { client, address, outcome } = refusedConnect();
    if (outcome.path === 'EINPROGRESS') {
      expectCode(outcome.error, 'EINPROGRESS', 'connect');
      expect(client.getOption('SO_ERROR')).toBe(constant('ECONNREFUSED'));
    } else {
      expect(outcome.path).toBe('failed');
      if (outcome.path !== 'failed') return;
      expectCode(outcome.error, 'ECONNREFUSED', 'connect');
      expect(outcome.error.message).toContain(`127.0.0.1:${address.port}`);
      // connect consumed the pending error, so SO_ERROR has nothing left.
      expect(client.getOption('SO_ERROR')).toBe(0);
    }
  });

  it('SO_ERROR is read-and-clear: the second read gives 0', () => {
    const { client, outcome } = refusedConnect();
    const first = client.getOption('SO_ERROR');
    const second = client.getOption('SO_ERROR');
    expect(first).toBe(outcome.path === 'EINPROGRESS' ? constant('ECONNREFUSED') : 0);
    expect(second).toBe(0);
  });

  it('poll reports POLLOUT with POLLHUP, and POLLERR while the error is pending', () => {
    const { outcome, revents } = refusedConnect();
    expect(hasAll(revents, 'POLLOUT', 'POLLHUP')).toBe(true);
    // POLLERR mirrors the pending socket error: set until connect or SO_ERROR consumes it.
    expect(hasAll(revents, 'POLLERR')).toBe(outcome.path === 'EINPROGRESS');
  });

  it('POLLERR clears once SO_ERROR has been read; POLLHUP stays', () => {
    const { client } = refusedConnect();
    client.getOption('SO_ERROR');
    const after = client.poll(constant('POLLOUT'), 0);
    expect(hasAll(after, 'POLLOUT', 'POLLHUP')).toBe(true);
    expect(hasNone(after, 'POLLERR')).toBe(true);
  });

  it('sys.connect returns -EINPROGRESS (or -ECONNREFUSED) and sys.getsockopt(SO_ERROR) writes ECONNREFUSED', () => {
    const address = closedPort(sockets);
    const fd = rawNonBlockingFd();
    const rc = sys.connect(fd, address as sys.RawAddress);
    expect([-constant('EINPROGRESS'), -constant('ECONNREFUSED')]).toContain(rc);
    waitForFd(fd, constant('POLLOUT'));
    const optval = new Int32Array(1);
    expect(sys.getsockopt(fd, constant('SOL_SOCKET'), constant('SO_ERROR'), optval)).toBe(optval.byteLength);
    expect(optval[0]).toBe(rc === -constant('EINPROGRESS') ? constant('ECONNREFUSED') : 0);
  });
});

describe('nonblocking send', () => {
  it('accepts the bytes while the send buffer has room, and the peer reads them', () => {
    const [client, server] = nonBlockingPair(sockets);
    expect(client.send('ping')).toBe(4);
    waitFor(server, constant('POLLIN'));
    const buf = Buffer.alloc(8);
    expect(server.recv(buf)).toBe(4);
    expect(buf.subarray(0, 4).toString()).toBe('ping');
  });

  it('throws EAGAIN once the peer stops reading and both buffers are full', () => {
    const [client, server] = nonBlockingPair(sockets);
    // Fixed (non-autotuned) buffers keep the capacity small; the loop is bounded in any case.
    client.setOption('SO_SNDBUF', 65536);
    server.setOption('SO_RCVBUF', 65536);
    const chunk = Buffer.alloc(65536);
    let accepted = 0;
    let error: unknown;
    for (let i = 0; i < 1000 && error === undefined; i++) {
      try {
        accepted += client.send(chunk);
      } catch (e) {
        error = e;
      }
    }
    expect(error, 'send never hit EAGAIN within 1000 chunks').toBeDefined();
    expectCode(error as SocketError, 'EAGAIN', 'send');
    expect(accepted).toBeGreaterThan(0);
    // The writer is not writable now: POLLOUT is not reported.
    expect(hasNone(client.poll(constant('POLLOUT'), 0), 'POLLOUT')).toBe(true);
  });

  it('sys.send returns -EAGAIN (not a throw) when the send buffer is full', () => {
    const [client, server] = nonBlockingPair(sockets);
    client.setOption('SO_SNDBUF', 65536);
    server.setOption('SO_RCVBUF', 65536);
    const chunk = Buffer.alloc(65536);
    let rc = 0;
    for (let i = 0; i < 1000 && rc >= 0; i++) rc = sys.send(client.fd, chunk, 0, chunk.length, 0);
    expect(rc).toBe(-constant('EAGAIN'));
  });
});
