// IPv6 over the loopback address ::1: a TCP round trip, the addresses the kernel reports, UDP
// sender addresses, and IPV6_V6ONLY. When ::1 cannot be bound here, every test is skipped and
// the reason is printed once.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constants as c, inet6, type Inet6Address } from '../lib/index.js';
import { WAIT_MS, expectErrno, ipv6Loopback, udp6 } from './helpers/net.js';
import { Sockets } from './helpers/peers.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

const probe = ipv6Loopback();
const skip = !probe.available;
if (skip) console.warn(`ipv6.test.ts: skipping every test, ::1 is not usable here (${probe.reason})`);

/** A TCP listener on ::1 with a kernel-chosen port. */
function listener6(): { server: Socket; address: Inet6Address } {
  const server = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_STREAM!));
  server.bind(inet6('::1', 0));
  server.listen(4);
  return { server, address: server.getsockname() as Inet6Address };
}

/** A connected TCP pair over ::1: [client, accepted side, the address accept reported]. */
function pair6(): [Socket, Socket, Inet6Address] {
  const { server, address } = listener6();
  const client = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_STREAM!));
  client.connect(address);
  const accepted = server.accept();
  sockets.add(accepted.socket);
  return [client, accepted.socket, accepted.address as Inet6Address];
}

describe('IPv6 loopback ::1', () => {
  it.skipIf(skip)('getsockname after bind: AF_INET6, ::1, a port > 0, flowinfo 0, scopeId 0', () => {
    const { address } = listener6();
    expect(address.family).toBe(c.AF_INET6);
    expect(address.address).toBe('::1');
    expect(address.port).toBeGreaterThan(0);
    expect(address.flowinfo).toBe(0);
    expect(address.scopeId).toBe(0);
  });

  it.skipIf(skip)('TCP connect/accept round trip moves bytes both ways', () => {
    const [client, server] = pair6();
    expect(client.send('ping6')).toBe(5);
    const buf = Buffer.alloc(8);
    expect(server.recv(buf)).toBe(5);
    expect(buf.subarray(0, 5).toString()).toBe('ping6');
    expect(server.send('pong')).toBe(4);
    expect(client.recv(buf)).toBe(4);
    expect(buf.subarray(0, 4).toString()).toBe('pong');
  });

  it.skipIf(skip)("accept's address is the client's getsockname", () => {
    const [client, , peer] = pair6();
    expect(peer).toEqual(client.getsockname());
  });

  it.skipIf(skip)("the client's getpeername is the accepted side's getsockname", () => {
    const [client, server] = pair6();
    expect(client.getpeername()).toEqual(server.getsockname());
  });

  it.skipIf(skip)('the client is bound implicitly to ::1', () => {
    const [client] = pair6();
    expect((client.getsockname() as Inet6Address).address).toBe('::1');
  });

  it.skipIf(skip)("UDP recvfrom reports the sender's IPv6 address exactly", () => {
    const { socket: receiver, address } = udp6(sockets);
    const { socket: sender, address: senderAddress } = udp6(sockets);
    expect(sender.sendto('x', address)).toBe(1);
    expect(receiver.poll(c.POLLIN!, WAIT_MS) & c.POLLIN!).toBe(c.POLLIN);
    expect(receiver.recvfrom(Buffer.alloc(8)).address).toEqual(senderAddress);
  });

  it.skipIf(skip)('connecting to a ::1 port nobody listens on is ECONNREFUSED', () => {
    // The port is held by a bound, non-listening socket, so nobody else can take it meanwhile.
    const holder = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_STREAM!));
    holder.bind(inet6('::1', 0));
    const client = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_STREAM!));
    expectErrno(() => client.connect(holder.getsockname()), 'ECONNREFUSED', 'connect');
  });
});

describe('IPV6_V6ONLY', () => {
  it.skipIf(skip)('set to true reads back true', () => {
    const s = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_STREAM!));
    s.setOption('IPV6_V6ONLY', true);
    expect(s.getOption('IPV6_V6ONLY')).toBe(true);
  });

  it.skipIf(skip)('set to false reads back false', () => {
    const s = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_STREAM!));
    s.setOption('IPV6_V6ONLY', false);
    expect(s.getOption('IPV6_V6ONLY')).toBe(false);
  });

  const sysctl = '/proc/sys/net/ipv6/bindv6only';
  const bindv6only = (() => {
    try {
      return readFileSync(sysctl, 'utf8').trim();
    } catch {
      return undefined;
    }
  })();
  it.skipIf(skip || bindv6only === undefined)(`the default follows ${sysctl}`, () => {
    const s = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_DGRAM!));
    expect(s.getOption('IPV6_V6ONLY')).toBe(bindv6only !== '0');
  });

  it.skipIf(skip)('changing it after bind is EINVAL', () => {
    const s = sockets.add(Socket.create(c.AF_INET6!, c.SOCK_STREAM!));
    s.bind(inet6('::1', 0));
    expectErrno(() => s.setOption('IPV6_V6ONLY', true), 'EINVAL', 'setsockopt');
  });

  it.skipIf(skip)(
    'an AF_INET socket refuses the IPPROTO_IPV6 level: EOPNOTSUPP (named ENOTSUP, the same value)',
    () => {
      const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
      const err = expectErrno(() => s.getOption('IPV6_V6ONLY'), 'ENOTSUP', 'getsockopt');
      expect(err.errno).toBe(-c.EOPNOTSUPP!);
    },
  );
});
