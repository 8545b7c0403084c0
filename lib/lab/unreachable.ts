/**
 * E24 unreachable: connect(2) to a network with no route, to an absent host on the subnet, to a
 * host that drops SYNs, and to a host that is up with the port closed — each failure has its own
 * errno and its own delay. Seeds 003 §01 (what a failed connect looks like), 004 (why a slow
 * failure needs a bound).
 *
 * Two network namespaces built by {@link createNetwork}, joined by one veth:
 * `client` 10.200.1.1/24 (c0) ↔ `server` 10.200.1.2/24 (s0). The client has no default route.
 * - no route: 10.200.99.1 — no route in the client → -ENETUNREACH inside the syscall;
 * - absent host: 10.200.1.9 (and .10) — on the subnet, nobody answers ARP → the neighbour entry
 *   fails, the kernel reports it to the socket → -EHOSTUNREACH. Tuned fast in the client's
 *   namespace: neigh.c0.mcast_solicit=1, retrans_time_ms=1000 (kernel default 3 × 1 s) — one
 *   probe, so it fails in ~1 s, ten times the bounded attempts' 100 ms poll budget: even an
 *   actor scheduled late on a loaded machine sees the budget run out before ARP gives up;
 * - silent host: 10.200.1.7 (and .8) — a permanent neighbour entry to a MAC nobody owns, so the
 *   SYNs leave on the wire and nothing answers (no netfilter) → -ETIMEDOUT once the SYN
 *   retransmissions are used up; net.ipv4.tcp_syn_retries=1 in the client's namespace (default
 *   6: ~127 s);
 * - closed port: 10.200.1.2:9 — the server namespace answers the SYN with RST → -ECONNREFUSED.
 *
 * The client actor does each twice: a blocking connect, timed (what a plain program sees), and a
 * nonblocking connect + poll(POLLOUT) with a 100 ms budget — the bounded way: quick failures
 * show within the budget (either inside connect, or as POLLOUT|POLLERR with SO_ERROR — the
 * kernel allows both paths on a veth), slow ones end the budget with the socket still SYN_SENT,
 * and the program decides for itself.
 *
 * Slow mode (`SYSSOCK_LAB_SLOW=1`, or {@link unreachableWith}`({ slow: true })`): no tuning,
 * the kernel's own timings (ETIMEDOUT after ~127 s). Never used by the tests.
 * @module
 */
import { constants as c, errnoName } from '../constants.js';
import { tcpStateName } from '../tcp-info.js';
import { defineExperiment } from './define.js';
import { pollNames } from './group-b.js';
import {
  actorResult,
  clientServer,
  createNetworkOrSkip,
  forwardProgress,
  slowMode,
  type HostInterface,
} from './netns.js';
import type { ChildBody } from './child.js';
import type { Experiment } from './types.js';

/** The four targets. */
export type TargetName = 'noRoute' | 'absentHost' | 'silentHost' | 'closedPort';

/** One target and what connect did to it, both ways. */
export interface TargetResult {
  name: TargetName;
  /** Why it fails, in words. */
  why: string;
  address: string;
  port: number;
  /** A blocking connect, timed: the raw result (-errno) and how long the call took. */
  blocking: { result: number; code: string; elapsedMs: number };
  /** A nonblocking connect bounded by poll: see {@link BoundedAttempt}. */
  bounded: BoundedAttempt;
}

/** A nonblocking connect + poll(POLLOUT, budget). */
export interface BoundedAttempt {
  /** A second address of the same kind (so the blocking attempt's ARP/neighbour state is not shared). */
  address: string;
  /** connect's raw result: -EINPROGRESS, or the error when the kernel failed it inside the call. */
  connect: number;
  /** 'immediate' (connect failed at once), 'so_error' (POLLOUT|POLLERR then SO_ERROR), 'budget' (poll gave 0: gave up). */
  path: 'immediate' | 'so_error' | 'budget';
  /** poll's revents (null when not polled). */
  revents: number | null;
  /** SO_ERROR after poll (null when not polled). */
  soError: number | null;
  /** The TCP state when the attempt ended (SYN_SENT when the budget ran out). */
  state: string;
  /** From connect to the end of the attempt. */
  elapsedMs: number;
}

/** What E24 returns. */
export interface UnreachableData {
  /** Set when the experiment could not run here: why ("needs network namespaces: …"). */
  unavailable: string | null;
  slow: boolean;
  /** The tuning in the client's namespace, as read back. */
  tuning: { synRetries: number; mcastSolicit: number; retransTimeMs: number };
  budgetMs: number;
  /** The client's interfaces (ip -j addr). */
  client: HostInterface[];
  targets: TargetResult[];
}

/** The poll budget of the bounded attempts: far below the tuned ARP failure (1000 ms). */
const BUDGET_MS = 100;
/** "At once": a failure decided inside the syscall takes well under this. */
const AT_ONCE_MS = 100;
/** Bound on the whole actor: fast mode ~4 s; slow mode waits ~127 s + ~3 s. */
const ACTOR_BOUND_MS = { fast: 20_000, slow: 200_000 };

interface ActorTarget {
  name: TargetName;
  address: string;
  boundedAddress: string;
  port: number;
}

interface ActorArg {
  targets: ActorTarget[];
  budgetMs: number;
}

interface ActorOut {
  name: TargetName;
  blocking: { result: number; elapsedMs: number };
  bounded: {
    connect: number;
    path: 'immediate' | 'so_error' | 'budget';
    revents: number | null;
    soError: number | null;
    state: number;
    elapsedMs: number;
  };
}

// The client actor (runs in the client namespace; self-contained: sent as source). The bounded
// attempts run first, so the blocking ones cannot leave neighbour state behind for them — and
// they use their own addresses anyway.
const clientActor: ChildBody<ActorArg, ActorOut[]> = (sys, arg, io) => {
  const C = sys.constants;
  const tcpState = (fd: number) => {
    const info = Buffer.alloc(256);
    // tcpi_state is the first byte of struct tcp_info (a stable ABI).
    return sys.getsockopt(fd, C.IPPROTO_TCP!, C.TCP_INFO!, info) >= 0 ? info[0]! : -1;
  };
  const out: ActorOut[] = [];
  for (const t of arg.targets) {
    io.post(`${t.name}: nonblocking connect + poll(${arg.budgetMs} ms) to ${t.boundedAddress}`);
    const nb = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_NONBLOCK! | C.SOCK_CLOEXEC!, 0);
    if (nb < 0) throw new Error(`socket: ${nb}`);
    const started = performance.now();
    const connect = sys.connect(nb, { family: C.AF_INET!, address: t.boundedAddress, port: t.port });
    let path: ActorOut['bounded']['path'] = 'immediate';
    let revents: number | null = null;
    let soError: number | null = null;
    if (connect === -C.EINPROGRESS!) {
      // struct pollfd { int fd; short events; short revents; }: 8 bytes, viewed as int + 2 shorts.
      const pfd = new Int32Array(2);
      const shorts = new Int16Array(pfd.buffer);
      pfd[0] = nb;
      shorts[2] = C.POLLOUT!;
      const n = sys.poll(pfd, 1, arg.budgetMs);
      revents = n > 0 ? shorts[3]! & 0xffff : 0;
      if (revents !== 0) {
        const v = new Int32Array(1);
        sys.getsockopt(nb, C.SOL_SOCKET!, C.SO_ERROR!, v);
        soError = v[0]!;
        path = 'so_error';
      } else path = 'budget';
    }
    const elapsed = performance.now() - started;
    const state = tcpState(nb);
    sys.close(nb);

    io.post(`${t.name}: blocking connect to ${t.address}`);
    const fd = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
    if (fd < 0) throw new Error(`socket: ${fd}`);
    const t0 = performance.now();
    const result = sys.connect(fd, { family: C.AF_INET!, address: t.address, port: t.port });
    const blockingMs = performance.now() - t0;
    sys.close(fd);
    out.push({
      name: t.name,
      blocking: { result, elapsedMs: blockingMs },
      bounded: { connect, path, revents, soError, state, elapsedMs: elapsed },
    });
  }
  return out;
};

const WHY: Record<TargetName, string> = {
  noRoute: 'no route to 10.200.99.0/24 in the client (no default route)',
  absentHost: 'on the subnet, but nobody answers ARP',
  silentHost: 'a permanent neighbour entry to a MAC nobody owns: SYNs go out, nothing answers',
  closedPort: 'the server host is up, nobody listens on the port: RST',
};

/** Options of {@link unreachableWith}. */
export interface UnreachableOptions {
  /** Kernel-default timings (ETIMEDOUT after ~127 s). Default: `SYSSOCK_LAB_SLOW=1`. */
  slow?: boolean;
}

/** E24 with options (slow mode); {@link unreachable} is the default one. */
export function unreachableWith(options: UnreachableOptions = {}): Experiment<UnreachableData> {
  return defineExperiment<UnreachableData>(
    {
      id: 'E24',
      slug: 'unreachable',
      title: 'Unreachable: ENETUNREACH at once, EHOSTUNREACH after ARP, ETIMEDOUT after the SYNs, ECONNREFUSED',
      shows:
        'no route -ENETUNREACH at once; absent neighbour -EHOSTUNREACH after ARP gives up; silent host -ETIMEDOUT after the SYN retries; closed port -ECONNREFUSED; nonblocking connect + poll bounds each wait',
      seeds: '003 §01, 004',
    },
    async ({ claims, scope, note, headline, progress, signal, skip }) => {
      const slow = slowMode(options.slow);
      const data: UnreachableData = {
        unavailable: null,
        slow,
        tuning: { synRetries: -1, mcastSolicit: -1, retransTimeMs: -1 },
        budgetMs: BUDGET_MS,
        client: [],
        targets: [],
      };
      progress('building the client and server namespaces');
      const sysctls: Record<string, number> = slow
        ? {}
        : {
            'net.ipv4.tcp_syn_retries': 1,
            'net.ipv4.neigh.c0.mcast_solicit': 1,
            'net.ipv4.neigh.c0.retrans_time_ms': 1000,
          };
      const built = await createNetworkOrSkip(scope, clientServer(sysctls), { signal }, skip);
      if ('unavailable' in built) return { ...data, unavailable: built.unavailable };
      const { net } = built;
      await net.silence('client', '10.200.1.7', 'c0');
      await net.silence('client', '10.200.1.8', 'c0');
      data.tuning = {
        synRetries: Number(await net.readSysctl('client', 'net.ipv4.tcp_syn_retries')),
        mcastSolicit: Number(await net.readSysctl('client', 'net.ipv4.neigh.c0.mcast_solicit')),
        retransTimeMs: Number(await net.readSysctl('client', 'net.ipv4.neigh.c0.retrans_time_ms')),
      };
      data.client = await net.interfaces('client');

      const targets: ActorTarget[] = [
        { name: 'noRoute', address: '10.200.99.1', boundedAddress: '10.200.99.2', port: 80 },
        { name: 'absentHost', address: '10.200.1.9', boundedAddress: '10.200.1.10', port: 80 },
        { name: 'silentHost', address: '10.200.1.7', boundedAddress: '10.200.1.8', port: 80 },
        { name: 'closedPort', address: '10.200.1.2', boundedAddress: '10.200.1.2', port: 9 },
      ];
      const actor = await net.actor('client', clientActor, { targets, budgetMs: BUDGET_MS });
      forwardProgress(actor, progress);
      const outs = await actorResult(
        actor,
        slow ? ACTOR_BOUND_MS.slow : ACTOR_BOUND_MS.fast,
        signal,
        'the client actor in its namespace',
      );

      for (const o of outs) {
        const t = targets.find((x) => x.name === o.name)!;
        data.targets.push({
          name: o.name,
          why: WHY[o.name],
          address: t.address,
          port: t.port,
          blocking: { ...o.blocking, code: codeOf(o.blocking.result) },
          bounded: { ...o.bounded, address: t.boundedAddress, state: tcpStateName(o.bounded.state) },
        });
      }
      const get = (name: TargetName) => data.targets.find((t) => t.name === name)!;
      const [noRoute, absent, silent, closed] = [
        get('noRoute'),
        get('absentHost'),
        get('silentHost'),
        get('closedPort'),
      ];
      const ms = (x: number) => `${Math.round(x)} ms`;

      claims.check(
        `no route: blocking connect gives -ENETUNREACH at once (< ${AT_ONCE_MS} ms)`,
        noRoute.blocking.result === -c.ENETUNREACH! && noRoute.blocking.elapsedMs < AT_ONCE_MS,
        `${noRoute.blocking.code} after ${ms(noRoute.blocking.elapsedMs)}`,
      );
      // ARP sends mcast_solicit probes retrans_time apart and gives up one retrans_time after the
      // last: the failure cannot come before mcast_solicit × retrans_time (timer slack aside).
      const arpMs = data.tuning.mcastSolicit * data.tuning.retransTimeMs;
      claims.check(
        `absent host: -EHOSTUNREACH after ARP gives up (≥ mcast_solicit × retrans_time = ${arpMs} ms)`,
        absent.blocking.result === -c.EHOSTUNREACH! && absent.blocking.elapsedMs >= arpMs * 0.9,
        `${absent.blocking.code} after ${ms(absent.blocking.elapsedMs)}`,
      );
      // Each SYN retransmission waits at least the initial RTO (1 s): retries + 1 RTOs at least,
      // whether the backoff is exponential or (tcp_syn_linear_timeouts) linear.
      const synMs = (data.tuning.synRetries + 1) * 1000;
      claims.check(
        `silent host: -ETIMEDOUT once ${data.tuning.synRetries} SYN retransmission(s) went unanswered (≥ ${synMs} ms)`,
        silent.blocking.result === -c.ETIMEDOUT! && silent.blocking.elapsedMs >= synMs * 0.9,
        `${silent.blocking.code} after ${ms(silent.blocking.elapsedMs)}`,
      );
      claims.check(
        `closed port on a live host: -ECONNREFUSED at once (< ${AT_ONCE_MS} ms)`,
        closed.blocking.result === -c.ECONNREFUSED! && closed.blocking.elapsedMs < AT_ONCE_MS,
        `${closed.blocking.code} after ${ms(closed.blocking.elapsedMs)}`,
      );
      const quick = (t: TargetResult, errno: number) =>
        (t.bounded.path === 'immediate' && t.bounded.connect === -errno) ||
        (t.bounded.path === 'so_error' && t.bounded.connect === -c.EINPROGRESS! && t.bounded.soError === errno);
      claims.check(
        'bounded: no route fails within the budget — inside connect, or EINPROGRESS then SO_ERROR ENETUNREACH',
        quick(noRoute, c.ENETUNREACH!),
        describeBounded(noRoute.bounded),
      );
      claims.check(
        'bounded: closed port fails within the budget — inside connect, or EINPROGRESS then SO_ERROR ECONNREFUSED',
        quick(closed, c.ECONNREFUSED!),
        describeBounded(closed.bounded),
      );
      for (const t of [absent, silent])
        claims.check(
          `bounded: ${t.name === 'absentHost' ? 'absent host' : 'silent host'} — EINPROGRESS, poll gives nothing for ${BUDGET_MS} ms, still SYN_SENT: the program gives up on its own clock`,
          t.bounded.connect === -c.EINPROGRESS! &&
            t.bounded.path === 'budget' &&
            t.bounded.state === 'SYN_SENT' &&
            t.bounded.elapsedMs < BUDGET_MS + AT_ONCE_MS,
          describeBounded(t.bounded),
        );
      if (!slow)
        note(
          `tuned in the client namespace only: tcp_syn_retries=${data.tuning.synRetries}, neigh.c0.mcast_solicit=${data.tuning.mcastSolicit}, retrans_time_ms=${data.tuning.retransTimeMs} (SYSSOCK_LAB_SLOW=1 for the kernel defaults)`,
        );
      headline(
        `ENETUNREACH ${ms(noRoute.blocking.elapsedMs)}, EHOSTUNREACH ${ms(absent.blocking.elapsedMs)}, ` +
          `ETIMEDOUT ${(silent.blocking.elapsedMs / 1000).toFixed(1)} s (syn_retries=${data.tuning.synRetries}), ` +
          `ECONNREFUSED ${ms(closed.blocking.elapsedMs)}; each bounded to ${BUDGET_MS} ms with poll`,
      );
      return data;
    },
  );
}

/** `'ECONNREFUSED'` for -ECONNREFUSED, `'0'` for success. */
function codeOf(result: number): string {
  return result < 0 ? errnoName(result) : String(result);
}

/** A bounded attempt in a few words: "EINPROGRESS → POLLOUT|POLLERR, SO_ERROR ECONNREFUSED, 0 ms". */
export function describeBounded(b: BoundedAttempt): string {
  const ms = `${Math.round(b.elapsedMs)} ms`;
  if (b.path === 'immediate') return `${codeOf(b.connect)} inside connect, ${ms}`;
  if (b.path === 'so_error')
    return `${codeOf(b.connect)} → ${pollNames(b.revents ?? 0).join('|')}, SO_ERROR ${errnoName(b.soError!)}, ${ms}`;
  return `${codeOf(b.connect)} → poll 0 after ${ms}, ${b.state}; closed`;
}

/** E24: the experiment (fast timings unless `SYSSOCK_LAB_SLOW=1`). */
export const unreachable = unreachableWith();
