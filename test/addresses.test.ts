// Addresses as the kernel reports them (getsockname, getpeername, accept) and the helpers that
// build and print them. Loopback only; ports are chosen by the kernel.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Socket,
  abstractName,
  constants as c,
  formatAddress,
  inet,
  inet6,
  isInetAddress,
  isUnixAddress,
  sys,
  unixPath,
  unspec,
  type InetAddress,
} from '../lib/index.js';
import { WAIT_MS, expectErrno, udp4 } from './helpers/net.js';
import { Sockets, listener, tcpPair } from './helpers/peers.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

describe('getsockname / getpeername', () => {
  it('after bind to 127.0.0.1 port 0: AF_INET, 127.0.0.1 and a kernel-chosen port > 0', () => {
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    s.bind(inet('127.0.0.1', 0));
    const local = s.getsockname() as InetAddress;
    expect(local.family).toBe(c.AF_INET);
    expect(local.address).toBe('127.0.0.1');
    expect(Number.isInteger(local.port)).toBe(true);
    expect(local.port).toBeGreaterThan(0);
  });

  it('a fresh unbound AF_INET socket reports 0.0.0.0 port 0', () => {
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_DGRAM!));
    expect(s.getsockname()).toEqual(inet('0.0.0.0', 0));
  });

  it('the raw layer writes the address into the caller object and returns 0', () => {
    const { socket, address } = udp4(sockets);
    const out = {} as sys.RawAddress;
    expect(sys.getsockname(socket.fd, out)).toBe(0);
    expect(out).toEqual(address);
  });

  it("the client's getpeername is the accepted side's getsockname", () => {
    const [client, server] = tcpPair(sockets);
    expect(client.getpeername()).toEqual(server.getsockname());
  });

  it("the accepted side's getpeername is the client's getsockname", () => {
    const [client, server] = tcpPair(sockets);
    expect(server.getpeername()).toEqual(client.getsockname());
  });

  it('connect binds the client implicitly: its getsockname is 127.0.0.1 with a port > 0', () => {
    const [client] = tcpPair(sockets);
    const local = client.getsockname() as InetAddress;
    expect(local.address).toBe('127.0.0.1');
    expect(local.port).toBeGreaterThan(0);
  });

  it('getpeername on an unconnected socket is ENOTCONN', () => {
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    expectErrno(() => s.getpeername(), 'ENOTCONN', 'getpeername');
  });

  it('the raw getpeername returns -ENOTCONN and leaves the object untouched', () => {
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    const out = {} as sys.RawAddress;
    expect(sys.getpeername(s.fd, out)).toBe(-c.ENOTCONN!);
    expect(out).toEqual({});
  });
});

describe('accept', () => {
  it("returns the client's address exactly as the client's getsockname reports it", () => {
    const { socket: server, address } = listener(sockets);
    const client = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    client.connect(address);
    const accepted = server.accept();
    sockets.add(accepted.socket);
    expect(accepted.address).toEqual(client.getsockname());
  });

  it("the raw accept writes the peer's address into the caller object", () => {
    const { socket: server, address } = listener(sockets);
    const client = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    client.connect(address);
    const peer = {} as sys.RawAddress;
    const fd = sys.accept(server.fd, peer);
    expect(fd).toBeGreaterThanOrEqual(0);
    sockets.add(Socket.fromFd(fd));
    expect(peer).toEqual(client.getsockname());
  });

  it('the raw accept with a null peer skips the address and still returns the fd', () => {
    const { socket: server, address } = listener(sockets);
    const client = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    client.connect(address);
    const fd = sys.accept(server.fd, null);
    expect(fd).toBeGreaterThanOrEqual(0);
    const accepted = sockets.add(Socket.fromFd(fd));
    expect(accepted.getpeername()).toEqual(client.getsockname());
  });
});

describe('formatAddress', () => {
  it('AF_INET: address:port', () => {
    expect(formatAddress(inet('127.0.0.1', 8080))).toBe('127.0.0.1:8080');
  });

  it('AF_INET6: [address]:port', () => {
    expect(formatAddress(inet6('::1', 8080))).toBe('[::1]:8080');
  });

  it('AF_INET6 with a scope id: [address%scope]:port', () => {
    expect(formatAddress(inet6('::1', 8080, { scopeId: 1 }))).toBe('[::1%1]:8080');
  });

  it('AF_UNIX filesystem path: the path itself', () => {
    expect(formatAddress(unixPath('/run/syssock.sock'))).toBe('/run/syssock.sock');
  });

  it('AF_UNIX path given as bytes: the same text', () => {
    expect(formatAddress({ family: c.AF_UNIX!, path: Buffer.from('/run/syssock.sock') })).toBe('/run/syssock.sock');
  });

  it('AF_UNIX abstract name: @name', () => {
    expect(formatAddress(abstractName('syssock'))).toBe('@syssock');
  });

  it('AF_UNIX unnamed (empty path): (unnamed)', () => {
    expect(formatAddress({ family: c.AF_UNIX!, path: '' })).toBe('(unnamed)');
  });

  it('AF_UNSPEC: AF_UNSPEC', () => {
    expect(formatAddress(unspec())).toBe('AF_UNSPEC');
  });

  it('another family: family <number>', () => {
    expect(formatAddress({ family: c.AF_PACKET! })).toBe(`family ${c.AF_PACKET}`);
  });

  it('formats what getsockname returned', () => {
    const { address } = udp4(sockets);
    expect(formatAddress(address)).toBe(`127.0.0.1:${address.port}`);
  });
});

describe('address helpers', () => {
  it('inet builds { family: AF_INET, address, port }', () => {
    expect(inet('127.0.0.1', 80)).toEqual({ family: c.AF_INET, address: '127.0.0.1', port: 80 });
  });

  it('inet6 fills flowinfo and scopeId with 0 by default', () => {
    expect(inet6('::1', 80)).toEqual({ family: c.AF_INET6, address: '::1', port: 80, flowinfo: 0, scopeId: 0 });
  });

  it('inet6 takes flowinfo and scopeId from its options', () => {
    expect(inet6('::1', 80, { flowinfo: 7, scopeId: 1 })).toEqual({
      family: c.AF_INET6,
      address: '::1',
      port: 80,
      flowinfo: 7,
      scopeId: 1,
    });
  });

  it('unixPath builds { family: AF_UNIX, path }', () => {
    expect(unixPath('/run/x.sock')).toEqual({ family: c.AF_UNIX, path: '/run/x.sock' });
  });

  it('abstractName prefixes the name with one NUL byte', () => {
    expect(abstractName('name')).toEqual({ family: c.AF_UNIX, path: '\0name' });
  });

  it('unspec builds { family: AF_UNSPEC }', () => {
    expect(unspec()).toEqual({ family: c.AF_UNSPEC });
  });

  it('isInetAddress is true for AF_INET and AF_INET6 only', () => {
    expect([inet('127.0.0.1', 1), inet6('::1', 1), unixPath('/x'), unspec()].map(isInetAddress)).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('isUnixAddress is true for AF_UNIX only', () => {
    expect([inet('127.0.0.1', 1), unixPath('/x'), abstractName('x'), unspec()].map(isUnixAddress)).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it('what getsockname returns is itself a valid bind/connect argument (the shapes round-trip)', () => {
    const { socket: receiver, address } = udp4(sockets);
    const { socket: sender } = udp4(sockets);
    expect(sender.sendto('x', address)).toBe(1);
    expect(receiver.poll(c.POLLIN!, WAIT_MS) & c.POLLIN!).toBe(c.POLLIN);
    expect(receiver.recvfrom(Buffer.alloc(1)).bytes).toBe(1);
  });
});
