// Small builders for loopback peers used across the tests. Every socket they create is pushed
// onto the given list, so a test's afterEach can close them all even when it failed midway.
import { Socket, constants as c, inet, type InetAddress } from '../../lib/index.js';

/** Collects Sockets for closing in afterEach. */
export class Sockets {
  readonly list: Socket[] = [];
  add<T extends Socket>(s: T): T {
    this.list.push(s);
    return s;
  }
  closeAll(): void {
    for (const s of this.list.splice(0)) s.close();
  }
}

/** A TCP listener on 127.0.0.1 with a kernel-chosen port. */
export function listener(sockets: Sockets, options: { nonBlocking?: boolean; backlog?: number } = {}) {
  const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM! | (options.nonBlocking ? c.SOCK_NONBLOCK! : 0)));
  s.setOption('SO_REUSEADDR', true);
  s.bind(inet('127.0.0.1', 0));
  s.listen(options.backlog ?? 16);
  return { socket: s, address: s.getsockname() as InetAddress };
}

/** A connected TCP pair over loopback: [client, accepted server side]. Both blocking. */
export function tcpPair(sockets: Sockets): [Socket, Socket] {
  const { socket: server, address } = listener(sockets);
  const client = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
  client.connect(address);
  const accepted = sockets.add(server.accept().socket);
  return [client, accepted];
}

/** A port on 127.0.0.1 that nobody listens on: bound (not listening) by a socket kept open. */
export function closedPort(sockets: Sockets): InetAddress {
  const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
  s.bind(inet('127.0.0.1', 0));
  return s.getsockname() as InetAddress;
}
