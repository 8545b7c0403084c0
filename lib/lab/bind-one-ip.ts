/**
 * E28 bind-one-ip: a host with several addresses and a server bound to one of them. Seed 003 §03
 * (a server bound to one IP of a multi-homed host is reachable through that IP only).
 *
 * Two network namespaces built by {@link createNetwork}, joined by two veth links:
 * `client` 10.200.1.1/24 (c0) ↔ `server` 10.200.1.2/24 (s0), and
 * `client` 10.200.2.1/24 (c1) ↔ `server` 10.200.2.2/24 (s1).
 * The server host's interfaces and addresses are listed with `ip -j addr`. A server actor binds
 * one listener to 10.200.1.2 and, for contrast, one to 0.0.0.0; a client actor connects to each
 * port through both of the server's addresses (nonblocking connect + poll, bounded). Bound to
 * 10.200.1.2: connect via 10.200.1.2 succeeds, via 10.200.2.2 — the same host, the same port —
 * -ECONNREFUSED (the kernel finds no socket for that address:port and answers RST). Bound to
 * 0.0.0.0: both succeed.
 * @module
 */
import { constants as c, errnoName } from '../constants.js';
import type { ChildBody } from './child.js';
import { defineExperiment } from './define.js';
import { actorResult, createNetworkOrSkip, type HostInterface, type TopologySpec } from './netns.js';

/** One connect of the client. */
export interface Attempt {
  /** Which listener: the one bound to one address, or the one bound to 0.0.0.0. */
  listener: 'one' | 'any';
  address: string;
  port: number;
  /** connect's raw result (-EINPROGRESS, or an error inside the call). */
  connect: number;
  /** SO_ERROR after POLLOUT (0: connected), or the immediate error; -1 if poll ran out. */
  error: number;
  code: string;
  /** The client's local address of the connection (getsockname), when it connected. */
  local: string | null;
}

/** What E28 returns. */
export interface BindOneIpData {
  /** Set when the experiment could not run here: why ("needs network namespaces: …"). */
  unavailable: string | null;
  /** The server host's interfaces and addresses (`ip -j addr`). */
  serverInterfaces: HostInterface[];
  /** Its IPv4 addresses outside loopback. */
  serverAddresses: string[];
  /** What the listeners were bound to, read back with getsockname. */
  bound: { one: string; any: string };
  attempts: Attempt[];
  /** The peers the server accepted (address:port), in order. */
  accepted: string[];
}

const ONE = '10.200.1.2';
const OTHER = '10.200.2.2';
/** Bound on each connect + poll: everything here is answered within microseconds. */
const CONNECT_BOUND_MS = 2000;
const ACTOR_BOUND_MS = 10_000;

interface ServerReady {
  one: { address: string; port: number };
  any: { address: string; port: number };
}

// The server actor: two listeners, reports their addresses, waits (bounded) for the client to
// finish, then accepts what is queued without blocking and reports the peers.
const serverActor: ChildBody<{ one: string }, string[]> = async (sys, arg, io) => {
  const C = sys.constants;
  const listen = (address: string) => {
    const fd = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC! | C.SOCK_NONBLOCK!, 0);
    if (fd < 0) throw new Error(`socket: ${fd}`);
    let rc = sys.bind(fd, { family: C.AF_INET!, address, port: 0 });
    if (rc < 0) throw new Error(`bind ${address}: ${rc}`);
    rc = sys.listen(fd, 8);
    if (rc < 0) throw new Error(`listen: ${rc}`);
    const name: { family: number; address?: string; port?: number } = { family: 0 };
    sys.getsockname(fd, name);
    return { fd, address: name.address!, port: name.port! };
  };
  const one = listen(arg.one);
  const any = listen('0.0.0.0');
  io.post({ one: { address: one.address, port: one.port }, any: { address: any.address, port: any.port } });
  await io.next(10_000, 'the client to finish');
  const peers: string[] = [];
  for (const l of [one, any]) {
    // Nonblocking listeners: accept until -EAGAIN, at most 8 (the backlog).
    for (let i = 0; i < 8; i++) {
      const peer: { family: number; address?: string; port?: number } = { family: 0 };
      const fd = sys.accept4(l.fd, peer, C.SOCK_CLOEXEC!);
      if (fd < 0) break;
      peers.push(`${peer.address}:${peer.port} → :${l.port}`);
      sys.close(fd);
    }
    sys.close(l.fd);
  }
  return peers;
};

interface ClientTarget {
  listener: 'one' | 'any';
  address: string;
  port: number;
}

// The client actor: a nonblocking connect + poll(POLLOUT) + SO_ERROR to each target.
const clientActor: ChildBody<{ targets: ClientTarget[]; boundMs: number }, Attempt[]> = (sys, arg) => {
  const C = sys.constants;
  return arg.targets.map((t) => {
    const fd = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC! | C.SOCK_NONBLOCK!, 0);
    if (fd < 0) throw new Error(`socket: ${fd}`);
    const connect = sys.connect(fd, { family: C.AF_INET!, address: t.address, port: t.port });
    let error = connect === 0 ? 0 : -connect;
    if (connect === -C.EINPROGRESS!) {
      // struct pollfd { int fd; short events; short revents; }
      const pfd = new Int32Array(2);
      const shorts = new Int16Array(pfd.buffer);
      pfd[0] = fd;
      shorts[2] = C.POLLOUT!;
      if (sys.poll(pfd, 1, arg.boundMs) > 0) {
        const v = new Int32Array(1);
        sys.getsockopt(fd, C.SOL_SOCKET!, C.SO_ERROR!, v);
        error = v[0]!;
      } else error = -1;
    }
    let local: string | null = null;
    if (error === 0) {
      const name: { family: number; address?: string; port?: number } = { family: 0 };
      sys.getsockname(fd, name);
      local = `${name.address}:${name.port}`;
    }
    sys.close(fd);
    return { ...t, connect, error, code: '', local };
  });
};

/** E28: the experiment. */
export const bindOneIp = defineExperiment<BindOneIpData>(
  {
    id: 'E28',
    slug: 'bind-one-ip',
    title: 'Bind to one IP of a multi-address host: reachable there, ECONNREFUSED at its other address',
    shows:
      "list the host's interfaces and addresses; connect to the bound address succeeds, to another address of the same host -ECONNREFUSED",
    seeds: '003 §03',
  },
  async ({ claims, scope, note, headline, progress, signal, skip }) => {
    const data: BindOneIpData = {
      unavailable: null,
      serverInterfaces: [],
      serverAddresses: [],
      bound: { one: '', any: '' },
      attempts: [],
      accepted: [],
    };
    progress('building a client and a two-address server host');
    const spec: TopologySpec = {
      hosts: { client: {}, server: {} },
      links: [
        {
          a: { host: 'client', dev: 'c0', addresses: ['10.200.1.1/24'] },
          b: { host: 'server', dev: 's0', addresses: [`${ONE}/24`] },
        },
        {
          a: { host: 'client', dev: 'c1', addresses: ['10.200.2.1/24'] },
          b: { host: 'server', dev: 's1', addresses: [`${OTHER}/24`] },
        },
      ],
    };
    const built = await createNetworkOrSkip(scope, spec, { signal }, skip);
    if ('unavailable' in built) return { ...data, unavailable: built.unavailable };
    const { net } = built;
    data.serverInterfaces = await net.interfaces('server');
    data.serverAddresses = data.serverInterfaces.flatMap((i) =>
      i.addresses.filter((a) => a.family === 'inet' && !a.local.startsWith('127.')).map((a) => a.local),
    );
    claims.check(
      'the server host has several IPv4 addresses (ip -j addr), on several interfaces',
      data.serverAddresses.includes(ONE) && data.serverAddresses.includes(OTHER),
      data.serverInterfaces
        .map((i) => `${i.ifname}: ${i.addresses.map((a) => `${a.local}/${a.prefixlen}`).join(' ')}`)
        .join('; '),
    );

    progress('server: one listener bound to 10.200.1.2, one to 0.0.0.0');
    const server = await net.actor('server', serverActor, { one: ONE });
    const ready = (await server.next(CONNECT_BOUND_MS * 2, 'the server listeners')) as ServerReady;
    data.bound = { one: `${ready.one.address}:${ready.one.port}`, any: `${ready.any.address}:${ready.any.port}` };
    claims.equal('getsockname shows the one address the listener was bound to', ready.one.address, ONE);

    progress('client: connect to both ports through both addresses');
    const targets: ClientTarget[] = [
      { listener: 'one', address: ONE, port: ready.one.port },
      { listener: 'one', address: OTHER, port: ready.one.port },
      { listener: 'any', address: ONE, port: ready.any.port },
      { listener: 'any', address: OTHER, port: ready.any.port },
    ];
    const client = await net.actor('client', clientActor, { targets, boundMs: CONNECT_BOUND_MS });
    const attempts = await actorResult(client, ACTOR_BOUND_MS, signal, 'the client actor');
    data.attempts = attempts.map((a) => ({
      ...a,
      code: a.error === -1 ? 'no answer' : a.error === 0 ? '0' : errnoName(a.error),
    }));
    server.send('done');
    data.accepted = await actorResult(server, ACTOR_BOUND_MS, signal, 'the server actor');

    const [oneHere, oneThere, anyHere, anyThere] = data.attempts as [Attempt, Attempt, Attempt, Attempt];
    claims.equal(`connect to the bound address ${ONE}:${ready.one.port} succeeds`, oneHere.code, '0');
    claims.equal(
      `connect to ${OTHER}:${ready.one.port} — the same host, the same port, its other address — -ECONNREFUSED`,
      oneThere.code,
      'ECONNREFUSED',
    );
    claims.equal(
      'for contrast, a listener bound to 0.0.0.0 is reached through both addresses',
      `${anyHere.code}, ${anyThere.code}`,
      '0, 0',
    );
    claims.equal(
      'the server accepted exactly the three connections that succeeded',
      data.accepted.length,
      data.attempts.filter((a) => a.error === 0).length,
    );
    if (oneThere.connect === -c.ECONNREFUSED!) note('the refused connect failed inside the call (RST handled at once)');
    headline(
      `bound to ${ONE}: via ${ONE} ${oneHere.code === '0' ? 'connected' : oneHere.code}, via ${OTHER} ${oneThere.code}; ` +
        `0.0.0.0: ${anyHere.code}, ${anyThere.code}`,
    );
    return data;
  },
);
