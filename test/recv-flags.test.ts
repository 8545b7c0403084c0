// recv(2)'s flags and timeout on a loopback TCP pair: MSG_PEEK leaves the bytes queued,
// MSG_WAITALL waits for the full count (short only at EOF, a signal or a timeout), MSG_DONTWAIT
// makes one call nonblocking without touching O_NONBLOCK, and SO_RCVTIMEO bounds a blocking recv
// with EAGAIN. Every blocking recv here either has its data already queued or an SO_RCVTIMEO.
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constant, sys } from '../lib/index.js';
import { Sockets, tcpPair } from './helpers/peers.js';
import { WAIT_MS, expectThrows, nonBlockingFlag, waitFor } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** The SO_RCVTIMEO used where a recv is expected to time out, in ms. */
const TIMEOUT_MS = 100;
/** Allowance for clock and jiffy rounding below TIMEOUT_MS. */
const EARLY_MS = 10;

/** A pair where `data` has been sent by the client and has arrived at the server side. */
function pairWithQueued(data: string): [Socket, Socket] {
  const [client, server] = tcpPair(sockets);
  expect(client.send(data)).toBe(data.length);
  waitFor(server, constant('POLLIN'));
  expect(server.recvQueue()).toBe(data.length); // one small send is one segment: all of it
  return [client, server];
}

describe('MSG_PEEK', () => {
  it('returns the queued bytes and leaves them queued', () => {
    const [, server] = pairWithQueued('hello');
    const buf = Buffer.alloc(16);
    expect(server.recv(buf, constant('MSG_PEEK'))).toBe(5);
    expect(buf.subarray(0, 5).toString()).toBe('hello');
    expect(server.recvQueue()).toBe(5);
  });

  it('the next recv returns the same bytes, and then the queue is empty', () => {
    const [, server] = pairWithQueued('hello');
    const peeked = Buffer.alloc(16);
    const read = Buffer.alloc(16);
    expect(server.recv(peeked, constant('MSG_PEEK'))).toBe(5);
    expect(server.recv(read)).toBe(5);
    expect(read.subarray(0, 5)).toEqual(peeked.subarray(0, 5));
    expect(server.recvQueue()).toBe(0);
    expectThrows(() => server.recv(read, constant('MSG_DONTWAIT')), 'EAGAIN', 'recv');
  });

  it('peeking twice gives the same bytes both times', () => {
    const [, server] = pairWithQueued('abc');
    const first = Buffer.alloc(8);
    const second = Buffer.alloc(8);
    expect(server.recv(first, constant('MSG_PEEK'))).toBe(3);
    expect(server.recv(second, constant('MSG_PEEK'))).toBe(3);
    expect(second).toEqual(first);
  });

  it('sys.recv with MSG_PEEK | MSG_DONTWAIT on an empty queue returns -EAGAIN', () => {
    const [, server] = tcpPair(sockets);
    const flags = constant('MSG_PEEK') | constant('MSG_DONTWAIT');
    expect(sys.recv(server.fd, Buffer.alloc(8), 0, 8, flags)).toBe(-constant('EAGAIN'));
  });
});

describe('MSG_WAITALL', () => {
  it('returns the full count when the peer sent it in two pieces', () => {
    const [client, server] = tcpPair(sockets);
    client.setOption('TCP_NODELAY', true); // two sends, two segments
    expect(client.send('abc')).toBe(3);
    expect(client.send('def')).toBe(3);
    server.setOption('SO_RCVTIMEO', WAIT_MS); // bound the wait for the second piece
    const buf = Buffer.alloc(6);
    expect(server.recv(buf, constant('MSG_WAITALL'))).toBe(6);
    expect(buf.toString()).toBe('abcdef');
  });

  it('waits for the rest: with only part queued it returns the part only when SO_RCVTIMEO expires', () => {
    const [, server] = pairWithQueued('abc');
    server.setOption('SO_RCVTIMEO', TIMEOUT_MS);
    const buf = Buffer.alloc(6);
    const start = performance.now();
    expect(server.recv(buf, constant('MSG_WAITALL'))).toBe(3); // a short count, not EAGAIN
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - EARLY_MS);
    expect(elapsed).toBeLessThan(WAIT_MS);
    expect(buf.subarray(0, 3).toString()).toBe('abc');
  });

  it('without MSG_WAITALL the same recv returns the part at once', () => {
    const [, server] = pairWithQueued('abc');
    server.setOption('SO_RCVTIMEO', WAIT_MS);
    const start = performance.now();
    expect(server.recv(Buffer.alloc(6))).toBe(3);
    expect(performance.now() - start).toBeLessThan(TIMEOUT_MS);
  });

  it('returns a short count at end of stream, then 0', () => {
    const [client, server] = tcpPair(sockets);
    expect(client.send('abc')).toBe(3);
    client.shutdown(constant('SHUT_WR'));
    server.setOption('SO_RCVTIMEO', WAIT_MS); // bound only; the FIN ends the wait
    const start = performance.now();
    expect(server.recv(Buffer.alloc(6), constant('MSG_WAITALL'))).toBe(3);
    expect(performance.now() - start).toBeLessThan(WAIT_MS / 2); // ended by the FIN, not the timeout
    expect(server.recv(Buffer.alloc(6), constant('MSG_DONTWAIT'))).toBe(0);
  });
});

describe('MSG_DONTWAIT', () => {
  it('on a blocking socket with nothing queued, recv throws EAGAIN instead of blocking', () => {
    const [, server] = tcpPair(sockets);
    expect(nonBlockingFlag(server)).toBe(false);
    expectThrows(() => server.recv(Buffer.alloc(8), constant('MSG_DONTWAIT')), 'EAGAIN', 'recv');
  });

  it('leaves the fd blocking (O_NONBLOCK stays clear)', () => {
    const [, server] = tcpPair(sockets);
    const before = server.fcntl(constant('F_GETFL'));
    expectThrows(() => server.recv(Buffer.alloc(8), constant('MSG_DONTWAIT')), 'EAGAIN', 'recv');
    expect(server.fcntl(constant('F_GETFL'))).toBe(before);
    expect(nonBlockingFlag(server)).toBe(false);
  });

  it('sys.recv with MSG_DONTWAIT returns -EAGAIN', () => {
    const [, server] = tcpPair(sockets);
    expect(sys.recv(server.fd, Buffer.alloc(8), 0, 8, constant('MSG_DONTWAIT'))).toBe(-constant('EAGAIN'));
  });

  it('returns queued data like a plain recv', () => {
    const [, server] = pairWithQueued('xyz');
    const buf = Buffer.alloc(8);
    expect(server.recv(buf, constant('MSG_DONTWAIT'))).toBe(3);
    expect(buf.subarray(0, 3).toString()).toBe('xyz');
  });
});

describe('SO_RCVTIMEO', () => {
  it('reads back the timeout that was set, in ms (rounded up to whole jiffies, at most 10 ms)', () => {
    const [, server] = tcpPair(sockets);
    expect(server.getOption('SO_RCVTIMEO')).toBe(0);
    server.setOption('SO_RCVTIMEO', TIMEOUT_MS);
    const read = server.getOption('SO_RCVTIMEO');
    expect(read).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(read).toBeLessThanOrEqual(TIMEOUT_MS + 10); // one jiffy at HZ=100, the coarsest
  });

  it('a blocking recv with nothing queued throws EAGAIN after the timeout', () => {
    const [, server] = tcpPair(sockets);
    server.setOption('SO_RCVTIMEO', TIMEOUT_MS);
    expect(nonBlockingFlag(server)).toBe(false);
    const start = performance.now();
    expectThrows(() => server.recv(Buffer.alloc(8)), 'EAGAIN', 'recv');
    const elapsed = performance.now() - start;
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - EARLY_MS);
    expect(elapsed).toBeLessThan(WAIT_MS);
  });

  it('sys.recv on a blocking fd with SO_RCVTIMEO returns -EAGAIN after the timeout', () => {
    const [, server] = tcpPair(sockets);
    server.setOption('SO_RCVTIMEO', TIMEOUT_MS);
    const start = performance.now();
    expect(sys.recv(server.fd, Buffer.alloc(8), 0, 8, 0)).toBe(-constant('EAGAIN'));
    expect(performance.now() - start).toBeGreaterThanOrEqual(TIMEOUT_MS - EARLY_MS);
  });
});
