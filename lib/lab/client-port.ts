/**
 * E09 client-port: which local port a client uses — without bind, bound to port 0, bound to a
 * fixed port. Seeds 001 ("客户端绑定端口" cases 1–3), 003 §02 (tcp_client2 with a fixed port; the
 * server printing client ports that go up by 2).
 *
 * What it proves: without bind the port is 0 until connect picks an ephemeral one; bind(port 0)
 * picks it at bind time; either way the server's accept sees exactly that port. A fixed port is
 * what the server sees; a second client binding it gets -EADDRINUSE. And the finer point behind
 * that error: with SO_REUSEADDR on both clients the bind succeeds, and only a connect that would
 * duplicate the connection's 4-tuple fails (-EADDRNOTAVAIL).
 * @module
 */
import { formatAddress, inet, type InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import type { RawAddress } from '../native.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import { boundedAccept, boundedConnect, localPortRange, resultName, tcpSocket } from './group-b.js';
import { tcpListener } from './loopback.js';
import type { Scope } from './scope.js';

/** One client and what each side saw. */
export interface ClientCase {
  variant: 'no bind' | 'bind port 0' | 'bind a fixed port';
  /** getsockname before connect (after bind, when there was one). */
  beforeConnect: InetAddress;
  /** connect's raw result. */
  connect: number;
  /** getsockname after connect. */
  afterConnect: InetAddress;
  /** The peer address accept returned on the server (null when nothing was accepted). */
  serverSaw: InetAddress | null;
}

/** What E09 returns. */
export interface ClientPortData {
  /** net.ipv4.ip_local_port_range as read (null when unreadable). */
  range: [number, number] | null;
  cases: ClientCase[];
  /** The fixed port used (a port the kernel reported free just before). */
  fixedPort: number;
  /** A second client's bind to the fixed port, no options: -EADDRINUSE. */
  secondBind: number;
  /**
   * Clients with SO_REUSEADDR on another fixed port (the first one connected): the second one's
   * bind (0) and connect to the same server (-EADDRNOTAVAIL); a third one's bind (0), connect to
   * another server (0) and the port it used (the same).
   */
  reuseBoth: {
    port: number;
    bind: number;
    connectSameServer: number;
    otherBind: number;
    connectOtherServer: number;
    otherPort: number;
  };
  /** Ports picked by consecutive connects without bind, and by consecutive bind(port 0)s. */
  sequence: { connectPicked: number[]; bindPicked: number[] };
}

/** How many clients of each kind to take for the port sequence. */
const SEQUENCE = 4;

/**
 * A port on 127.0.0.1 the kernel reports free: bind a probe to port 0, read the port, close the
 * probe. No connection was made on it, so the port is free again at once; another program could
 * take it in between, so the caller retries (bounded) on EADDRINUSE.
 */
function freePort(scope: Scope): number {
  const probe = tcpSocket(scope);
  probe.bind(inet('127.0.0.1', 0));
  const port = (probe.getsockname() as InetAddress).port;
  probe.close();
  return port;
}

/** Binds `socket` to a free fixed port on 127.0.0.1 (at most 5 tries) → the port, or -errno of the last try. */
function bindFixed(scope: Scope, socket: ReturnType<typeof tcpSocket>): number {
  let result = 0;
  for (let i = 0; i < 5; i++) {
    const port = freePort(scope);
    result = sys.bind(socket.fd, inet('127.0.0.1', port) as RawAddress);
    if (result === 0) return port;
  }
  return result;
}

/** E09: the experiment. */
export const clientPort = defineExperiment<ClientPortData>(
  {
    id: 'E09',
    slug: 'client-port',
    title: 'The client’s port: picked by connect, by bind(0), or fixed',
    shows:
      'no bind / bind 0: an ephemeral port (getsockname; the server sees it); a fixed port is what the server sees; a second bind to it: -EADDRINUSE',
    seeds: '001, 003 §02',
  },
  async ({ claims, scope, note, progress, headline }) => {
    const range = localPortRange();
    if (!range) note('net.ipv4.ip_local_port_range could not be read: ports are checked to be non-zero only');
    const inRange = (port: number) => (range ? port >= range[0] && port <= range[1] : port > 0);
    const listener = tcpListener(scope, { backlog: 32 });

    const run = (variant: ClientCase['variant'], prepare: (s: ReturnType<typeof tcpSocket>) => void): ClientCase => {
      const client = tcpSocket(scope);
      prepare(client);
      const beforeConnect = client.getsockname() as InetAddress;
      const connect = boundedConnect(client, listener.address);
      const afterConnect = client.getsockname() as InetAddress;
      const accepted = connect === 0 ? boundedAccept(listener.socket, scope) : null;
      return { variant, beforeConnect, connect, afterConnect, serverSaw: (accepted?.address as InetAddress) ?? null };
    };
    const rangeText = range ? `${range[0]}–${range[1]}` : 'unknown';

    progress('client without bind');
    const plain = run('no bind', () => {});
    claims.check(
      'without bind: port 0 until connect, then an ephemeral port picked by connect (ip_local_port_range)',
      plain.connect === 0 && plain.beforeConnect.port === 0 && inRange(plain.afterConnect.port),
      `before connect ${formatAddress(plain.beforeConnect)}, after ${formatAddress(plain.afterConnect)} (range ${rangeText})`,
    );
    claims.equal(
      'the server’s accept sees exactly that port',
      plain.serverSaw && formatAddress(plain.serverSaw),
      formatAddress(plain.afterConnect),
    );

    progress('client bound to port 0');
    const zero = run('bind port 0', (s) => s.bind(inet('127.0.0.1', 0)));
    claims.check(
      'bind(port 0): the kernel picks an ephemeral port at bind time, and connect keeps it',
      zero.connect === 0 && inRange(zero.beforeConnect.port) && zero.afterConnect.port === zero.beforeConnect.port,
      `after bind ${formatAddress(zero.beforeConnect)}, after connect ${formatAddress(zero.afterConnect)}`,
    );
    claims.equal(
      'the server’s accept sees that port',
      zero.serverSaw && formatAddress(zero.serverSaw),
      formatAddress(zero.afterConnect),
    );

    progress('client bound to a fixed port');
    let fixedPort = 0;
    const fixed = run('bind a fixed port', (s) => (fixedPort = bindFixed(scope, s)));
    claims.check(
      'bind a fixed port: the server sees exactly that port',
      fixedPort > 0 && fixed.connect === 0 && fixed.serverSaw?.port === fixedPort,
      `bound ${fixedPort > 0 ? fixedPort : resultName(fixedPort)}, server saw ${fixed.serverSaw ? formatAddress(fixed.serverSaw) : 'nothing'}`,
    );
    const second = tcpSocket(scope);
    const secondBind = sys.bind(second.fd, inet('127.0.0.1', fixedPort) as RawAddress);
    claims.equal('a second client binding the same fixed port gets -EADDRINUSE', secondBind, -c.EADDRINUSE!);

    progress('both clients with SO_REUSEADDR');
    // With SO_REUSEADDR on both, bind no longer objects (the first socket is not listening); what
    // must stay unique is the connection's 4-tuple, and connect checks that.
    const first = tcpSocket(scope);
    first.setOption('SO_REUSEADDR', true);
    const reusePort = bindFixed(scope, first);
    const firstConnect = boundedConnect(first, listener.address);
    if (firstConnect === 0) boundedAccept(listener.socket, scope);
    const twin = tcpSocket(scope);
    twin.setOption('SO_REUSEADDR', true);
    const twinBind = sys.bind(twin.fd, inet('127.0.0.1', reusePort) as RawAddress);
    const connectSameServer = sys.connect(twin.fd, listener.address as RawAddress);
    const other = tcpListener(scope);
    const triplet = tcpSocket(scope);
    triplet.setOption('SO_REUSEADDR', true);
    const otherBind = sys.bind(triplet.fd, inet('127.0.0.1', reusePort) as RawAddress);
    const connectOtherServer = boundedConnect(triplet, other.address);
    const otherPort = (triplet.getsockname() as InetAddress).port;
    const reuseBoth = { port: reusePort, bind: twinBind, connectSameServer, otherBind, connectOtherServer, otherPort };
    claims.equal(
      'SO_REUSEADDR on both: the second bind succeeds; connect to the same server -EADDRNOTAVAIL, to another server 0 (same port)',
      `bind ${resultName(twinBind)}, connect ${resultName(connectSameServer)}; ` +
        `other server: bind ${resultName(otherBind)}, connect ${resultName(connectOtherServer)}, same port ${otherPort === reusePort}`,
      'bind 0, connect EADDRNOTAVAIL; other server: bind 0, connect 0, same port true',
    );

    progress('the ports consecutive clients get');
    const connectPicked: number[] = [];
    const bindPicked: number[] = [];
    for (let i = 0; i < SEQUENCE; i++) connectPicked.push(run('no bind', () => {}).afterConnect.port);
    for (let i = 0; i < SEQUENCE; i++)
      bindPicked.push(run('bind port 0', (s) => s.bind(inet('127.0.0.1', 0))).afterConnect.port);

    headline(
      `connect picked ${plain.afterConnect.port}, bind(0) picked ${zero.beforeConnect.port}, fixed ${fixedPort} seen by the server; ` +
        `second bind ${resultName(secondBind)}`,
    );
    return {
      range,
      cases: [plain, zero, fixed],
      fixedPort,
      secondBind,
      reuseBoth,
      sequence: { connectPicked, bindPicked },
    };
  },
);
