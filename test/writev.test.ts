// sys.writev: writev(2) over an array of views, in one syscall, on loopback TCP and a unix
// socketpair. Counts, order, partial writes, EAGAIN, EBADF/EPIPE as -errno, and argument
// validation (TypeError/RangeError) that happens before any syscall.
import { afterEach, describe, expect, it } from 'vitest';
import { constant, sys } from '../lib/index.js';
import { Sockets, tcpPair } from './helpers/peers.js';
import { nonBlockingPair, waitFor } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** Reads exactly `n` bytes from a blocking socket (bounded by poll waits). */
function readExactly(fd: number, n: number): Buffer {
  const out = Buffer.alloc(n);
  let got = 0;
  for (let i = 0; got < n && i < 10_000; i++) {
    const r = sys.recv(fd, out, got, n - got, 0);
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
    expect(readExactly(server.fd, 6).toString()).toBe('abcdef');
  });

  it('writes views in place: a subarray, a multi-byte TypedArray and a DataView count their bytes', () => {
    const [client, server] = tcpPair(sockets);
    const backing = Buffer.from('xxHELLOxx');
    const u16 = new Uint16Array([0x4141, 0x4242]); // 4 bytes
    const view = new DataView(Buffer.from('zz').buffer, 0, 2);
    expect(sys.writev(client.fd, [backing.subarray(2, 7), u16, view])).toBe(5 + 4 + 2);
    expect(readExactly(server.fd, 11).subarray(0, 5).toString()).toBe('HELLO');
  });

  it('an empty array makes the syscall with iovcnt 0 and returns 0', () => {
    const [client] = tcpPair(sockets);
    expect(sys.writev(client.fd, [])).toBe(0);
  });

  it('accepts IOV_MAX (1024) elements', () => {
    const [client, server] = tcpPair(sockets);
    const one = Buffer.from('y');
    expect(sys.writev(client.fd, new Array<Buffer>(1024).fill(one))).toBe(1024);
    expect(readExactly(server.fd, 1024).every((b) => b === 0x79)).toBe(true);
  });

  it('returns a partial count, then -EAGAIN, on a nonblocking socket whose peer never reads', () => {
    const [client] = nonBlockingPair(sockets);
    client.setOption('SO_SNDBUF', 4096);
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
