// Programmer errors are thrown before any syscall: TypeError with code ERR_INVALID_ARG_TYPE for a
// wrong type, TypeError ERR_INVALID_ARG_VALUE for a malformed address, RangeError
// ERR_OUT_OF_RANGE for a value out of range. Where the kernel would leave a trace had the call
// been made (bytes queued at a peer, an implicit bind, a new fd), the tests show there is none.
// Addresses are loopback or syntactically invalid strings; nothing is ever sent elsewhere.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Socket, constants as c, inet, inet6, sys, unixPath, unspec, type SockAddr } from '../lib/index.js';
import {
  expectArgError,
  makeTempDir,
  removeTempDir,
  socketFdCount,
  uniqueAbstractName,
  type ArgCode,
} from './helpers/net.js';
import { Sockets } from './helpers/peers.js';

const TYPE: ArgCode = 'ERR_INVALID_ARG_TYPE';
const VALUE: ArgCode = 'ERR_INVALID_ARG_VALUE';
const RANGE: ArgCode = 'ERR_OUT_OF_RANGE';

const sockets = new Sockets();
let dir = '';
beforeAll(() => {
  dir = makeTempDir('validation');
});
afterEach(() => sockets.closeAll());
afterAll(() => removeTempDir(dir));

/** A connected AF_UNIX pair: bytes sent on one show up at once in the other's recvQueue. */
function streamPair(): [Socket, Socket] {
  const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!);
  return [sockets.add(a!), sockets.add(b!)];
}

function dgramPair(): [Socket, Socket] {
  const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_DGRAM!);
  return [sockets.add(a!), sockets.add(b!)];
}

function udpSocket(): Socket {
  return sockets.add(Socket.create(c.AF_INET!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
}

/** A value a wrong-typed caller might pass; `as never` gets it past the type checker. */
const any = <T>(value: T) => value as never;

// ---------------------------------------------------------------------------------------------
describe('fd arguments', () => {
  const scratch = Buffer.alloc(8);
  const quiet = (c.MSG_DONTWAIT ?? 0) | (c.MSG_NOSIGNAL ?? 0);
  // Each call is harmless even if a bad fd slipped through: zero lengths, MSG_DONTWAIT,
  // read-only options, AF_UNSPEC.
  const calls: [string, (fd: never) => unknown][] = [
    ['sys.bind', (fd) => sys.bind(fd, unspec())],
    ['sys.listen', (fd) => sys.listen(fd, 1)],
    ['sys.accept', (fd) => sys.accept(fd, null)],
    ['sys.accept4', (fd) => sys.accept4(fd, null, c.SOCK_NONBLOCK!)],
    ['sys.connect', (fd) => sys.connect(fd, unspec())],
    ['sys.send', (fd) => sys.send(fd, scratch, 0, 0, quiet)],
    ['sys.recv', (fd) => sys.recv(fd, scratch, 0, 0, quiet)],
    ['sys.sendto', (fd) => sys.sendto(fd, scratch, 0, 0, quiet, null)],
    ['sys.recvfrom', (fd) => sys.recvfrom(fd, scratch, 0, 0, quiet, null)],
    ['sys.shutdown', (fd) => sys.shutdown(fd, c.SHUT_RD!)],
    ['sys.close', (fd) => sys.close(fd)],
    ['sys.fcntl', (fd) => sys.fcntl(fd, c.F_GETFL!)],
    ['sys.ioctl', (fd) => sys.ioctl(fd, c.FIONREAD!, new Int32Array(1))],
    ['sys.getsockopt', (fd) => sys.getsockopt(fd, c.SOL_SOCKET!, c.SO_TYPE!, Buffer.alloc(4))],
    ['sys.setsockopt', (fd) => sys.setsockopt(fd, c.SOL_SOCKET!, c.SO_TYPE!, Buffer.alloc(4))],
    ['sys.getsockname', (fd) => sys.getsockname(fd, {} as sys.RawAddress)],
    ['sys.getpeername', (fd) => sys.getpeername(fd, {} as sys.RawAddress)],
    ['Socket.fromFd', (fd) => Socket.fromFd(fd)],
  ];
  const badFds: [string, ArgCode, unknown][] = [
    ['a string', TYPE, '3'],
    ['undefined', TYPE, undefined],
    ['null', TYPE, null],
    ['a bigint', TYPE, 3n],
    ['fractional (1.5)', RANGE, 1.5],
    ['NaN', RANGE, NaN],
    ['Infinity', RANGE, Infinity],
    ['-Infinity', RANGE, -Infinity],
    ['2^31 (above INT_MAX)', RANGE, 2 ** 31],
  ];

  describe.each(calls)('%s', (_name, call) => {
    it.each(badFds)('fd %s → %s', (_label, code, fd) => {
      expectArgError(() => call(fd as never), code);
    });
  });

  it.each(calls.filter(([name]) => name.startsWith('sys.')))(
    '%s(-1) is not a programmer error: the kernel answers -EBADF',
    (_name, call) => {
      expect(call(-1 as never)).toBe(-c.EBADF!);
    },
  );

  it('Socket.fromFd(-1) is a RangeError: a Socket owns a real fd or nothing', () => {
    expectArgError(() => Socket.fromFd(-1), RANGE);
  });
});

// ---------------------------------------------------------------------------------------------
describe('byte buffers', () => {
  const notBuffers: [string, unknown][] = [
    ['a number', 42],
    ['null', null],
    ['a plain object', {}],
    ['an array of numbers', [1, 2, 3]],
    ['a bare ArrayBuffer', new ArrayBuffer(4)],
  ];

  it.each(notBuffers)('Socket.send of %s → TypeError', (_label, data) => {
    const [a] = streamPair();
    expectArgError(() => a.send(any(data)), TYPE);
  });

  it.each([...notBuffers, ['a string', 'abc']] as [string, unknown][])(
    'Socket.recv into %s → TypeError',
    (_label, buffer) => {
      const [a] = streamPair();
      expectArgError(() => a.recv(any(buffer)), TYPE);
    },
  );

  it.each(notBuffers)('Socket.sendto of %s → TypeError', (_label, data) => {
    const s = udpSocket();
    expectArgError(() => s.sendto(any(data), inet('127.0.0.1', 9)), TYPE);
  });

  it.each(notBuffers)('Socket.recvfrom into %s → TypeError', (_label, buffer) => {
    const s = udpSocket();
    expectArgError(() => s.recvfrom(any(buffer)), TYPE);
  });

  it.each(notBuffers)('sys.send of %s → TypeError', (_label, data) => {
    const [a] = streamPair();
    expectArgError(() => sys.send(a.fd, any(data), 0, 0, 0), TYPE);
  });

  it.each(notBuffers)('sys.getsockopt into %s → TypeError', (_label, optval) => {
    const s = udpSocket();
    expectArgError(() => sys.getsockopt(s.fd, c.SOL_SOCKET!, c.SO_TYPE!, any(optval)), TYPE);
  });

  it.each(notBuffers)('sys.setsockopt from %s → TypeError', (_label, optval) => {
    const s = udpSocket();
    expectArgError(() => sys.setsockopt(s.fd, c.SOL_SOCKET!, c.SO_KEEPALIVE!, any(optval)), TYPE);
  });
});

// ---------------------------------------------------------------------------------------------
describe('offset and length', () => {
  const size = 8;
  // [label, code, offset, length]
  const ranges: [string, ArgCode, unknown, unknown][] = [
    ['offset past the end', RANGE, size + 1, 0],
    ['length past the end', RANGE, 0, size + 1],
    ['offset + length past the end by one', RANGE, 1, size],
    ['offset at the end + MAX_SAFE_INTEGER (overflow)', RANGE, size, Number.MAX_SAFE_INTEGER],
    ['offset + 2^53 (overflow)', RANGE, 4, 2 ** 53],
    ['offset and length both 2^53', RANGE, 2 ** 53, 2 ** 53],
    ['length 2^64', RANGE, 0, 2 ** 64],
    ['negative length', RANGE, 0, -1],
    ['negative offset', RANGE, -1, 1],
    ['fractional offset', RANGE, 0.5, 1],
    ['fractional length', RANGE, 0, 1.5],
    ['NaN length', RANGE, 0, NaN],
    ['string offset', TYPE, '1', 1],
    ['string length', TYPE, 0, '1'],
  ];

  it.each(ranges)('sys.send with %s → %s', (_label, code, offset, length) => {
    const [a] = streamPair();
    expectArgError(() => sys.send(a.fd, Buffer.alloc(size), any(offset), any(length), 0), code);
  });

  it.each(ranges)('sys.recv with %s → %s', (_label, code, offset, length) => {
    const [a] = streamPair();
    expectArgError(() => sys.recv(a.fd, Buffer.alloc(size), any(offset), any(length), 0), code);
  });

  it.each(ranges)('sys.sendto with %s → %s', (_label, code, offset, length) => {
    const s = udpSocket();
    expectArgError(() => sys.sendto(s.fd, Buffer.alloc(size), any(offset), any(length), 0, null), code);
  });

  it.each(ranges)('sys.recvfrom with %s → %s', (_label, code, offset, length) => {
    const s = udpSocket();
    expectArgError(() => sys.recvfrom(s.fd, Buffer.alloc(size), any(offset), any(length), 0, null), code);
  });

  it.each(ranges)('Socket.send with %s → %s', (_label, code, offset, length) => {
    const [a] = streamPair();
    expectArgError(() => a.send(Buffer.alloc(size), 0, any(offset), any(length)), code);
  });

  it.each(ranges)('Socket.recv with %s → %s', (_label, code, offset, length) => {
    const [a] = streamPair();
    expectArgError(() => a.recv(Buffer.alloc(size), 0, any(offset), any(length)), code);
  });

  it('Socket.send with an offset past the end and no length → RangeError', () => {
    const [a] = streamPair();
    expectArgError(() => a.send(Buffer.alloc(size), 0, size + 1), RANGE);
  });

  it('the range is checked against the view, not its ArrayBuffer: a subarray cannot reach past itself', () => {
    const [a] = streamPair();
    const backing = Buffer.alloc(size * 2);
    const view = backing.subarray(0, size);
    expectArgError(() => sys.send(a.fd, view, 0, size + 1, 0), RANGE);
  });

  it('a send that fails validation queues nothing at the peer (no syscall was made)', () => {
    const [a, b] = streamPair();
    expectArgError(() => sys.send(a.fd, Buffer.alloc(size), 1, size, 0), RANGE);
    expect(b.recvQueue()).toBe(0);
    // Control: a valid send of one byte does show up at once.
    expect(sys.send(a.fd, Buffer.alloc(size), 0, 1, 0)).toBe(1);
    expect(b.recvQueue()).toBe(1);
  });

  it('a recv that fails validation consumes nothing (the bytes stay queued)', () => {
    const [a, b] = streamPair();
    a.send('abc');
    expectArgError(() => sys.recv(b.fd, Buffer.alloc(size), size, 1, 0), RANGE);
    expect(b.recvQueue()).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------
describe('detached ArrayBuffer', () => {
  function detached(): Uint8Array {
    const view = new Uint8Array(8);
    structuredClone(view.buffer, { transfer: [view.buffer] });
    return view;
  }

  it('a detached view has byteLength 0 (the premise of the next tests)', () => {
    expect(detached().byteLength).toBe(0);
  });

  it('send of length 0 from a detached view works: 0 bytes sent', () => {
    const [a, b] = streamPair();
    expect(sys.send(a.fd, detached(), 0, 0, 0)).toBe(0);
    expect(b.recvQueue()).toBe(0);
  });

  it('send of length > 0 from a detached view → RangeError', () => {
    const [a, b] = streamPair();
    expectArgError(() => sys.send(a.fd, detached(), 0, 1, 0), RANGE);
    expect(b.recvQueue()).toBe(0);
  });

  it('Socket.send of a detached view sends 0 bytes', () => {
    const [a] = streamPair();
    expect(a.send(detached())).toBe(0);
  });

  it('recv of length > 0 into a detached view → RangeError, and the bytes stay queued', () => {
    const [a, b] = streamPair();
    a.send('x');
    expectArgError(() => sys.recv(b.fd, detached(), 0, 1, 0), RANGE);
    expect(b.recvQueue()).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
describe('typed arrays and DataView are byte buffers', () => {
  const kinds: [string, () => ArrayBufferView & { length?: number }][] = [
    ['Int32Array', () => new Int32Array([1, -2, 3])],
    ['Float64Array', () => new Float64Array([1.5, -2.25])],
    ['Uint16Array', () => new Uint16Array([1, 2, 3, 4, 5])],
    ['BigInt64Array', () => new BigInt64Array([1n, -1n])],
    ['DataView', () => new DataView(new ArrayBuffer(12), 2, 7)],
  ];

  it.each(kinds)('send of a %s sends its byteLength (elements × element size)', (_name, make) => {
    const [a, b] = dgramPair();
    const data = make();
    expect(a.send(data)).toBe(data.byteLength);
    expect(b.recvQueue()).toBe(data.byteLength);
  });

  it('an Int32Array of 3 elements is 3 × Int32Array.BYTES_PER_ELEMENT bytes on the wire', () => {
    const [a] = dgramPair();
    expect(a.send(new Int32Array(3))).toBe(3 * Int32Array.BYTES_PER_ELEMENT);
  });

  it('the bytes of an Int32Array arrive unchanged (read back through a Buffer)', () => {
    const [a, b] = dgramPair();
    const data = new Int32Array([1, -2, 3]);
    a.send(data);
    const buf = Buffer.alloc(64);
    const n = b.recv(buf);
    expect(buf.subarray(0, n).equals(Buffer.from(data.buffer, data.byteOffset, data.byteLength))).toBe(true);
  });

  it('recv into a Float64Array fills up to elements × 8 bytes and the doubles read back', () => {
    const [a, b] = dgramPair();
    const sent = new Float64Array([Math.PI, -0.5]);
    a.send(sent);
    const got = new Float64Array(2);
    expect(b.recv(got)).toBe(2 * Float64Array.BYTES_PER_ELEMENT);
    expect(Array.from(got)).toEqual(Array.from(sent));
  });

  it('recv into a DataView writes at the view, not at the start of its ArrayBuffer', () => {
    const [a, b] = dgramPair();
    a.send('abc');
    const backing = new Uint8Array(8);
    const view = new DataView(backing.buffer, 4, 3);
    expect(b.recv(view)).toBe(3);
    expect(Buffer.from(backing).toString('latin1')).toBe('\0\0\0\0abc\0');
  });

  it('send of a DataView sends the bytes it covers', () => {
    const [a, b] = dgramPair();
    const backing = Buffer.from('0123456789');
    a.send(new DataView(backing.buffer, backing.byteOffset + 2, 3));
    const buf = Buffer.alloc(16);
    const n = b.recv(buf);
    expect(buf.subarray(0, n).toString()).toBe('234');
  });

  it('offset and length count bytes, not elements, for a typed array', () => {
    const [a, b] = dgramPair();
    const data = new Int32Array([10, 20, 30]);
    const size = Int32Array.BYTES_PER_ELEMENT;
    expect(sys.send(a.fd, data, size, size, 0)).toBe(size);
    const got = new Int32Array(1);
    expect(b.recv(got)).toBe(size);
    expect(got[0]).toBe(20);
  });

  it('an Int32Array range past its byte length → RangeError (elements × size is the limit)', () => {
    const [a] = dgramPair();
    const data = new Int32Array(2);
    expectArgError(() => sys.send(a.fd, data, 0, data.byteLength + 1, 0), RANGE);
  });
});

// ---------------------------------------------------------------------------------------------
describe('ports', () => {
  const badPorts: [string, ArgCode, unknown][] = [
    ['65536', RANGE, 65536],
    ['-1', RANGE, -1],
    ['1.5', RANGE, 1.5],
    ['NaN', RANGE, NaN],
    ["the string '80'", TYPE, '80'],
    ['undefined', TYPE, undefined],
  ];
  const users: [string, (s: Socket, address: SockAddr) => unknown][] = [
    ['bind', (s, address) => s.bind(address)],
    ['connect', (s, address) => s.connect(address)],
    ['sendto', (s, address) => s.sendto('x', address)],
  ];

  describe.each(users)('%s', (_name, use) => {
    it.each(badPorts)('IPv4 port %s → %s', (_label, code, port) => {
      expectArgError(() => use(udpSocket(), { family: c.AF_INET!, address: '127.0.0.1', port: any(port) }), code);
    });

    it.each(badPorts)('IPv6 port %s → %s', (_label, code, port) => {
      const s = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
      expectArgError(() => use(s, { family: c.AF_INET6!, address: '::1', port: any(port) }), code);
    });
  });

  it('a bind with a bad port leaves a fresh socket unbound (getsockname port 0)', () => {
    const s = udpSocket();
    expectArgError(() => s.bind(inet('127.0.0.1', 65536)), RANGE);
    expect(s.getsockname()).toEqual(inet('0.0.0.0', 0));
  });

  it('a sendto with a bad port leaves an unbound socket unbound (no implicit bind happened)', () => {
    const s = udpSocket();
    expectArgError(() => s.sendto('x', inet('127.0.0.1', -1)), RANGE);
    expect(s.getsockname()).toEqual(inet('0.0.0.0', 0));
  });

  it('IPv6 scopeId and flowinfo beyond 32 bits → RangeError', () => {
    const s = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_DGRAM!));
    expectArgError(() => s.bind(inet6('::1', 0, { scopeId: 2 ** 32 })), RANGE);
    expectArgError(() => s.bind(inet6('::1', 0, { flowinfo: -1 })), RANGE);
  });
});

// ---------------------------------------------------------------------------------------------
describe('address strings', () => {
  const badV4: [string, ArgCode, unknown][] = [
    ["'256.1.1.1'", VALUE, '256.1.1.1'],
    ["'abc'", VALUE, 'abc'],
    ['the empty string', VALUE, ''],
    ['a trailing space', VALUE, '127.0.0.1 '],
    ['an IPv6 string', VALUE, '::1'],
    ['longer than any IPv4 text', VALUE, '127.000.000.0001'],
    ['a NUL inside', VALUE, '127.0.0.1\0junk'],
    ['a number', TYPE, 0x7f000001],
    ['undefined', TYPE, undefined],
  ];
  const badV6: [string, ArgCode, unknown][] = [
    ["'::1%eth0' (a zone goes in scopeId)", VALUE, '::1%eth0'],
    ["'::1%1'", VALUE, '::1%1'],
    ["'abc'", VALUE, 'abc'],
    ["':::1'", VALUE, ':::1'],
    ['an IPv4 string', VALUE, '127.0.0.1'],
    ['a NUL inside', VALUE, '::1\0junk'],
    ['a number', TYPE, 1],
  ];
  const users: [string, (s: Socket, address: SockAddr) => unknown][] = [
    ['bind', (s, address) => s.bind(address)],
    ['connect', (s, address) => s.connect(address)],
    ['sendto', (s, address) => s.sendto('x', address)],
  ];

  describe.each(users)('%s', (_name, use) => {
    it.each(badV4)('IPv4 address %s → %s', (_label, code, address) => {
      expectArgError(() => use(udpSocket(), { family: c.AF_INET!, address: any(address), port: 0 }), code);
    });

    it.each(badV6)('IPv6 address %s → %s', (_label, code, address) => {
      const s = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
      expectArgError(() => use(s, { family: c.AF_INET6!, address: any(address), port: 0 }), code);
    });
  });

  it("bind to '127.0.0.1\\0junk' leaves the socket unbound (it is not silently read as 127.0.0.1)", () => {
    const s = udpSocket();
    expectArgError(() => s.bind(inet('127.0.0.1\0junk', 0)), VALUE);
    expect(s.getsockname()).toEqual(inet('0.0.0.0', 0));
  });

  it('a connect with a bad address leaves the socket unconnected (getpeername ENOTCONN)', () => {
    const s = udpSocket();
    expectArgError(() => s.connect(inet('256.1.1.1', 9)), VALUE);
    expect(sys.getpeername(s.fd, {} as sys.RawAddress)).toBe(-c.ENOTCONN!);
  });
});

// ---------------------------------------------------------------------------------------------
describe('address objects and families', () => {
  const bad: [string, ArgCode, unknown][] = [
    ['null', TYPE, null],
    ['a string', TYPE, '127.0.0.1'],
    ['a number', TYPE, 2],
    ['no family', TYPE, { address: '127.0.0.1', port: 0 }],
    ['a string family', TYPE, { family: 'AF_INET', address: '127.0.0.1', port: 0 }],
    ['AF_PACKET (a family the parser does not take)', RANGE, { family: c.AF_PACKET, address: '127.0.0.1', port: 0 }],
    ['AF_NETLINK', RANGE, { family: c.AF_NETLINK }],
    ['family 65536', RANGE, { family: 65536 }],
    ['family -1', RANGE, { family: -1 }],
    ['fractional family', RANGE, { family: c.AF_INET! + 0.5, address: '127.0.0.1', port: 0 }],
  ];

  it.each(bad)('Socket.bind with %s → %s', (_label, code, address) => {
    expectArgError(() => udpSocket().bind(any(address)), code);
  });

  it.each(bad)('sys.connect with %s → %s', (_label, code, address) => {
    expectArgError(() => sys.connect(udpSocket().fd, any(address)), code);
  });

  it.each([
    ['sys.accept', (fd: number) => sys.accept(fd, any(5))],
    ['sys.accept4', (fd: number) => sys.accept4(fd, any('x'), 0)],
    ['sys.recvfrom', (fd: number) => sys.recvfrom(fd, Buffer.alloc(1), 0, 1, 0, any(5))],
    ['sys.getsockname', (fd: number) => sys.getsockname(fd, any(null))],
    ['sys.getpeername', (fd: number) => sys.getpeername(fd, any('x'))],
  ] as [string, (fd: number) => unknown][])('%s with a non-object address target → TypeError', (_name, call) => {
    expectArgError(() => call(udpSocket().fd), TYPE);
  });
});

// ---------------------------------------------------------------------------------------------
describe('unix socket paths', () => {
  /** A filesystem path of exactly `n` bytes inside the temp dir (nothing exists there). */
  function fsPathOf(n: number): string {
    const prefix = `${dir}/`;
    return prefix + 'p'.repeat(n - prefix.length);
  }
  /** An abstract name of exactly `n` bytes, its leading NUL included. */
  function abstractOf(n: number, base: string): string {
    const head = `\0${base}-`;
    return head + 'a'.repeat(n - head.length);
  }

  /**
   * The largest n for which `connect(make(n))` is not refused with a RangeError, searching up from
   * `start` (bounded): the limit as the library enforces it, found by trying.
   */
  function longestAccepted(start: number, make: (n: number) => string): { n: number; result: number } {
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    let last = { n: -1, result: 0 };
    for (let n = start; n < start + 4096; n++) {
      let result: number;
      try {
        result = sys.connect(s.fd, { family: c.AF_UNIX!, path: make(n) });
      } catch (e) {
        expect(e).toBeInstanceOf(RangeError);
        expect((e as { code?: string }).code).toBe(RANGE);
        return last;
      }
      last = { n, result };
    }
    throw new Error('no length limit found within the search bound');
  }

  const fsStart = () => `${dir}/`.length + 1;

  it('the longest filesystem path accepted reaches the kernel (ENOENT: no such file)', () => {
    const longest = longestAccepted(fsStart(), fsPathOf);
    expect(longest.n).toBeGreaterThan(fsStart());
    expect(longest.result).toBe(-c.ENOENT!);
  });

  it('one byte more than the longest accepted filesystem path → RangeError', () => {
    const { n } = longestAccepted(fsStart(), fsPathOf);
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    expectArgError(() => s.connect(unixPath(fsPathOf(n + 1))), RANGE);
  });

  it('the longest accepted filesystem path really binds, and getsockname returns all of it', () => {
    const { n } = longestAccepted(fsStart(), fsPathOf);
    const path = fsPathOf(n);
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    try {
      s.bind(unixPath(path));
      expect(s.getsockname()).toEqual(unixPath(path));
    } finally {
      s.close();
      rmSync(path, { force: true });
    }
  });

  it('an abstract name may use one byte more than a filesystem path (no terminating NUL needed)', () => {
    const base = uniqueAbstractName('limit');
    const fs = longestAccepted(fsStart(), fsPathOf);
    const abs = longestAccepted(base.length + 3, (n) => abstractOf(n, base));
    expect(abs.n).toBe(fs.n + 1);
    expect(abs.result).toBe(-c.ECONNREFUSED!);
  });

  it('the kernel keeps every byte of the longest abstract name: getsockname returns it whole', () => {
    const base = uniqueAbstractName('whole');
    const { n } = longestAccepted(base.length + 3, (k) => abstractOf(k, base));
    const name = abstractOf(n, base);
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    s.bind({ family: c.AF_UNIX!, path: name });
    const local = s.getsockname() as { path: string };
    expect(local.path.length).toBe(n);
    expect(local.path).toBe(name);
  });

  it('one byte more than the longest abstract name → RangeError', () => {
    const base = uniqueAbstractName('over');
    const { n } = longestAccepted(base.length + 3, (k) => abstractOf(k, base));
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    expectArgError(() => s.bind({ family: c.AF_UNIX!, path: abstractOf(n + 1, base) }), RANGE);
  });

  it('the limits count bytes, not characters: a path as bytes has the same limit', () => {
    const { n } = longestAccepted(fsStart(), fsPathOf);
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    expect(sys.connect(s.fd, { family: c.AF_UNIX!, path: Buffer.from(fsPathOf(n)) })).toBe(-c.ENOENT!);
    expectArgError(() => s.connect({ family: c.AF_UNIX!, path: Buffer.from(fsPathOf(n + 1)) }), RANGE);
  });

  it('a multi-byte UTF-8 path is measured in bytes', () => {
    const { n } = longestAccepted(fsStart(), fsPathOf);
    // Replace one ASCII byte by 'é' (2 bytes in UTF-8): the same character count, one byte over.
    const path = `${fsPathOf(n).slice(0, -1)}é`;
    expect(Buffer.byteLength(path)).toBe(n + 1);
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    expectArgError(() => s.connect(unixPath(path)), RANGE);
  });

  it('a NUL inside a filesystem path → TypeError ERR_INVALID_ARG_VALUE', () => {
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    expectArgError(() => s.bind(unixPath(join(dir, 'a\0b'))), VALUE);
  });

  it('an empty path → TypeError ERR_INVALID_ARG_VALUE', () => {
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    expectArgError(() => s.bind(unixPath('')), VALUE);
  });

  it.each([
    ['a number', 5],
    ['undefined', undefined],
    ['a Uint16Array', new Uint16Array(4)],
  ] as [string, unknown][])('a path given as %s → TypeError', (_label, path) => {
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    expectArgError(() => s.bind({ family: c.AF_UNIX!, path: any(path) }), TYPE);
  });

  it('a bind that fails validation creates no file', () => {
    const s = sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_STREAM!));
    const { n } = longestAccepted(fsStart(), fsPathOf);
    expectArgError(() => s.bind(unixPath(fsPathOf(n + 1))), RANGE);
    expect(existsSync(fsPathOf(n + 1))).toBe(false);
    expect(s.getsockname()).toEqual({ family: c.AF_UNIX, path: '' });
  });
});

// ---------------------------------------------------------------------------------------------
describe('fcntl', () => {
  // F_GETLK takes a struct flock pointer; when the headers give no number for it here, any
  // number outside the allowed list makes the same point.
  const disallowed = c.F_GETLK ?? 0x7fff_0000;

  it('sys.fcntl with a command outside the int-argument list → RangeError', () => {
    expectArgError(() => sys.fcntl(udpSocket().fd, disallowed, 0), RANGE);
  });

  it('Socket.fcntl with a command outside the int-argument list → RangeError', () => {
    expectArgError(() => udpSocket().fcntl(disallowed), RANGE);
  });

  it.each([
    ['a string command', TYPE, () => sys.fcntl(udpSocket().fd, any('F_GETFL'))],
    ['a fractional argument', RANGE, () => sys.fcntl(udpSocket().fd, c.F_SETFL!, 1.5)],
    ['a string argument', TYPE, () => sys.fcntl(udpSocket().fd, c.F_SETFL!, any('1'))],
  ] as [string, ArgCode, () => unknown][])('%s → %s', (_label, code, call) => {
    expectArgError(call, code);
  });
});

// ---------------------------------------------------------------------------------------------
describe('ioctl', () => {
  const allowed = new Set(['FIONBIO', 'FIONREAD', 'SIOCOUTQ', 'SIOCOUTQNSD', 'SIOCATMARK'].map((n) => c[n]));
  const disallowed = 0x7fff_0000;

  it('the made-up request is really not one of the allowed ones', () => {
    expect(allowed.has(disallowed)).toBe(false);
  });

  it('sys.ioctl with a request outside the int-argument list → RangeError', () => {
    expectArgError(() => sys.ioctl(udpSocket().fd, disallowed, new Int32Array(1)), RANGE);
  });

  it('Socket.ioctl with a request outside the int-argument list → RangeError', () => {
    expectArgError(() => udpSocket().ioctl(disallowed), RANGE);
  });

  it('Socket.ioctl with a fractional value → RangeError (not truncated into the Int32Array)', () => {
    expectArgError(() => udpSocket().ioctl(c.FIONBIO!, 1.5), RANGE);
  });

  it('Socket.ioctl with a string value → TypeError', () => {
    expectArgError(() => udpSocket().ioctl(c.FIONBIO!, any('1')), TYPE);
  });

  it('a negative request → RangeError', () => {
    expectArgError(() => sys.ioctl(udpSocket().fd, -1, new Int32Array(1)), RANGE);
  });

  it.each([
    ['a plain array', [0]],
    ['a Uint32Array', new Uint32Array(1)],
    ['a Float32Array', new Float32Array(1)],
    ['a Buffer', Buffer.alloc(4)],
    ['an empty Int32Array', new Int32Array(0)],
    ['null', null],
  ] as [string, unknown][])('a value that is %s, not an Int32Array of length >= 1 → TypeError', (_label, value) => {
    expectArgError(() => sys.ioctl(udpSocket().fd, c.FIONREAD!, any(value)), TYPE);
  });
});

// ---------------------------------------------------------------------------------------------
describe('poll', () => {
  const pollfd = sys.layouts.pollfd!;

  it('nfds beyond the buffer → RangeError', () => {
    expectArgError(() => sys.poll(Buffer.alloc(pollfd.size), 2, 0), RANGE);
  });

  it('nfds one entry beyond a buffer that is a byte short of two entries → RangeError', () => {
    expectArgError(() => sys.poll(Buffer.alloc(pollfd.size * 2 - 1), 2, 0), RANGE);
  });

  it('negative nfds → RangeError', () => {
    expectArgError(() => sys.poll(Buffer.alloc(pollfd.size), -1, 0), RANGE);
  });

  it('fds that is not a buffer → TypeError', () => {
    expectArgError(() => sys.poll(any([{ fd: 0, events: c.POLLIN }]), 1, 0), TYPE);
  });

  it('a fractional timeout → RangeError', () => {
    expectArgError(() => sys.poll(Buffer.alloc(pollfd.size), 0, 1.5), RANGE);
  });

  it('a misaligned fds view → RangeError', () => {
    const view = Buffer.alloc(pollfd.size * 2).subarray(1, 1 + pollfd.size);
    // Premise: the view is not even aligned for the int fd member.
    expect(view.byteOffset % pollfd.fields.fd![1]).not.toBe(0);
    expectArgError(() => sys.poll(view, 1, 0), RANGE);
  });

  it('Socket.poll with a fractional timeout → RangeError', () => {
    expectArgError(() => udpSocket().poll(c.POLLIN!, 1.5), RANGE);
  });
});

// ---------------------------------------------------------------------------------------------
describe('socket and socketpair', () => {
  it.each([
    ['an array', [0, 0]],
    ['a Uint32Array', new Uint32Array(2)],
    ['a Float64Array', new Float64Array(2)],
    ['a Buffer', Buffer.alloc(8)],
    ['null', null],
  ] as [string, unknown][])('socketpair with sv as %s → TypeError, and no socket is created', (_label, sv) => {
    const before = socketFdCount();
    expectArgError(() => sys.socketpair(c.AF_UNIX!, c.SOCK_STREAM!, 0, any(sv)), TYPE);
    expect(socketFdCount()).toBe(before);
  });

  it('socketpair with an Int32Array of 1 element → RangeError, and no socket is created', () => {
    const before = socketFdCount();
    expectArgError(() => sys.socketpair(c.AF_UNIX!, c.SOCK_STREAM!, 0, new Int32Array(1)), RANGE);
    expect(socketFdCount()).toBe(before);
  });

  it('socket with a fractional type → RangeError, and no socket is created', () => {
    const before = socketFdCount();
    expectArgError(() => sys.socket(c.AF_INET!, c.SOCK_STREAM! + 0.5, 0), RANGE);
    expect(socketFdCount()).toBe(before);
  });

  it('socket with a string domain → TypeError', () => {
    expectArgError(() => sys.socket(any('AF_INET'), c.SOCK_STREAM!, 0), TYPE);
  });

  it('Socket.create with a string domain → TypeError', () => {
    expectArgError(() => Socket.create(any('AF_INET'), c.SOCK_STREAM!), TYPE);
  });

  it('Socket.create with a fractional type → RangeError (not truncated by `type | SOCK_CLOEXEC`)', () => {
    const before = socketFdCount();
    expectArgError(() => Socket.create(c.AF_INET!, c.SOCK_STREAM! + 0.5), RANGE);
    expect(socketFdCount()).toBe(before);
  });

  it('Socket.create with a numeric string type → TypeError (not coerced by `|`)', () => {
    const before = socketFdCount();
    expectArgError(() => Socket.create(c.AF_INET!, any(String(c.SOCK_STREAM))), TYPE);
    expect(socketFdCount()).toBe(before);
  });

  it('Socket.pair with a fractional type → RangeError', () => {
    expectArgError(() => Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! + 0.5), RANGE);
  });
});

// ---------------------------------------------------------------------------------------------
describe('other Socket methods', () => {
  it('listen with a string backlog → TypeError, and the socket is not listening', () => {
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    s.bind(inet('127.0.0.1', 0));
    expectArgError(() => s.listen(any('16')), TYPE);
    expect(s.getOption('SO_ACCEPTCONN')).toBe(false);
  });

  it('listen with a fractional backlog → RangeError', () => {
    expectArgError(() => sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!)).listen(1.5), RANGE);
  });

  it('shutdown with a fractional how → RangeError', () => {
    const [a] = streamPair();
    expectArgError(() => a.shutdown(1.5), RANGE);
  });

  it('getOption with a name not in the table → TypeError ERR_INVALID_ARG_VALUE', () => {
    expectArgError(() => udpSocket().getOption(any('SO_NOPE')), VALUE);
  });

  it.each([
    ['SO_SNDBUF', 1.5, RANGE],
    ['SO_SNDBUF', 2 ** 31, RANGE],
    ['SO_SNDBUF', '4096', TYPE],
    ['SO_KEEPALIVE', 1, TYPE],
    ['SO_LINGER', { onoff: 1, linger: 0 }, TYPE],
    ['SO_LINGER', { onoff: true, linger: 0.5 }, RANGE],
    ['SO_RCVTIMEO', -1, RANGE],
    ['SO_RCVTIMEO', Infinity, RANGE],
    ['SO_RCVTIMEO', '10', TYPE],
  ] as [string, unknown, ArgCode][])('setOption(%s, %o) → %s', (name, value, code) => {
    expectArgError(() => sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!)).setOption(any(name), any(value)), code);
  });
});
