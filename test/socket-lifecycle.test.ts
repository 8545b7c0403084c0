// A Socket's life after close(): fd -1, a second close does nothing, every call throws EBADF
// without making a syscall, so a closed Socket can never act on a recycled fd number that the
// kernel has since given to another socket. The raw layer has no such guard, by design.
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constant, constants, inet, poll, sys, type SockAddr } from '../lib/index.js';
import { listener, Sockets } from './helpers/peers.js';
import { expectCode, expectThrows, tcpSocket, thrown, waitAcceptable, waitFor } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

const NO_SYSCALL = 'no syscall was made';

describe('close', () => {
  it('fd is -1 and closed is true after close', () => {
    const s = tcpSocket(sockets);
    expect(s.fd).toBeGreaterThanOrEqual(0);
    expect(s.closed).toBe(false);
    s.close();
    expect(s.fd).toBe(-1);
    expect(s.closed).toBe(true);
  });

  it('a second close is a no-op', () => {
    const s = tcpSocket(sockets);
    s.close();
    expect(() => s.close()).not.toThrow();
    expect(s.fd).toBe(-1);
  });

  it('close really closes the fd: the old number is no longer open (fcntl and close give -EBADF)', () => {
    const s = tcpSocket(sockets);
    const old = s.fd;
    expect(sys.fcntl(old, constant('F_GETFD'))).toBeGreaterThanOrEqual(0);
    s.close();
    // Nothing runs between these lines that could be given the number again.
    expect(sys.fcntl(old, constant('F_GETFD'))).toBe(-constant('EBADF'));
    expect(sys.close(old)).toBe(-constant('EBADF'));
  });

  it("close reports the kernel's EBADF when the fd was closed behind its back, and still ends closed", () => {
    const s = tcpSocket(sockets);
    expect(sys.close(s.fd)).toBe(0); // misuse on purpose: a second owner closes the number
    const err = expectThrows(() => s.close(), 'EBADF', 'close');
    expect(err.message).not.toContain(NO_SYSCALL); // this one came from the real close(2)
    expect(s.closed).toBe(true);
    expect(() => s.close()).not.toThrow();
  });

  it('a Socket closed with [Symbol.dispose] is closed the same way', () => {
    const s = tcpSocket(sockets);
    s[Symbol.dispose]();
    expect(s.fd).toBe(-1);
    expectThrows(() => s.getsockname(), 'EBADF', 'getsockname');
  });
});

/** Each method of Socket, called on a closed Socket, with the syscall name its error must carry. */
const calls: [method: string, syscall: string, call: (s: Socket, peer: SockAddr) => unknown][] = [
  ['bind', 'bind', (s) => s.bind(inet('127.0.0.1', 0))],
  ['listen', 'listen', (s) => s.listen(1)],
  ['accept', 'accept4', (s) => s.accept()],
  ['acceptRaw', 'accept', (s) => s.acceptRaw()],
  ['accept4', 'accept4', (s) => s.accept4(0)],
  ['connect', 'connect', (s, peer) => s.connect(peer)],
  ['send', 'send', (s) => s.send('secret', constant('MSG_NOSIGNAL'))],
  ['recv', 'recv', (s) => s.recv(Buffer.alloc(8), constant('MSG_DONTWAIT'))],
  ['sendto', 'sendto', (s) => s.sendto('secret', null, constant('MSG_NOSIGNAL'))],
  ['recvfrom', 'recvfrom', (s) => s.recvfrom(Buffer.alloc(8), constant('MSG_DONTWAIT'))],
  ['shutdown', 'shutdown', (s) => s.shutdown(constant('SHUT_RDWR'))],
  ['fcntl', 'fcntl', (s) => s.fcntl(constant('F_GETFL'))],
  ['isNonBlocking', 'fcntl', (s) => s.isNonBlocking()],
  ['setNonBlocking', 'fcntl', (s) => s.setNonBlocking(true)],
  ['ioctl', 'ioctl', (s) => s.ioctl(constant('FIONREAD'))],
  ['recvQueue', 'ioctl', (s) => s.recvQueue()],
  ['sendQueue', 'ioctl', (s) => s.sendQueue()],
  ['getsockopt', 'getsockopt', (s) => s.getsockopt(constant('SOL_SOCKET'), constant('SO_TYPE'), new Int32Array(1))],
  [
    'setsockopt',
    'setsockopt',
    (s) => s.setsockopt(constant('SOL_SOCKET'), constant('SO_KEEPALIVE'), new Int32Array([1])),
  ],
  ['getOption', 'getsockopt', (s) => s.getOption('SO_ERROR')],
  ['setOption', 'setsockopt', (s) => s.setOption('SO_LINGER', { onoff: true, linger: 0 })],
  ['tcpInfo', 'getsockopt', (s) => s.tcpInfo()],
  ['getsockname', 'getsockname', (s) => s.getsockname()],
  ['getpeername', 'getpeername', (s) => s.getpeername()],
  ['poll', 'poll', (s) => s.poll(constant('POLLIN'), 0)],
];

describe('calls on a closed Socket', () => {
  it.each(calls)('%s throws EBADF (syscall %s) saying no syscall was made', (_name, syscall, call) => {
    const s = tcpSocket(sockets);
    s.close();
    const err = expectThrows(() => call(s, inet('127.0.0.1', 1)), 'EBADF', syscall);
    expect(err.message).toContain(NO_SYSCALL);
    expect(err.message).toMatch(new RegExp(`^${syscall} EBADF \\(`));
  });
});

describe('raw calls on a closed fd number', () => {
  /** The number of a socket that has just been closed (nothing can take it before the caller's next line). */
  function closedNumber(): number {
    const s = tcpSocket(sockets);
    const fd = s.fd;
    s.close();
    return fd;
  }

  const raw: [name: string, call: (fd: number) => number][] = [
    ['recv', (fd) => sys.recv(fd, Buffer.alloc(8), 0, 8, 0)],
    ['send', (fd) => sys.send(fd, Buffer.from('x'), 0, 1, constant('MSG_NOSIGNAL'))],
    ['getsockopt', (fd) => sys.getsockopt(fd, constant('SOL_SOCKET'), constant('SO_TYPE'), new Int32Array(1))],
    ['getsockname', (fd) => sys.getsockname(fd, { family: 0 })],
    ['fcntl', (fd) => sys.fcntl(fd, constant('F_GETFL'))],
    ['ioctl', (fd) => sys.ioctl(fd, constant('FIONREAD'), new Int32Array(1))],
    ['accept', (fd) => sys.accept(fd, null)],
    ['close', (fd) => sys.close(fd)],
  ];

  it.each(raw)('sys.%s returns -EBADF', (_name, call) => {
    expect(call(closedNumber())).toBe(-constant('EBADF'));
  });

  it('poll does not fail on a closed number: it reports POLLNVAL in revents', () => {
    const [revents] = poll([{ fd: closedNumber(), events: constant('POLLIN') }], 0);
    expect(revents).toBe(constant('POLLNVAL'));
  });
});

describe('a recycled fd number', () => {
  /**
   * Socket A is created last (so every lower number is taken), then closed; Socket B, created
   * right after, gets the lowest free number: A's. B is connected to a peer that we watch.
   */
  function recycled() {
    const { socket: server, address } = listener(sockets);
    const a = tcpSocket(sockets);
    const number = a.fd;
    a.close();
    const b = tcpSocket(sockets);
    b.connect(address);
    waitAcceptable(server);
    const peer = sockets.add(server.accept().socket);
    return { a, b, peer, number };
  }

  it('is given to the next socket: B gets the number A had', () => {
    const { a, b, number } = recycled();
    expect(a.fd).toBe(-1);
    expect(b.fd).toBe(number);
  });

  it("A.send throws EBADF and B's peer receives nothing", () => {
    const { a, b, peer, number } = recycled();
    expect(b.fd).toBe(number);
    const err = expectThrows(() => a.send('secret', constant('MSG_NOSIGNAL')), 'EBADF', 'send');
    expect(err.message).toContain(NO_SYSCALL);
    expectThrows(() => peer.recv(Buffer.alloc(16), constant('MSG_DONTWAIT')), 'EAGAIN', 'recv');
    expect(peer.recvQueue()).toBe(0);
    expect(b.sendQueue()).toBe(0);
    expect(b.recvQueue()).toBe(0);
    const info = b.tcpInfo();
    if (info.bytesSent !== undefined) expect(info.bytesSent).toBe(0);
    else expect(info.absent.map((f) => f.field)).toContain('bytesSent');
  });

  it.each(calls)(
    '%s on closed A throws EBADF although the number is open again (so no syscall ran)',
    (_name, syscall, call) => {
      const { a, b, peer, number } = recycled();
      expect(b.fd).toBe(number);
      // Had the call reached the kernel, it would have acted on B, an open socket: not EBADF.
      const err = thrown(() => call(a, peer.getsockname()));
      expectCode(err, 'EBADF', syscall);
      expect(err.message).toContain(NO_SYSCALL);
      // B is untouched: still connected, blocking, nothing queued either way.
      expect(b.getpeername()).toEqual(peer.getsockname());
      expect(b.isNonBlocking()).toBe(false);
      expect(b.getOption('SO_LINGER')).toEqual({ onoff: false, linger: 0 });
      expect(peer.recvQueue()).toBe(0);
    },
  );

  it("the raw layer has no such guard: sys.send on the old number reaches B's peer", () => {
    const { b, peer, number } = recycled();
    expect(b.fd).toBe(number);
    expect(sys.send(number, Buffer.from('oops'), 0, 4, constant('MSG_NOSIGNAL'))).toBe(4);
    waitFor(peer, constant('POLLIN'));
    const buf = Buffer.alloc(8);
    expect(peer.recv(buf)).toBe(4);
    expect(buf.subarray(0, 4).toString()).toBe('oops');
  });
});

describe('Socket.release', () => {
  const owned = new Sockets();
  afterEach(() => owned.closeAll());

  it('returns the fd without closing it, and the Socket then throws EBADF without a syscall', () => {
    const [a, b] = Socket.pair(constants.AF_UNIX, constants.SOCK_STREAM);
    owned.add(b);
    const fd = a.release();
    expect(a.closed).toBe(true);
    expect(a.fd).toBe(-1);
    expect(() => a.send('x')).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'send' }));
    // The fd is still open and still connected: the new owner can use and close it.
    const taken = owned.add(Socket.fromFd(fd));
    expect(taken.send('y')).toBe(1);
    expect(b.recv(Buffer.alloc(4))).toBe(1);
  });

  it('throws EBADF on a Socket that is already closed', () => {
    const [a, b] = Socket.pair(constants.AF_UNIX, constants.SOCK_STREAM);
    owned.add(b);
    a.close();
    expect(() => a.release()).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'release' }));
  });
});
