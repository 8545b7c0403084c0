// sys.writev: writev(2) over an array of views, in one syscall, on loopback TCP and a unix
// socketpair. Counts, order, partial writes, EAGAIN, EBADF/EPIPE as -errno, and argument
// validation (TypeError/RangeError) that happens before any syscall.
import { afterEach, describe, expect, it } from 'vitest';
import { constant, sys, type Socket } from '../lib/index.js';
import { Sockets, tcpPair } from './helpers/peers.js';
import { nonBlockingPair, waitFor } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/**
 * Reads exactly `n` bytes from `socket`, each recv after a poll(POLLIN) bounded by WAIT_MS, so a
 * writev that reported bytes it never sent fails the test instead of blocking the worker.
 */
function readExactly(socket: Socket, n: number): Buffer {
  const out = Buffer.alloc(n);
  let got = 0;
  for (let i = 0; got < n && i < 10_000; i++) {
    waitFor(socket, constant('POLLIN'));
    const r = sys.recv(socket.fd, out, got, n - got, 0);
    expect(r).toBeGreaterThan(0);
    got += r;
  }
  return out;
}

describe('sys.writev', () => {
  it('writes every element in order and returns the total byte count', () => {
    const [client, server] = tcpPair(sockets);
    const parts = [Buffer.from('ab'), new Uint8Array([0x63, 0x64, 0x65]), Buffer.alloc(0), Buffer.from('f')];
    expect(sys.writev(client.fd, parts)).toBe(6);
    waitFor(server, constant('POLLIN'));
    expect(readExactly(server, 6).toString()).toBe('abcdef');
  });

  it('writes views in place: a subarray, a multi-byte TypedArray and a DataView count their bytes', () => {
    const [client, server] = tcpPair(sockets);
    const backing = Buffer.from('xxHELLOxx');
    const u16 = new Uint16Array([0x4141, 0x4242]); // 4 bytes, 'AABB' in either byte order
    // A DataView over an ArrayBuffer of its own (Buffer.from would share Node's pool slab).
    const view = new DataView(Uint8Array.of(0x7a, 0x7a).buffer);
    expect(sys.writev(client.fd, [backing.subarray(2, 7), u16, view])).toBe(5 + 4 + 2);
    expect(readExactly(server, 11).toString()).toBe('HELLOAABBzz');
  });

  it('an empty array makes the syscall with iovcnt 0 and returns 0', () => {
    const [client] = tcpPair(sockets);
    expect(sys.writev(client.fd, [])).toBe(0);
  });

  it('accepts IOV_MAX (1024) elements', () => {
    const [client, server] = tcpPair(sockets);
    const one = Buffer.from('y');
    expect(sys.writev(client.fd, new Array<Buffer>(1024).fill(one))).toBe(1024);
    expect(readExactly(server, 1024).every((b) => b === 0x79)).toBe(true);
  });

  it('returns a partial count, then -EAGAIN, on a nonblocking socket whose peer never reads', () => {
    const [client, server] = nonBlockingPair(sockets);
    // Small buffers on both ends (not the sysctl defaults) bound what the kernel can take.
    client.setOption('SO_SNDBUF', 4096);
    server.setOption('SO_RCVBUF', 4096);
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const total = chunk.length * 64;
    const first = sys.writev(client.fd, new Array<Buffer>(64).fill(chunk));
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThan(total); // partial: the buffers cannot take 4 MiB
    let rc = 0;
    for (let i = 0; i < 10_000 && (rc = sys.writev(client.fd, [chunk])) > 0; i++);
    expect(rc).toBe(-constant('EAGAIN'));
  });

  it('returns -EBADF for a closed fd and -EPIPE after the peer is gone (SIGPIPE is ignored by Node)', () => {
    expect(sys.writev(-1, [Buffer.from('a')])).toBe(-constant('EBADF'));
    const [a, b] = tcpPair(sockets);
    a.shutdown(constant('SHUT_WR'));
    expect(sys.writev(a.fd, [Buffer.from('a')])).toBe(-constant('EPIPE'));
    b.close();
  });

  it('throws TypeError/RangeError before any syscall', () => {
    // fd -1 would give -EBADF if a syscall ran: a throw proves none did.
    const tooMany = new Array<Buffer>(1025).fill(Buffer.from('a'));
    expect(() => sys.writev(-1, tooMany)).toThrow(RangeError);
    expect(() => sys.writev(-1, tooMany)).toThrow(/at most 1024 \(IOV_MAX\) elements. Received 1025/);
    expect(() => sys.writev(-1, Buffer.from('a') as never)).toThrow(TypeError);
    expect(() => sys.writev(-1, 'ab' as never)).toThrow(TypeError);
    expect(() => sys.writev(-1, [Buffer.from('a'), 'b'] as never)).toThrow(/"buffers\[1\]" argument/);
    expect(() => sys.writev(-1, [new ArrayBuffer(1)] as never)).toThrow(TypeError);
    expect(() => sys.writev(1.5, [])).toThrow(RangeError);
    expect(() => sys.writev('1' as never, [])).toThrow(TypeError);
  });
});

describe('sys.writev(fd, buffer, segments): iovecs as (offset, length) pairs into one buffer', () => {
  it('writes the segments in order, skipping what lies between them, and returns the total', () => {
    const [client, server] = tcpPair(sockets);
    const arena = Buffer.from('..ab...cde.f');
    const segments = new Uint32Array([2, 2, 7, 3, 11, 1]);
    expect(sys.writev(client.fd, arena, segments)).toBe(6);
    waitFor(server, constant('POLLIN'));
    expect(readExactly(server, 6).toString()).toBe('abcdef');
  });

  it('a ring buffer wrapped around: the tail, then the head, in one syscall', () => {
    const [client, server] = tcpPair(sockets);
    const ring = Buffer.from('lo, worldhel'); // "hello, world" starting at byte 9
    expect(sys.writev(client.fd, ring, new Uint32Array([9, 3, 0, 9]))).toBe(12);
    expect(readExactly(server, 12).toString()).toBe('hello, world');
  });

  it('counts the bytes of a multi-byte view and accepts IOV_MAX pairs and zero pairs', () => {
    const [client, server] = tcpPair(sockets);
    const words = new Uint16Array([0x4141, 0x4242]); // 4 bytes: 'AABB' in either byte order
    expect(sys.writev(client.fd, words, new Uint32Array([1, 3]))).toBe(3);
    const pairs = new Uint32Array(2 * 1024).map((_, i) => (i % 2 === 0 ? 0 : 1));
    expect(sys.writev(client.fd, Buffer.from('z'), pairs)).toBe(1024);
    expect(sys.writev(client.fd, Buffer.from('z'), new Uint32Array(0))).toBe(0);
    const got = readExactly(server, 3 + 1024);
    expect(got.subarray(0, 3).toString()).toBe('ABB');
    expect(got.subarray(3).every((b) => b === 0x7a)).toBe(true);
  });

  it('returns -errno like the array form', () => {
    expect(sys.writev(-1, Buffer.from('a'), new Uint32Array([0, 1]))).toBe(-constant('EBADF'));
  });

  it('throws TypeError/RangeError before any syscall', () => {
    const buf = Buffer.alloc(8);
    // fd -1 would give -EBADF if a syscall ran: a throw proves none did.
    expect(() => sys.writev(-1, buf, new Uint32Array([0, 9]))).toThrow(RangeError);
    expect(() => sys.writev(-1, buf, new Uint32Array([0, 9]))).toThrow(
      /Segment 0 \(offset 0, length 9\) must lie within the buffer's 8 bytes/,
    );
    expect(() => sys.writev(-1, buf, new Uint32Array([8, 1]))).toThrow(RangeError);
    // offset + length computed without 32-bit wrap-around.
    expect(() => sys.writev(-1, buf, new Uint32Array([0xffffffff, 2]))).toThrow(RangeError);
    expect(() => sys.writev(-1, buf, new Uint32Array([0, 1, 2]))).toThrow(/\(offset, length\) pairs/);
    expect(() => sys.writev(-1, buf, new Uint32Array(2 * 1025))).toThrow(RangeError);
    expect(() => sys.writev(-1, buf, new Int32Array([0, 1]) as never)).toThrow(TypeError);
    expect(() => sys.writev(-1, buf, [0, 1] as never)).toThrow(/"segments" argument/);
    expect(() => sys.writev(-1, 'ab' as never, new Uint32Array([0, 1]))).toThrow(/"buffer" argument/);
  });
});
