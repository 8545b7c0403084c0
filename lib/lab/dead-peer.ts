/**
 * E26 dead-peer: an idle peer host vanishes. Seed 004 (without keepalive an idle connection to
 * a dead host looks alive forever; keepalive probes find out).
 *
 * Two network namespaces built by {@link createNetwork}: `client` 10.200.1.1/24 (c0) ↔ `server`
 * 10.200.1.2/24 (s0). A server actor accepts two connections and then says nothing, ever. Two
 * client actors, one connection each, both idle:
 * - `plain`: no keepalive;
 * - `keepalive`: SO_KEEPALIVE with TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s, TCP_KEEPCNT 3 (fast
 *   mode), or SO_KEEPALIVE alone, i.e. the namespace's tcp_keepalive_time/intvl/probes
 *   (7200/75/9 by default: over two hours — slow mode).
 *
 * Right after both connect, the peer host vanishes: a silent drop in both directions
 * ({@link Network.silence}, a permanent neighbour entry to a MAC nobody owns on each host), so
 * probes go out and nothing answers, and no ARP failure or ICMP turns the verdict into
 * EHOSTUNREACH: the kernel's verdict is ETIMEDOUT. Both clients then block in recv; the parent
 * sees each asleep in recvfrom (/proc/PID/syscall).
 *
 * The keepalive connection's recv fails with -ETIMEDOUT once `cnt` probes went unanswered:
 * idle + intvl × cnt after the last packet it received (the handshake). The plain one cannot
 * know: its recv is bounded only by the experiment's own budget (SO_RCVTIMEO = that verdict time
 * + 1 s, so it is still waiting when the other one already knows), returns -EAGAIN — the budget,
 * not the network, ended it — and the connection is still ESTABLISHED.
 * @module
 */
import { constants as c, errnoName } from '../constants.js';
import { tcpStateName } from '../tcp-info.js';
import type { ChildBody, ChildHandle } from './child.js';
import { nowMs } from './group-d.js';
import { defineExperiment } from './define.js';
import { actorMessage, actorResult, clientServer, createNetworkOrSkip, PAIR, slowMode, waitAsleepIn } from './netns.js';
import type { Experiment } from './types.js';

/** Keepalive settings, in seconds (as the socket options take them). */
export interface Keepalive {
  idle: number;
  intvl: number;
  cnt: number;
}

/** One idle client connection and how its blocked recv ended. */
export interface IdleClient {
  name: 'plain' | 'keepalive';
  /** SO_KEEPALIVE and the effective TCP_KEEPIDLE/KEEPINTVL/KEEPCNT, read back. */
  options: { keepalive: number } & Keepalive;
  /** SO_RCVTIMEO: the experiment's own bound on the blocked recv (ms). */
  rcvTimeoutMs: number;
  /** /proc while it waited: "S in recvfrom(fd N)". */
  asleep: string;
  /** The blocked recv's raw result (-ETIMEDOUT, -EAGAIN …). */
  recv: number;
  code: string;
  /** ms from connect (its last packet in) to recv's return, and from the cut to it. */
  sinceConnectMs: number;
  sinceCutMs: number;
  /** TCP state and tcpi_probes after recv returned. */
  state: string;
  probes: number;
  /** A second recv right after (0 once the kernel closed the connection). */
  recvAgain: number;
}

/** What E26 returns. */
export interface DeadPeerData {
  /** Set when the experiment could not run here: why ("needs network namespaces: …"). */
  unavailable: string | null;
  slow: boolean;
  /** How the peer vanished, in words. */
  cut: string;
  /** The keepalive the keepalive client asked for (fast), or the namespace's defaults (slow). */
  keepalive: Keepalive;
  /** idle + intvl × cnt, ms. */
  verdictMs: number;
  clients: IdleClient[];
}

const CLIENT = PAIR.client;
const SERVER = PAIR.server;
const FAST: Keepalive = { idle: 1, intvl: 1, cnt: 3 };
/** The kernel's clocks are jiffies (keepalive) or ms; ours is CLOCK_MONOTONIC: one coarse tick per step. */
const CLOCK_SLACK_MS = 50;
/** The verdict comes one timer run after the last probe: allow it this long past the ideal time. */
const LATE_MS = 1000;
/** The anchor's lifetime in slow mode: beyond the kernel's default keepalive verdict (~2 h 11 min). */
const SLOW_LIFETIME_MS = 4 * 3600_000;
const CUT = `silent drop both ways: a permanent neighbour entry to a MAC nobody owns on each host for the other's address (${CLIENT} ↔ ${SERVER})`;

interface ClientArg {
  server: string;
  port: number;
  /** Keepalive socket options to set: null none, 'default' SO_KEEPALIVE alone. */
  keepalive: Keepalive | 'default' | null;
  rcvTimeoutMs: number;
}

interface ClientOut {
  options: { keepalive: number } & Keepalive;
  connectedAt: number;
  recv: number;
  returnedAt: number;
  state: number;
  probes: number;
  recvAgain: number;
}

// A client actor (self-contained: sent as source): connect, report, block in recv when told.
const clientActor: ChildBody<ClientArg, ClientOut> = async (sys, arg, io) => {
  const C = sys.constants;
  const F = sys.layouts.tcp_info!.fields;
  const now = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: the parent's clock too
  const set = (level: number, name: number, value: number) => sys.setsockopt(fd, level, name, Int32Array.of(value));
  const get = (level: number, name: number) => {
    const v = new Int32Array(1);
    sys.getsockopt(fd, level, name, v);
    return v[0]!;
  };
  const fd = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
  if (fd < 0) throw new Error(`socket: ${fd}`);
  if (arg.keepalive !== null) set(C.SOL_SOCKET!, C.SO_KEEPALIVE!, 1);
  if (arg.keepalive !== null && arg.keepalive !== 'default') {
    set(C.IPPROTO_TCP!, C.TCP_KEEPIDLE!, arg.keepalive.idle);
    set(C.IPPROTO_TCP!, C.TCP_KEEPINTVL!, arg.keepalive.intvl);
    set(C.IPPROTO_TCP!, C.TCP_KEEPCNT!, arg.keepalive.cnt);
  }
  const L = sys.layouts.timeval!;
  const tv = Buffer.alloc(L.size);
  tv.writeBigInt64LE(BigInt(Math.floor(arg.rcvTimeoutMs / 1000)), L.fields.tv_sec![0]);
  tv.writeBigInt64LE(BigInt((arg.rcvTimeoutMs % 1000) * 1000), L.fields.tv_usec![0]);
  sys.setsockopt(fd, C.SOL_SOCKET!, C.SO_RCVTIMEO!, tv);
  const rc = sys.connect(fd, { family: C.AF_INET!, address: arg.server, port: arg.port });
  if (rc < 0) throw new Error(`connect: ${rc}`);
  const connectedAt = now();
  // The effective values: the socket's own, or the namespace's sysctls when unset.
  const options = {
    keepalive: get(C.SOL_SOCKET!, C.SO_KEEPALIVE!),
    idle: get(C.IPPROTO_TCP!, C.TCP_KEEPIDLE!),
    intvl: get(C.IPPROTO_TCP!, C.TCP_KEEPINTVL!),
    cnt: get(C.IPPROTO_TCP!, C.TCP_KEEPCNT!),
  };
  io.post({ fd, options });
  await io.next(10_000, 'the word to block in recv');
  const buf = Buffer.alloc(16);
  const recv = sys.recv(fd, buf, 0, buf.length, 0);
  const returnedAt = now();
  const info = Buffer.alloc(sys.layouts.tcp_info!.size);
  sys.getsockopt(fd, C.IPPROTO_TCP!, C.TCP_INFO!, info);
  const recvAgain = sys.recv(fd, buf, 0, buf.length, C.MSG_DONTWAIT!);
  sys.close(fd);
  return {
    options,
    connectedAt,
    recv,
    returnedAt,
    state: info[F.tcpi_state![0]]!,
    probes: info[F.tcpi_probes![0]]!,
    recvAgain,
  };
};

// The server actor: accepts `count` connections, then says nothing until told (bounded).
const serverActor: ChildBody<{ address: string; count: number; lifetimeMs: number }, number> = async (sys, arg, io) => {
  const C = sys.constants;
  const l = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
  let rc = sys.bind(l, { family: C.AF_INET!, address: arg.address, port: 0 });
  if (rc === 0) rc = sys.listen(l, 4);
  if (rc < 0) throw new Error(`bind/listen: ${rc}`);
  const name: { family: number; port?: number } = { family: 0 };
  sys.getsockname(l, name);
  io.post(name.port);
  const fds: number[] = [];
  for (let i = 0; i < arg.count; i++) {
    const fd = sys.accept4(l, null, C.SOCK_CLOEXEC!);
    if (fd < 0) throw new Error(`accept: ${fd}`);
    fds.push(fd);
  }
  io.post('accepted');
  await io.next(arg.lifetimeMs, 'the end');
  for (const fd of [...fds, l]) sys.close(fd);
  return fds.length;
};

/** Options of {@link deadPeerWith}. */
export interface DeadPeerOptions {
  /** SO_KEEPALIVE alone, the namespace's default timings (over two hours). Default: `SYSSOCK_LAB_SLOW=1`. */
  slow?: boolean;
}

/** E26 with options (slow mode); {@link deadPeer} is the default one. */
export function deadPeerWith(options: DeadPeerOptions = {}): Experiment<DeadPeerData> {
  return defineExperiment<DeadPeerData>(
    {
      id: 'E26',
      slug: 'dead-peer',
      title: 'Dead idle peer: without keepalive a blocked recv never returns; with keepalive -ETIMEDOUT',
      shows:
        'without keepalive the connection stays ESTABLISHED and a blocked recv never returns (bounded by the test); with SO_KEEPALIVE + TCP_KEEPIDLE/KEEPINTVL/KEEPCNT the recv fails with -ETIMEDOUT after idle + intvl × cnt',
      seeds: '004',
    },
    async ({ claims, scope, note, headline, progress, signal, skip }) => {
      const slow = slowMode(options.slow);
      const data: DeadPeerData = {
        unavailable: null,
        slow,
        cut: CUT,
        keepalive: FAST,
        verdictMs: 0,
        clients: [],
      };
      progress('building the client and server namespaces');
      // The anchor's own last-resort lifetime must outlast a slow run: the namespace's default
      // keepalive (tcp_keepalive_time 7200 s + 9 probes × 75 s unless changed) is read only
      // once the namespace exists, so slow mode gives it hours.
      const lifetimeMs = slow ? SLOW_LIFETIME_MS : undefined;
      const built = await createNetworkOrSkip(scope, clientServer(), { signal, lifetimeMs }, skip);
      if ('unavailable' in built) return { ...data, unavailable: built.unavailable };
      const { net } = built;
      const sysctl = async (key: string) => Number(await net.readSysctl('client', `net.ipv4.${key}`));
      data.keepalive = slow
        ? {
            idle: await sysctl('tcp_keepalive_time'),
            intvl: await sysctl('tcp_keepalive_intvl'),
            cnt: await sysctl('tcp_keepalive_probes'),
          }
        : FAST;
      const ka = data.keepalive;
      data.verdictMs = (ka.idle + ka.intvl * ka.cnt) * 1000;
      // The plain client's budget outlasts the keepalive verdict: at the moment keepalive knows,
      // the plain connection is still waiting. The keepalive client's own bound is a backstop.
      const budgets = { plain: data.verdictMs + 1000, keepalive: data.verdictMs + 3000 };

      const server = await net.actor('server', serverActor, {
        address: SERVER,
        count: 2,
        lifetimeMs: data.verdictMs + 60_000,
      });
      const port = await actorMessage<number>(server, 5000, signal, 'the server port');
      progress('two idle connections: one plain, one with keepalive');
      const starts: { name: IdleClient['name']; child: ChildHandle<ClientOut>; fd: number }[] = [];
      for (const [name, keepalive] of [
        ['plain', null],
        ['keepalive', slow ? 'default' : FAST],
      ] as const) {
        const child = await net.actor('client', clientActor, {
          server: SERVER,
          port,
          keepalive,
          rcvTimeoutMs: budgets[name],
        });
        const hello = await actorMessage<{ fd: number }>(child, 5000, signal, `the ${name} client connected`);
        starts.push({ name, child, fd: hello.fd });
      }
      await actorMessage(server, 5000, signal, 'both connections accepted');

      progress('the peer host vanishes (silent drop both ways)');
      await net.silence('client', SERVER, 'c0');
      await net.silence('server', CLIENT, 's0');
      const cutAt = nowMs();
      for (const s of starts) s.child.send('recv');
      const asleep = await Promise.all(starts.map((s) => waitAsleepIn(s.child.pid, 'recvfrom', s.fd, 5000, signal)));
      progress(`both clients asleep in recv; keepalive should give up ${data.verdictMs / 1000} s after connecting`);
      const outs = await Promise.all(
        starts.map((s) => actorResult(s.child, budgets.keepalive + 10_000, signal, `the ${s.name} client`)),
      );
      server.send('end');
      await actorResult(server, 5000, signal, 'the server');

      data.clients = starts.map((s, i) => {
        const o = outs[i]!;
        return {
          name: s.name,
          options: o.options,
          rcvTimeoutMs: budgets[s.name],
          asleep: asleep[i]!,
          recv: o.recv,
          code: o.recv < 0 ? errnoName(o.recv) : String(o.recv),
          sinceConnectMs: o.returnedAt - o.connectedAt,
          sinceCutMs: o.returnedAt - cutAt,
          state: tcpStateName(o.state),
          probes: o.probes,
          recvAgain: o.recvAgain,
        };
      });
      const [plain, kept] = data.clients as [IdleClient, IdleClient];
      const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

      claims.check(
        slow
          ? `keepalive client: SO_KEEPALIVE alone runs on the namespace's defaults (TCP_KEEPIDLE/KEEPINTVL/KEEPCNT read back ${ka.idle}/${ka.intvl}/${ka.cnt})`
          : `keepalive client: SO_KEEPALIVE 1, TCP_KEEPIDLE/KEEPINTVL/KEEPCNT ${FAST.idle}/${FAST.intvl}/${FAST.cnt} (read back); the plain one SO_KEEPALIVE 0`,
        kept.options.keepalive === 1 &&
          kept.options.idle === ka.idle &&
          kept.options.intvl === ka.intvl &&
          kept.options.cnt === ka.cnt &&
          plain.options.keepalive === 0,
        `${kept.options.keepalive} ${kept.options.idle}/${kept.options.intvl}/${kept.options.cnt}; plain ${plain.options.keepalive}`,
      );
      claims.check(
        'both clients sleep inside recv on a dead connection (seen in /proc/PID/syscall)',
        plain.asleep.startsWith('S in recvfrom') && kept.asleep.startsWith('S in recvfrom'),
        `plain: ${plain.asleep}; keepalive: ${kept.asleep}`,
      );
      claims.check(
        `with keepalive: recv fails -ETIMEDOUT no sooner than idle + intvl × cnt = ${s(data.verdictMs)} after the connection's last packet`,
        kept.recv === -c.ETIMEDOUT! && kept.sinceConnectMs >= data.verdictMs - CLOCK_SLACK_MS,
        `${kept.code} ${s(kept.sinceConnectMs)} after connect`,
      );
      claims.check(
        `… and no later than that after the cut (the probes count from the last packet in, before the cut), give or take ${LATE_MS} ms`,
        kept.sinceCutMs <= data.verdictMs + LATE_MS,
        `${s(kept.sinceCutMs)} after the cut`,
      );
      claims.check(
        'the kernel closed it: TCP state CLOSE, and the next recv returns 0',
        kept.state === 'CLOSE' && kept.recvAgain === 0,
        `${kept.state}, then recv ${kept.recvAgain}`,
      );
      claims.check(
        `without keepalive: the blocked recv never returns on its own — only the budget (SO_RCVTIMEO ${s(plain.rcvTimeoutMs)}) ends it, -EAGAIN, after the keepalive verdict`,
        plain.recv === -c.EAGAIN! &&
          plain.sinceConnectMs >= plain.rcvTimeoutMs - CLOCK_SLACK_MS &&
          plain.sinceCutMs > kept.sinceCutMs,
        `${plain.code} ${s(plain.sinceCutMs)} after the cut`,
      );
      claims.check(
        '… and the connection to the dead host is still ESTABLISHED, no probe ever sent',
        plain.state === 'ESTABLISHED' && plain.probes === 0 && plain.recvAgain === -c.EAGAIN!,
        `${plain.state}, tcpi_probes ${plain.probes}, recv again ${errnoName(plain.recvAgain)}`,
      );
      note(`the peer vanished: ${CUT}; the verdict of a silent drop is ETIMEDOUT`);
      if (!slow)
        note(
          `without TCP_KEEP*: the namespace's defaults (tcp_keepalive_time/intvl/probes) — over two hours; run with --slow for that`,
        );
      headline(
        `keepalive ${ka.idle}/${ka.intvl}/${ka.cnt}: ${kept.code} ${s(kept.sinceConnectMs)} after connect (${s(kept.sinceCutMs)} after the cut); ` +
          `without: still ${plain.state} at the ${s(plain.rcvTimeoutMs)} budget`,
      );
      return data;
    },
  );
}

/** E26: the experiment (fast timings unless `SYSSOCK_LAB_SLOW=1`). */
export const deadPeer = deadPeerWith();
