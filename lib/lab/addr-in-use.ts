/**
 * E10 addr-in-use: a second server on a busy port, and a server restarted while its old
 * connection sits in TIME_WAIT. Seed 003 §01 ("bind socket error: Address already in use (error
 * 98)" while the first server runs, and again right after it was killed; SO_REUSEADDR).
 *
 * It runs two rounds that differ only in whether the *old* listener had SO_REUSEADDR. In each:
 * while the listener listens, a second bind gets -EADDRINUSE (with SO_REUSEADDR or not). Then a
 * connection is made, the server side closes first — so the server side enters TIME_WAIT,
 * observed in /proc/net/tcp, not assumed — the client closes, the listener closes, and new
 * sockets try to bind the port: -EADDRINUSE without SO_REUSEADDR; with it, 0 only when the old
 * listener had it too (the TIME_WAIT socket inherits the flag from the listener, and bind lets
 * two sockets share a port only when both carry it).
 * @module
 */
import { inet, type InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import type { RawAddress } from '../native.js';
import * as sys from '../sys.js';
import { tcpStateName } from '../tcp-info.js';
import { defineExperiment } from './define.js';
import {
  boundedAccept,
  boundedConnect,
  clockTicksPerSecond,
  resultName,
  tcpSocket,
  tcpTable,
  type TcpTableEntry,
} from './group-b.js';
import { waitFor } from './sample.js';
import type { Scope } from './scope.js';

/** One round: the old listener with or without SO_REUSEADDR. */
export interface AddrInUseRound {
  /** Whether the old listener (and so its connections) had SO_REUSEADDR. */
  oldReuseaddr: boolean;
  /** The port (127.0.0.1). */
  port: number;
  /** bind of a second socket while the first listens: without / with SO_REUSEADDR on it. */
  whileListening: { plain: number; reuseaddr: number };
  /** The client's port (the side that closed second). */
  clientPort: number;
  /** /proc/net/tcp rows for the server's port once the listener and client had closed. */
  serverSide: TcpTableEntry[];
  /** /proc/net/tcp rows of the client's side then (none: it closed second, so no TIME_WAIT). */
  clientSide: TcpTableEntry[];
  /** TIME_WAIT time left when observed (ms), from the timer column; null when unknown. */
  timeWaitLeftMs: number | null;
  /** bind after the close: without SO_REUSEADDR, with it (and listen's result when bind gave 0). */
  afterClose: { plain: number; reuseaddr: number; listen: number | null };
}

/** What E10 returns. */
export interface AddrInUseData {
  rounds: AddrInUseRound[];
}

/** A second socket's bind to `port` (SO_REUSEADDR optional); listens when bind succeeds and `listen` is asked. */
function tryBind(
  scope: Scope,
  port: number,
  reuseaddr: boolean,
  listen = false,
): { bind: number; listen: number | null } {
  const socket = tcpSocket(scope);
  if (reuseaddr) socket.setOption('SO_REUSEADDR', true);
  const bind = sys.bind(socket.fd, inet('127.0.0.1', port) as RawAddress);
  const listened = bind === 0 && listen ? sys.listen(socket.fd, 4) : null;
  socket.close(); // release the port at once: the next attempt must see only the TIME_WAIT socket
  return { bind, listen: listened };
}

async function round(scope: Scope, oldReuseaddr: boolean, ticksPerSecond: number | null): Promise<AddrInUseRound> {
  const listener = tcpSocket(scope);
  if (oldReuseaddr) listener.setOption('SO_REUSEADDR', true);
  listener.bind(inet('127.0.0.1', 0));
  listener.listen(4);
  const port = (listener.getsockname() as InetAddress).port;
  const whileListening = { plain: tryBind(scope, port, false).bind, reuseaddr: tryBind(scope, port, true).bind };

  const client = tcpSocket(scope);
  const connected = boundedConnect(client, inet('127.0.0.1', port));
  if (connected !== 0) throw new Error(`connect to the listener failed: ${resultName(connected)}`);
  const clientPort = (client.getsockname() as InetAddress).port;
  const server = boundedAccept(listener, scope);
  if (!server) throw new Error('accept: nothing queued');
  // The server side closes first (active close: FIN_WAIT → TIME_WAIT); the client reads the
  // end of stream and closes second (passive close: CLOSE_WAIT → LAST_ACK → gone).
  server.socket.close();
  const eof = (client.poll(c.POLLIN, 2000) & c.POLLIN) !== 0 ? client.recv(Buffer.alloc(16)) : -1;
  if (eof !== 0) throw new Error(`the client did not see the server's FIN (recv ${eof})`);
  client.close();
  listener.close();

  let rows: TcpTableEntry[] = [];
  await waitFor(
    () => {
      rows = tcpTable();
      const serverRows = rows.filter((r) => r.localPort === port);
      return (
        serverRows.length > 0 &&
        serverRows.every((r) => r.state === c.TCP_TIME_WAIT) &&
        !rows.some((r) => r.localPort === clientPort && r.remotePort === port)
      );
    },
    2000,
    `the server side of port ${port} in TIME_WAIT and the client side gone (/proc/net/tcp)`,
  );
  const serverSide = rows.filter((r) => r.localPort === port);
  const clientSide = rows.filter((r) => r.localPort === clientPort && r.remotePort === port);
  const ticks = serverSide[0]?.timer.ticks;
  const timeWaitLeftMs = ticksPerSecond && ticks !== undefined ? Math.round((ticks * 1000) / ticksPerSecond) : null;

  const plain = tryBind(scope, port, false);
  const reuse = tryBind(scope, port, true, true);
  return {
    oldReuseaddr,
    port,
    whileListening,
    clientPort,
    serverSide,
    clientSide,
    timeWaitLeftMs,
    afterClose: { plain: plain.bind, reuseaddr: reuse.bind, listen: reuse.listen },
  };
}

/** E10: the experiment. */
export const addrInUse = defineExperiment<AddrInUseData>(
  {
    id: 'E10',
    slug: 'addr-in-use',
    title: 'Address already in use: a busy port, and a restart during TIME_WAIT',
    shows:
      'bind -EADDRINUSE while the first listens; after close with a connection in TIME_WAIT: -EADDRINUSE without SO_REUSEADDR, 0 with it on the old and the new socket',
    seeds: '003 §01',
  },
  async ({ claims, scope, note, progress, headline }) => {
    const ticksPerSecond = clockTicksPerSecond();
    if (ticksPerSecond === null) note('getconf CLK_TCK unavailable: the TIME_WAIT time left is not reported');

    progress('old listener without SO_REUSEADDR');
    const without = await round(scope, false, ticksPerSecond);
    progress('old listener with SO_REUSEADDR');
    const withIt = await round(scope, true, ticksPerSecond);

    claims.equal(
      'while the first listens, a second bind to its port gets -EADDRINUSE',
      without.whileListening.plain,
      -c.EADDRINUSE!,
    );
    claims.equal(
      'even with SO_REUSEADDR on both sockets, a second bind to a listening port gets -EADDRINUSE',
      withIt.whileListening.reuseaddr,
      -c.EADDRINUSE!,
    );
    for (const r of [without, withIt]) {
      const label = `[old listener ${r.oldReuseaddr ? 'with' : 'without'} SO_REUSEADDR]`;
      claims.check(
        `${label} the side that closed first (the server) is in TIME_WAIT; the client, which closed second, is gone`,
        r.serverSide.length > 0 && r.serverSide.every((e) => e.state === c.TCP_TIME_WAIT) && r.clientSide.length === 0,
        r.serverSide
          .map((e) => `${e.localAddress}:${e.localPort} ↔ :${e.remotePort} ${tcpStateName(e.state)}`)
          .join('; ') + `; client :${r.clientPort}: ${r.clientSide.length} rows`,
      );
      claims.equal(
        `${label} after close, bind without SO_REUSEADDR gets -EADDRINUSE (TIME_WAIT holds the port)`,
        r.afterClose.plain,
        -c.EADDRINUSE!,
      );
    }
    claims.equal(
      'SO_REUSEADDR on the new socket only (the old listener lacked it): still -EADDRINUSE',
      without.afterClose.reuseaddr,
      -c.EADDRINUSE!,
    );
    claims.equal(
      'SO_REUSEADDR on the old and the new socket: bind 0, and listen 0',
      `${resultName(withIt.afterClose.reuseaddr)}, ${withIt.afterClose.listen === null ? '-' : resultName(withIt.afterClose.listen)}`,
      '0, 0',
    );

    headline(
      `busy port: ${resultName(without.whileListening.plain)}; during TIME_WAIT: ${resultName(without.afterClose.plain)} ` +
        `(new-only SO_REUSEADDR ${resultName(without.afterClose.reuseaddr)}), old+new SO_REUSEADDR → ${resultName(withIt.afterClose.reuseaddr)}`,
    );
    return { rounds: [without, withIt] };
  },
);
