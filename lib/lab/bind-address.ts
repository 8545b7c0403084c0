/**
 * E08 bind-address: a listener bound to 127.0.0.1 versus one bound to 0.0.0.0 (INADDR_ANY).
 * Seed 001 ("bind 函数如何选择绑定地址").
 *
 * "Another local address" is 127.0.0.2: on Linux the whole 127.0.0.0/8 is local (one route sends
 * it to lo), so this host answers on 127.0.0.2 without any configuration — the experiment shows
 * that by binding to it. Bound to 127.0.0.1, the listener is reachable through 127.0.0.1 only;
 * a connect to 127.0.0.2 on the same port is refused. Bound to 0.0.0.0 it is reachable through
 * both, and each accepted socket's getsockname names the address the client dialled.
 *
 * Binding 0.0.0.0 opens the port on every interface for the few milliseconds the experiment
 * runs; every connect goes to loopback addresses only.
 * @module
 */
import { formatAddress, inet, type InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import { defineExperiment } from './define.js';
import type { RawAddress } from '../native.js';
import * as sys from '../sys.js';
import { boundedAccept, boundedConnect, resultName, tcpSocket } from './group-b.js';
import type { Scope } from './scope.js';

/** One connect to the listener through one local address. */
export interface Dial {
  /** The address dialled: '127.0.0.2:43210'. */
  via: string;
  /** connect's raw result and its name. */
  result: number;
  code: string;
  /** getsockname of the socket accept returned (null when nothing was accepted). */
  acceptedLocal: string | null;
  /** getsockname of the client after connect (its own source address). */
  clientLocal: string | null;
}

/** One listener and the dials to it. */
export interface BoundListener {
  /** The address given to bind. */
  requested: string;
  /** getsockname after bind + listen. */
  bound: InetAddress;
  dials: Dial[];
}

/** What E08 returns. */
export interface BindAddressData {
  /** Bound to 127.0.0.1: reachable via 127.0.0.1, refused via 127.0.0.2. */
  loopbackOnly: BoundListener;
  /** Bound to 0.0.0.0: reachable via both. */
  wildcard: BoundListener;
  /** 127.0.0.2:<port>, held bound (not listening) for the loopback-only case. */
  holder: InetAddress;
}

const OTHER_LOCAL = '127.0.0.2';

function listen(scope: Scope, address: string): { socket: ReturnType<typeof tcpSocket>; bound: InetAddress } {
  const socket = tcpSocket(scope);
  socket.bind(inet(address, 0));
  socket.listen(8);
  return { socket, bound: socket.getsockname() as InetAddress };
}

function dial(scope: Scope, listener: ReturnType<typeof tcpSocket>, target: InetAddress): Dial {
  const client = tcpSocket(scope);
  const result = boundedConnect(client, target);
  // A refused connect leaves nothing queued, so accept is attempted only after a success.
  const accepted = result === 0 ? boundedAccept(listener, scope) : null;
  return {
    via: formatAddress(target),
    result,
    code: resultName(result),
    acceptedLocal: accepted ? formatAddress(accepted.socket.getsockname()) : null,
    clientLocal: result === 0 ? formatAddress(client.getsockname()) : null,
  };
}

/** E08: the experiment. */
export const bindAddress = defineExperiment<BindAddressData>(
  {
    id: 'E08',
    slug: 'bind-address',
    title: 'Bind to 127.0.0.1 or to 0.0.0.0: who can reach the listener',
    shows:
      'bound to 127.0.0.1: reachable via 127.0.0.1, 127.0.0.2 → ECONNREFUSED; bound to 0.0.0.0: reachable via both; getsockname shows what was bound',
    seeds: '001',
  },
  async ({ claims, scope, progress, headline }) => {
    progress('listener bound to 127.0.0.1');
    const one = listen(scope, '127.0.0.1');
    const port = one.bound.port;
    // Keep <other local address>:<port> closed for the whole run: a socket bound there, never
    // listening, so no other program can listen on it meanwhile. Its bind succeeding is also the
    // proof that 127.0.0.2 is a local address here (a non-local one gives EADDRNOTAVAIL).
    const holderSocket = tcpSocket(scope);
    const holderBind = sys.bind(holderSocket.fd, inet(OTHER_LOCAL, port) as RawAddress);
    const holder = (holderBind === 0 ? holderSocket.getsockname() : inet(OTHER_LOCAL, port)) as InetAddress;
    claims.equal(
      `${OTHER_LOCAL} is a local address: a socket binds to ${OTHER_LOCAL}:${port} (the whole 127.0.0.0/8 goes to lo)`,
      resultName(holderBind),
      '0',
    );
    claims.equal('getsockname shows the address bound: 127.0.0.1', one.bound.address, '127.0.0.1');
    const loopbackOnly: BoundListener = {
      requested: '127.0.0.1:0',
      bound: one.bound,
      dials: [dial(scope, one.socket, inet('127.0.0.1', port)), dial(scope, one.socket, inet(OTHER_LOCAL, port))],
    };
    const [viaOne, viaOther] = loopbackOnly.dials as [Dial, Dial];
    claims.check(
      'bound to 127.0.0.1: reachable via 127.0.0.1 (connect 0, accepted)',
      viaOne.result === 0 && viaOne.acceptedLocal === `127.0.0.1:${port}`,
      `${viaOne.code}, accepted on ${viaOne.acceptedLocal}`,
    );
    claims.equal(
      `bound to 127.0.0.1: not reachable via ${OTHER_LOCAL} (-ECONNREFUSED)`,
      viaOther.result,
      -c.ECONNREFUSED!,
    );

    progress('listener bound to 0.0.0.0 (INADDR_ANY)');
    const any = listen(scope, '0.0.0.0');
    claims.equal('getsockname shows the address bound: 0.0.0.0 (INADDR_ANY)', any.bound.address, '0.0.0.0');
    const wildcard: BoundListener = {
      requested: '0.0.0.0:0',
      bound: any.bound,
      dials: [
        dial(scope, any.socket, inet('127.0.0.1', any.bound.port)),
        dial(scope, any.socket, inet(OTHER_LOCAL, any.bound.port)),
      ],
    };
    const [anyOne, anyOther] = wildcard.dials as [Dial, Dial];
    claims.check(
      `bound to 0.0.0.0: reachable via 127.0.0.1 and via ${OTHER_LOCAL}`,
      anyOne.result === 0 && anyOther.result === 0,
      `${anyOne.code}, ${anyOther.code}`,
    );
    claims.equal(
      'each accepted socket’s getsockname is the address the client dialled',
      `${anyOne.acceptedLocal}, ${anyOther.acceptedLocal}`,
      `${anyOne.via}, ${anyOther.via}`,
    );

    const word = (d: Dial) => (d.result === 0 ? 'connects' : d.code);
    headline(
      `bound 127.0.0.1: via 127.0.0.1 ${word(viaOne)}, via ${OTHER_LOCAL} ${word(viaOther)}; ` +
        `bound 0.0.0.0: via 127.0.0.1 ${word(anyOne)}, via ${OTHER_LOCAL} ${word(anyOther)}`,
    );
    return { loopbackOnly, wildcard, holder };
  },
);
