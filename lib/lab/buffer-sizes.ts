/**
 * E18 buffer-sizes: SO_SNDBUF / SO_RCVBUF as Linux really treats them. Seed 003 §05-3.
 *
 * What it proves, from inside the program:
 * - set N, read back 2N (the kernel doubles the value to leave room for its bookkeeping), between
 *   a floor (a tiny value reads back a fixed minimum) and a ceiling (a huge value reads back
 *   2 × net.core.wmem_max / rmem_max, read from /proc and reported; the relation is asserted,
 *   never the number); SO_SNDBUFFORCE passes the ceiling with CAP_NET_ADMIN (EPERM without);
 * - an accepted socket inherits the listener's sizes (set before listen, as the seed says — and,
 *   on Linux, also after listen as long as it is before the handshake completes);
 * - a client must set SO_RCVBUF before connect: the window it announces during the handshake
 *   (the server's TCP_INFO tcpi_snd_wnd right after accept) follows a buffer set before connect
 *   and ignores one set after;
 * - smaller buffers hold far fewer bytes before send would block (nonblocking sends until
 *   EAGAIN, with the queues at rest: bytes accepted == Send-Q + Recv-Q exactly).
 * @module
 */
import { readFileSync } from 'node:fs';
import { inet, type InetAddress } from '../address.js';
import { constants as c, errnoName } from '../constants.js';
import { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import { tcpConnection, tcpListener } from './loopback.js';
import { settled, waitFor } from './sample.js';
import type { Scope } from './scope.js';

/** The seed's SO_SNDBUF for the client: 8 KiB. */
export const SEED_SNDBUF = 8192;
/** The seed's SO_RCVBUF for the server: 10 KiB. */
export const SEED_RCVBUF = 10240;
/** Far above any sane net.core.*mem_max, so the ceiling applies. */
export const HUGE = 2 ** 30;
/** The client's small SO_RCVBUF in the handshake comparison. */
export const CLIENT_RCVBUF = 4096;

/** The sysctls behind the floor, the defaults and the ceiling, as read from /proc (null: unreadable). */
export interface BufferSysctls {
  wmemMax: number | null;
  rmemMax: number | null;
  /** net.ipv4.tcp_wmem / tcp_rmem: min, default, max. */
  tcpWmem: number[] | null;
  tcpRmem: number[] | null;
}

/** One setsockopt and the getsockopt after it. */
export interface Readback {
  option: 'SO_SNDBUF' | 'SO_RCVBUF';
  set: number;
  readBack: number;
}

/** The window a client announced in the handshake, as the server sees it right after accept. */
export interface HandshakeWindow {
  variant: 'default' | 'SO_RCVBUF before connect' | 'SO_RCVBUF after connect';
  /** The client's SO_RCVBUF as read back after connect. */
  clientRcvbuf: number;
  /** The server's tcpi_snd_wnd: the client's advertised receive window, scaled. */
  announcedWindow: number | null;
}

/** One fill: nonblocking sends until EAGAIN with the queues at rest. */
export interface Fill {
  variant: 'default buffers' | 'small buffers';
  /** Client SO_SNDBUF / server SO_RCVBUF read back when the fill ended. */
  sndbuf: number;
  rcvbuf: number;
  accepted: number;
  sendQ: number;
  recvQ: number;
  /** The code of the last send: 'EAGAIN'. */
  lastCode: string;
  sends: number;
}

/** What E18 returns. */
export interface BufferSizesData {
  sysctls: BufferSysctls;
  /** A fresh TCP socket's SO_SNDBUF / SO_RCVBUF (net.ipv4.tcp_wmem[1] / tcp_rmem[1]). */
  fresh: { sndbuf: number; rcvbuf: number };
  /** SO_SNDBUF of a default client once connected (Linux autotunes an unlocked send buffer). */
  connectedSndbuf: number;
  doubling: Readback[];
  floor: Readback[];
  /** Set just above half the floor: doubling resumes. */
  aboveFloor: Readback[];
  ceiling: Readback[];
  /** SO_SNDBUFFORCE to 2 × wmem_max: 0 and the read-back, or the errno code. */
  force: { set: number; code: string | null; readBack: number | null } | null;
  inherit: {
    /** The listener's SO_RCVBUF/SO_SNDBUF read back, set before listen. */
    listener: { rcvbuf: number; sndbuf: number };
    accepted: { rcvbuf: number; sndbuf: number };
    /** Set on the listener after listen(), before the client connected. */
    afterListen: { listenerRcvbuf: number; acceptedRcvbuf: number };
    /** A listener left alone: what its accepted socket reads. */
    untouched: { rcvbuf: number };
  };
  handshake: HandshakeWindow[];
  fills: Fill[];
}

function readSysctl(path: string): number[] | null {
  try {
    const values = readFileSync(path, 'utf8').trim().split(/\s+/).map(Number);
    return values.every((v) => Number.isFinite(v)) ? values : null;
  } catch {
    return null;
  }
}

function tcpSocket(scope: Scope): Socket {
  return scope.socket(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
}

function setAndRead(scope: Scope, option: Readback['option'], set: number): Readback {
  const s = tcpSocket(scope);
  s.setOption(option, set);
  const readBack = s.getOption(option);
  s.close();
  return { option, set, readBack };
}

/** A client connected to `address` with SO_RCVBUF set before, after or never; the window it announced. */
function handshake(scope: Scope, variant: HandshakeWindow['variant']): HandshakeWindow {
  const { socket: listener, address } = tcpListener(scope);
  const client = tcpSocket(scope);
  if (variant === 'SO_RCVBUF before connect') client.setOption('SO_RCVBUF', CLIENT_RCVBUF);
  client.connect(address);
  if (variant === 'SO_RCVBUF after connect') client.setOption('SO_RCVBUF', CLIENT_RCVBUF);
  const server = scope.socket(listener.accept().socket);
  // Right after accept nothing but the handshake has crossed: snd_wnd is what the client's
  // final handshake ACK announced.
  const announcedWindow = server.tcpInfo().sndWnd ?? null;
  return { variant, clientRcvbuf: client.getOption('SO_RCVBUF'), announcedWindow };
}

/**
 * Sends 64 KiB chunks with MSG_DONTWAIT until EAGAIN; once the queues are at rest (nothing
 * unacknowledged, Send-Q and Recv-Q unchanged over 20 ms), tries again; stops when a send at rest
 * still gives EAGAIN. Bounded by `maxSends` and the waits' own time limits.
 */
async function fill(scope: Scope, variant: Fill['variant'], small: boolean): Promise<Fill> {
  const { client, server } = tcpConnection(
    scope,
    small ? { clientSndbuf: SEED_SNDBUF, serverRcvbuf: SEED_RCVBUF } : {},
  );
  const chunk = Buffer.alloc(65536, 0x61);
  const maxSends = 2000;
  let accepted = 0;
  let sends = 0;
  let last = 0;
  for (let round = 0; round < 50 && sends < maxSends; round++) {
    let progressed = false;
    for (; sends < maxSends; sends++) {
      last = sys.send(client.fd, chunk, 0, chunk.length, c.MSG_DONTWAIT!);
      if (last < 0) break;
      accepted += last;
      progressed = true;
    }
    if (last < 0 && last !== -c.EAGAIN!) break;
    // At rest: the peer has acknowledged everything sent, and the queues hold still.
    await waitFor(() => client.tcpInfo().unacked === 0, 5000, 'tcpi_unacked == 0');
    await settled(() => [client.sendQueue(), server.recvQueue()]);
    if (!progressed && round > 0) break;
  }
  const final = await settled(() => ({ sendQ: client.sendQueue(), recvQ: server.recvQueue() }));
  return {
    variant,
    sndbuf: client.getOption('SO_SNDBUF'),
    rcvbuf: server.getOption('SO_RCVBUF'),
    accepted,
    sendQ: final.sendQ,
    recvQ: final.recvQ,
    lastCode: last < 0 ? errnoName(last) : `returned ${last}`,
    sends,
  };
}

/** E18: the experiment. */
export const bufferSizes = defineExperiment<BufferSizesData>(
  {
    id: 'E18',
    slug: 'buffer-sizes',
    title: 'SO_SNDBUF / SO_RCVBUF: doubled, bounded, inherited, and set before connect',
    shows:
      'set N → 2N (floor, ceiling = 2 × *mem_max); accepted sockets inherit; set before connect; small buffers fill fast',
    seeds: '003 §05-3',
  },
  async ({ claims, scope, note, headline, progress }) => {
    const sysctls: BufferSysctls = {
      wmemMax: readSysctl('/proc/sys/net/core/wmem_max')?.[0] ?? null,
      rmemMax: readSysctl('/proc/sys/net/core/rmem_max')?.[0] ?? null,
      tcpWmem: readSysctl('/proc/sys/net/ipv4/tcp_wmem'),
      tcpRmem: readSysctl('/proc/sys/net/ipv4/tcp_rmem'),
    };
    for (const [name, value] of Object.entries(sysctls))
      if (value === null) note(`${name}: could not be read from /proc/sys; relations that need it are not checked`);

    // Defaults of a fresh socket, and what autotuning does to an unlocked send buffer.
    const freshSocket = tcpSocket(scope);
    const fresh = { sndbuf: freshSocket.getOption('SO_SNDBUF'), rcvbuf: freshSocket.getOption('SO_RCVBUF') };
    freshSocket.close();
    if (sysctls.tcpWmem && sysctls.tcpRmem)
      claims.check(
        'a fresh TCP socket starts at net.ipv4.tcp_wmem[1] / tcp_rmem[1] (not doubled: nobody set them)',
        fresh.sndbuf === sysctls.tcpWmem[1] && fresh.rcvbuf === sysctls.tcpRmem[1],
        `SO_SNDBUF ${fresh.sndbuf} (tcp_wmem ${sysctls.tcpWmem.join(' ')}), SO_RCVBUF ${fresh.rcvbuf} (tcp_rmem ${sysctls.tcpRmem.join(' ')})`,
      );
    const plain = tcpConnection(scope);
    const connectedSndbuf = plain.client.getOption('SO_SNDBUF');

    // 1. Doubling, with the seed's values.
    const doubling = [setAndRead(scope, 'SO_SNDBUF', SEED_SNDBUF), setAndRead(scope, 'SO_RCVBUF', SEED_RCVBUF)];
    for (const r of doubling)
      claims.equal(`${r.option} set to ${r.set} reads back 2 × ${r.set}`, r.readBack, 2 * r.set);

    // 2. The floor: tiny values all read back the same minimum, which is more than twice them.
    const floor = (['SO_SNDBUF', 'SO_RCVBUF'] as const).flatMap((o) => [
      setAndRead(scope, o, 1),
      setAndRead(scope, o, 64),
    ]);
    const aboveFloor: Readback[] = [];
    for (const option of ['SO_SNDBUF', 'SO_RCVBUF'] as const) {
      const [one, sixtyFour] = floor.filter((r) => r.option === option);
      claims.check(
        `${option}: 1 and 64 both read back the same floor, more than 2 × 64`,
        one!.readBack === sixtyFour!.readBack && one!.readBack > 2 * 64,
        `1 → ${one!.readBack}, 64 → ${sixtyFour!.readBack}`,
      );
      const above = setAndRead(scope, option, Math.ceil(one!.readBack / 2) + 1000);
      aboveFloor.push(above);
      claims.equal(
        `${option}: just above half the floor (${above.set}) doubling applies again`,
        above.readBack,
        2 * above.set,
      );
    }

    // 3. The ceiling: 2 × net.core.wmem_max / rmem_max.
    const ceiling = [setAndRead(scope, 'SO_SNDBUF', HUGE), setAndRead(scope, 'SO_RCVBUF', HUGE)];
    for (const r of ceiling) {
      const max = r.option === 'SO_SNDBUF' ? sysctls.wmemMax : sysctls.rmemMax;
      const sysctl = r.option === 'SO_SNDBUF' ? 'wmem_max' : 'rmem_max';
      if (max === null) claims.check(`${r.option} set to 2^30 is capped`, r.readBack < 2 * HUGE, r.readBack);
      else
        claims.equal(
          `${r.option} set to 2^30 reads back 2 × net.core.${sysctl} (${max}): the ceiling`,
          r.readBack,
          2 * Math.min(HUGE, max),
        );
    }
    if (sysctls.wmemMax !== null && sysctls.wmemMax >= HUGE)
      note(`net.core.wmem_max (${sysctls.wmemMax}) is at least 2^30 here, so the ceiling was not reached`);

    // SO_SNDBUFFORCE: past the ceiling with CAP_NET_ADMIN, EPERM without. Exactly those two.
    let force: BufferSizesData['force'] = null;
    if (sysctls.wmemMax !== null && c.SO_SNDBUFFORCE !== undefined) {
      const s = tcpSocket(scope);
      const set = Math.min(2 * sysctls.wmemMax, 2 ** 29);
      const rc = sys.setsockopt(s.fd, c.SOL_SOCKET!, c.SO_SNDBUFFORCE, new Int32Array([set]));
      force = { set, code: rc < 0 ? errnoName(rc) : null, readBack: rc === 0 ? s.getOption('SO_SNDBUF') : null };
      s.close();
      if (rc === 0)
        claims.equal(
          `SO_SNDBUFFORCE (allowed: CAP_NET_ADMIN) set to ${set} passes the ceiling: reads back 2 × ${set}`,
          force.readBack,
          2 * set,
        );
      else {
        claims.equal('SO_SNDBUFFORCE without CAP_NET_ADMIN: EPERM', force.code, 'EPERM');
        note('SO_SNDBUFFORCE needs CAP_NET_ADMIN; this process lacks it, so only the EPERM was shown');
      }
    }

    // 4. Inheritance: the accepted socket takes the listener's sizes.
    progress('inheritance and the handshake window');
    const inheriting = scope.socket(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    inheriting.setOption('SO_RCVBUF', SEED_RCVBUF);
    inheriting.setOption('SO_SNDBUF', SEED_SNDBUF);
    inheriting.bind(inet('127.0.0.1', 0));
    inheriting.listen(4);
    const accepted = acceptOne(scope, inheriting);
    const inherit: BufferSizesData['inherit'] = {
      listener: { rcvbuf: inheriting.getOption('SO_RCVBUF'), sndbuf: inheriting.getOption('SO_SNDBUF') },
      accepted: { rcvbuf: accepted.getOption('SO_RCVBUF'), sndbuf: accepted.getOption('SO_SNDBUF') },
      afterListen: { listenerRcvbuf: 0, acceptedRcvbuf: 0 },
      untouched: { rcvbuf: plain.server.getOption('SO_RCVBUF') },
    };
    claims.check(
      'an accepted socket inherits the listener’s SO_RCVBUF and SO_SNDBUF (set before listen)',
      inherit.accepted.rcvbuf === inherit.listener.rcvbuf &&
        inherit.accepted.sndbuf === inherit.listener.sndbuf &&
        inherit.listener.rcvbuf === 2 * SEED_RCVBUF,
      `listener ${inherit.listener.rcvbuf}/${inherit.listener.sndbuf}, accepted ${inherit.accepted.rcvbuf}/${inherit.accepted.sndbuf}`,
    );
    claims.check(
      'a listener left alone gives its accepted sockets the default instead',
      inherit.untouched.rcvbuf !== inherit.accepted.rcvbuf,
      `untouched listener’s accepted socket: SO_RCVBUF ${inherit.untouched.rcvbuf}`,
    );
    // Linux clones the accepted socket from the listener when the handshake completes, so a
    // value set after listen() (before the client connects) is inherited as well.
    const late = tcpListener(scope);
    late.socket.setOption('SO_RCVBUF', SEED_RCVBUF);
    const lateAccepted = acceptOne(scope, late.socket, late.address);
    inherit.afterListen = {
      listenerRcvbuf: late.socket.getOption('SO_RCVBUF'),
      acceptedRcvbuf: lateAccepted.getOption('SO_RCVBUF'),
    };
    claims.equal(
      'set on the listener after listen() but before the client connects: inherited too',
      inherit.afterListen.acceptedRcvbuf,
      inherit.afterListen.listenerRcvbuf,
    );

    // 5. The client: the window announced in the handshake.
    const handshakes = (['default', 'SO_RCVBUF before connect', 'SO_RCVBUF after connect'] as const).map((v) =>
      handshake(scope, v),
    );
    const [dflt, before, after] = handshakes as [HandshakeWindow, HandshakeWindow, HandshakeWindow];
    claims.check(
      `client SO_RCVBUF ${CLIENT_RCVBUF} set before connect: the handshake announces a window no larger than that buffer, smaller than the default one`,
      before.announcedWindow !== null &&
        dflt.announcedWindow !== null &&
        before.announcedWindow <= before.clientRcvbuf &&
        before.announcedWindow < dflt.announcedWindow,
      `announced ${before.announcedWindow} (SO_RCVBUF ${before.clientRcvbuf}) vs default ${dflt.announcedWindow}`,
    );
    claims.check(
      'set after connect: too late — the handshake already announced the default window',
      after.announcedWindow !== null &&
        after.announcedWindow === dflt.announcedWindow &&
        after.clientRcvbuf === before.clientRcvbuf,
      `announced ${after.announcedWindow} although SO_RCVBUF now reads ${after.clientRcvbuf}`,
    );

    // 6. Small buffers fill far sooner.
    progress('filling default and small buffers with nonblocking sends');
    const fills = [await fill(scope, 'default buffers', false), await fill(scope, 'small buffers', true)];
    for (const f of fills) {
      claims.equal(`[${f.variant}] the fill ended with EAGAIN`, f.lastCode, 'EAGAIN');
      claims.equal(
        `[${f.variant}] at rest, bytes accepted == client Send-Q + server Recv-Q`,
        `${f.accepted} == ${f.sendQ + f.recvQ}`,
        `${f.accepted} == ${f.accepted}`,
      );
    }
    const [big, small] = fills as [Fill, Fill];
    claims.check(
      'smaller buffers: far fewer bytes before send would block (less than a tenth)',
      small.accepted * 10 < big.accepted,
      `${small.accepted} vs ${big.accepted} bytes`,
    );

    headline(
      `${SEED_SNDBUF}→${doubling[0]!.readBack}, floor ${floor[0]!.readBack}/${floor[2]!.readBack}, ceiling ${ceiling[0]!.readBack} (2 × wmem_max); ` +
        `handshake window ${before.announcedWindow} set before connect vs ${after.announcedWindow} after; ` +
        `fill ${small.accepted} B small vs ${big.accepted} B default`,
    );
    return {
      sysctls,
      fresh,
      connectedSndbuf,
      doubling,
      floor,
      aboveFloor,
      ceiling,
      force,
      inherit,
      handshake: handshakes,
      fills,
    };
  },
);

/** Connects a client to `listener` and accepts it; returns the accepted socket (both registered). */
function acceptOne(scope: Scope, listener: Socket, address?: InetAddress): Socket {
  const client = tcpSocket(scope);
  client.connect(address ?? (listener.getsockname() as InetAddress));
  return scope.socket(listener.accept().socket);
}
