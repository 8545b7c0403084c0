// Helpers for the TCP errno tests: catching a SocketError and checking its exact code, waiting
// for readiness with a bounded poll, reading fd flags, and building nonblocking peers. Every
// socket they create is pushed onto the given Sockets list, so afterEach closes it.
import { expect } from 'vitest';
import { Socket, SocketError, constant, poll, type SockAddr } from '../../lib/index.js';
import { listener, type Sockets } from './peers.js';

/** Upper bound for every readiness wait, in ms. Loopback answers in microseconds. */
export const WAIT_MS = 2000;

/** The SocketError `fn` throws; fails the test when it returns or throws something else. */
export function thrown(fn: () => unknown): SocketError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SocketError) return e;
    throw e;
  }
  throw new Error('expected a SocketError, but the call returned normally');
}

/**
 * Asserts that `err` carries errno `name` exactly: `code === name` and `errno === -constants[name]`
 * (and `syscall` when given). Returns the error for further checks.
 */
export function expectCode(err: SocketError, name: string, syscall?: string): SocketError {
  expect(err).toBeInstanceOf(SocketError);
  expect(err.code).toBe(name);
  expect(err.errno).toBe(-constant(name));
  if (syscall !== undefined) expect(err.syscall).toBe(syscall);
  return err;
}

/** `thrown(fn)` then `expectCode(…, name, syscall)`. */
export function expectThrows(fn: () => unknown, name: string, syscall?: string): SocketError {
  return expectCode(thrown(fn), name, syscall);
}

/**
 * poll(2) on `socket` for `events`, bounded by WAIT_MS; asserts that one of them is reported and
 * returns the full revents (POLLERR/POLLHUP included when the kernel sets them).
 */
export function waitFor(socket: Socket, events: number, timeout = WAIT_MS): number {
  const revents = socket.poll(events, timeout);
  expect(revents & events, `poll(${events}) not ready within ${timeout} ms (revents ${revents})`).not.toBe(0);
  return revents;
}

/** poll(2) on a raw fd number (no Socket owns it here), bounded like {@link waitFor}. */
export function waitForFd(fd: number, events: number, timeout = WAIT_MS): number {
  const [revents = 0] = poll([{ fd, events }], timeout);
  expect(revents & events, `poll(${events}) on fd ${fd} not ready within ${timeout} ms (revents ${revents})`).not.toBe(
    0,
  );
  return revents;
}

/** True when every flag named in `names` (constants' names) is set in `value`. */
export function hasAll(value: number, ...names: string[]): boolean {
  return names.every((n) => (value & constant(n)) === constant(n));
}

/** True when none of the flags named in `names` is set in `value`. */
export function hasNone(value: number, ...names: string[]): boolean {
  return names.every((n) => (value & constant(n)) === 0);
}

/** O_NONBLOCK read back with fcntl(F_GETFL). */
export function nonBlockingFlag(socket: Socket): boolean {
  return (socket.fcntl(constant('F_GETFL')) & constant('O_NONBLOCK')) !== 0;
}

/** FD_CLOEXEC read back with fcntl(F_GETFD). */
export function cloexecFlag(socket: Socket): boolean {
  return (socket.fcntl(constant('F_GETFD')) & constant('FD_CLOEXEC')) !== 0;
}

/** A new AF_INET stream socket (with SOCK_CLOEXEC, as Socket.create adds it), plus `flags`. */
export function tcpSocket(sockets: Sockets, flags = 0): Socket {
  return sockets.add(Socket.create(constant('AF_INET'), constant('SOCK_STREAM') | flags));
}

/**
 * How a nonblocking connect went: 'EINPROGRESS' (the handshake goes on, the error is returned),
 * 'connected' (connect returned 0) or the SocketError of an immediate failure.
 */
export type ConnectOutcome =
  { path: 'EINPROGRESS'; error: SocketError } | { path: 'connected' } | { path: 'failed'; error: SocketError };

/** Socket.connect on a nonblocking socket, with the outcome as a value instead of a throw. */
export function connectNonBlocking(socket: Socket, address: SockAddr): ConnectOutcome {
  try {
    socket.connect(address);
    return { path: 'connected' };
  } catch (e) {
    if (!(e instanceof SocketError)) throw e;
    if (e.code === 'EINPROGRESS') return { path: 'EINPROGRESS', error: e };
    return { path: 'failed', error: e };
  }
}

/** Waits (bounded) until `listener` has a connection queued, so accept() does not block. */
export function waitAcceptable(server: Socket): void {
  waitFor(server, constant('POLLIN'));
}

/**
 * A connected loopback TCP pair where both ends are nonblocking: [client, server side]. The
 * client is created with SOCK_NONBLOCK and connected nonblocking (EINPROGRESS → POLLOUT →
 * SO_ERROR 0); the server side comes from accept4(SOCK_NONBLOCK | SOCK_CLOEXEC).
 */
export function nonBlockingPair(sockets: Sockets): [Socket, Socket] {
  const { socket: server, address } = listener(sockets);
  const client = tcpSocket(sockets, constant('SOCK_NONBLOCK'));
  const outcome = connectNonBlocking(client, address);
  if (outcome.path === 'failed') throw outcome.error;
  waitFor(client, constant('POLLOUT'));
  expect(client.getOption('SO_ERROR')).toBe(0);
  waitAcceptable(server);
  const accepted = sockets.add(server.accept4(constant('SOCK_NONBLOCK') | constant('SOCK_CLOEXEC')).socket);
  return [client, accepted];
}
