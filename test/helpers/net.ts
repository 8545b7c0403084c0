// Helpers for the address, UDP, AF_UNIX, IPv6 and validation tests: catching an error and
// checking its exact code, bounded readiness waits, UDP and unix peers, temp dirs for socket
// files, and a probe for ::1. Every socket created here is pushed onto the given Sockets list so
// that afterEach closes it; nothing here sleeps.
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import {
  Socket,
  SocketError,
  constant,
  constants as c,
  inet,
  inet6,
  sys,
  type Inet6Address,
  type InetAddress,
} from '../../lib/index.js';
import type { Sockets } from './peers.js';

/** Upper bound for every readiness wait, in ms. Loopback answers in microseconds. */
export const WAIT_MS = 2000;

/** Whatever `fn` throws; fails the test when it returns normally. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw, but the call returned normally');
}

/**
 * Asserts that `fn` throws a SocketError with errno `name` exactly: `code === name` and
 * `errno === -constants[name]` (and `syscall` when given).
 */
export function expectErrno(fn: () => unknown, name: string, syscall?: string): SocketError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(SocketError);
  const e = err as SocketError;
  expect(e.code).toBe(name);
  expect(e.errno).toBe(-constant(name));
  if (syscall !== undefined) expect(e.syscall).toBe(syscall);
  return e;
}

/** The Node-style codes of a programmer error, and the class each belongs to. */
export type ArgCode = 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' | 'ERR_OUT_OF_RANGE';

/**
 * Asserts that `fn` throws a programmer error (never a SocketError): a RangeError for
 * ERR_OUT_OF_RANGE, a TypeError for ERR_INVALID_ARG_TYPE and ERR_INVALID_ARG_VALUE.
 */
export function expectArgError(fn: () => unknown, code: ArgCode): Error {
  const err = thrown(fn);
  expect(err).not.toBeInstanceOf(SocketError);
  expect(err).toBeInstanceOf(code === 'ERR_OUT_OF_RANGE' ? RangeError : TypeError);
  expect((err as { code?: unknown }).code).toBe(code);
  return err as Error;
}

/** A nonblocking UDP socket bound to 127.0.0.1 on a kernel-chosen port, and its address. */
export function udp4(sockets: Sockets): { socket: Socket; address: InetAddress } {
  const socket = sockets.add(Socket.create(c.AF_INET!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
  socket.bind(inet('127.0.0.1', 0));
  return { socket, address: socket.getsockname() as InetAddress };
}

/** A nonblocking UDP socket bound to ::1 on a kernel-chosen port, and its address. */
export function udp6(sockets: Sockets): { socket: Socket; address: Inet6Address } {
  const socket = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
  socket.bind(inet6('::1', 0));
  return { socket, address: socket.getsockname() as Inet6Address };
}

/**
 * A UDP port on 127.0.0.1 where no socket will take a datagram from anyone else, so the kernel
 * answers with ICMP port unreachable. The port stays reserved for the test: a socket holds it,
 * bound and connected to itself, and a connected UDP socket only matches datagrams from its
 * peer, so a datagram from any other port finds no socket.
 */
export function closedUdpPort(sockets: Sockets): InetAddress {
  const { socket, address } = udp4(sockets);
  socket.connect(address);
  return address;
}

/** A fresh directory for socket files; remove it with {@link removeTempDir}. */
export function makeTempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `syssock-${label}-`));
}

/** Removes a directory made by {@link makeTempDir} and everything in it. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

let abstractCounter = 0;

/** A Linux abstract socket name that no other process or test uses (without the leading NUL). */
export function uniqueAbstractName(label: string): string {
  abstractCounter += 1;
  return `syssock-test-${process.pid}-${label}-${abstractCounter}`;
}

/**
 * Whether ::1 can be bound here: a socket(AF_INET6) + bind(::1, 0) probe through the raw layer,
 * closed again at once. `reason` says why not (the errno name of the step that failed).
 */
export function ipv6Loopback(): { available: boolean; reason: string } {
  const fd = sys.socket(c.AF_INET6!, c.SOCK_DGRAM! | c.SOCK_CLOEXEC!, 0);
  if (fd < 0) return { available: false, reason: `socket(AF_INET6) failed: ${errnoText(fd)}` };
  const rc = sys.bind(fd, inet6('::1', 0));
  sys.close(fd);
  if (rc < 0) return { available: false, reason: `bind(::1) failed: ${errnoText(rc)}` };
  return { available: true, reason: '' };
}

function errnoText(result: number): string {
  return new SocketError(result, 'probe').message;
}

/** How many socket fds this process has open now (from /proc/self/fd), to prove none was made. */
export function socketFdCount(): number {
  let count = 0;
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${name}`).startsWith('socket:')) count += 1;
    } catch {
      // The fd readdir itself used, gone by now.
    }
  }
  return count;
}
