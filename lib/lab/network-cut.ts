/**
 * E25 network-cut: the cable is pulled while data is being sent. Seed 004 (a sender whose peer
 * vanished mid-transfer keeps "succeeding" for about a quarter of an hour).
 *
 * Two network namespaces built by {@link createNetwork}: `client` 10.200.1.1/24 (c0) ↔ `server`
 * 10.200.1.2/24 (s0). A server actor reads everything and checks it (count, FNV-1a checksum, and
 * that every byte is the one the pattern puts at its stream offset). A client actor sends a
 * chunk every tick on a nonblocking socket with a small fixed send buffer (SO_SNDBUF set before
 * connect, so the buffer fills within the budget instead of autotuning towards tcp_wmem's max).
 *
 * **The cut** is a silent drop in both directions, built with {@link Network.silence}: a
 * permanent neighbour entry to a MAC nobody owns, on each host for the other's address. Every
 * frame still leaves on an interface that is up and is dropped by the peer (not its MAC): a cable
 * cut beyond a switch, where the sender's NIC sees no carrier change. Nothing answers, no ARP
 * fails, no ICMP comes back, so the kernel's final verdict is ETIMEDOUT (with the local link
 * taken down instead, ARP would fail too and the error could be EHOSTUNREACH: not this case).
 * The cable comes back with {@link Network.unsilence} (ARP finds the real MAC again).
 *
 * Run 1 (restored): data flows; the client waits until everything is acknowledged (Send-Q 0);
 * cut; sends keep succeeding into Send-Q (sampled every tick: the timeline) while the kernel
 * retransmits, until the buffer is full (-EAGAIN; poll(POLLOUT) then stays silent: nothing is
 * acknowledged, so no room frees — the bounded way to notice); the cable comes back, Send-Q drains
 * to 0, the client closes, and the server has every byte, intact and in order.
 *
 * Run 2 (given up): the same with TCP_USER_TIMEOUT = 2000 ms and no repair: poll (bounded) wakes
 * with POLLERR|POLLHUP once the kernel gives up, the next send is -ETIMEDOUT, the one after
 * -EPIPE. Slow mode (`SYSSOCK_LAB_SLOW=1`, `--slow`, {@link networkCutWith}`({ slow: true })`):
 * no TCP_USER_TIMEOUT, the kernel's own tcp_retries2 verdict (~15 minutes). Never in the tests.
 * @module
 */
import { constants as c, errnoName } from '../constants.js';
import { tcpStateName } from '../tcp-info.js';
import type { Claims } from './claims.js';
import type { ChildBody } from './child.js';
import { defineExperiment } from './define.js';
import { pollNames } from './group-b.js';
import { actorMessage, actorResult, clientServer, createNetworkOrSkip, PAIR, slowMode, type Network } from './netns.js';
import type { Experiment } from './types.js';

/** One sample of the client's connection. */
export interface CutSample {
  /** ms since the client actor started. */
  t: number;
  /** 'flow' before the cut, 'cut' while sending into it, 'wait' waiting for a verdict, 'back' after repair. */
  phase: 'flow' | 'cut' | 'wait' | 'back';
  /** SIOCOUTQ: bytes sent and not acknowledged. */
  sendQ: number;
  /** Bytes accepted by send so far (since the connection began). */
  sent: number;
  /** tcpi_total_retrans: segments the kernel has retransmitted so far. */
  retrans: number;
}

/** What the client actor saw in one run. */
export interface CutRun {
  /** SO_SNDBUF read back (set before connect; Linux doubles it). */
  sndbuf: number;
  /** TCP_USER_TIMEOUT read back (0: the kernel default). */
  userTimeoutMs: number;
  timeline: CutSample[];
  /** When the cut was in place (client clock, same origin as the timeline). */
  cutAt: number;
  /** When the cable was back (run 1), else null. */
  restoredAt: number | null;
  /** Bytes accepted before the cut (all acknowledged: Send-Q was 0 at the cut). */
  flowSent: number;
  /** Send-Q at the cut. */
  sendQAtCut: number;
  /** The raw result of every send during the cut: a count, or -errno. */
  cutSends: number[];
  /** Bytes accepted by send since the cut. */
  acceptedInCut: number;
  /** Send-Q at the end of the cut phase. */
  sendQAfterCut: number;
  /** Successful sends, and their bytes, after the kernel's first retransmission. */
  afterRetrans: { sends: number; bytes: number };
  /** The buffer filled (-EAGAIN): poll(POLLOUT, budget) then — its result, revents, wait. Null if it never filled. */
  full: { poll: number; revents: number; elapsedMs: number } | null;
  /** TCP_INFO at the end of the cut phase. */
  atCutEnd: { state: string; backoff: number; totalRetrans: number; unacked: number };
  /** Run 1: how long Send-Q took to drain after the repair, and what it ended at. */
  drain: { ms: number; sendQ: number } | null;
  /** Run 2: the verdict — ms after the cut, poll's revents, the next two sends. */
  failure: { afterCutMs: number; revents: number; send1: number; send2: number } | null;
  /** Bytes accepted in total, and the FNV-1a checksum of exactly those bytes. */
  totalSent: number;
  fnv: number;
}

/** What the server actor received. */
export interface CutServer {
  received: number;
  fnv: number;
  /** Bytes that differ from the pattern at their stream offset (0: intact and in order). */
  mismatches: number;
  /** The last recv's raw result (0: EOF, the client closed). */
  end: number;
}

/** What E25 returns. */
export interface NetworkCutData {
  /** Set when the experiment could not run here: why ("needs network namespaces: …"). */
  unavailable: string | null;
  slow: boolean;
  /** How the cut was made, in words. */
  cut: string;
  tickMs: number;
  chunk: number;
  /** tcp_retries2 in the client's namespace, and the kernel's give-up time it implies (ms), if its RTO sysctls exist. */
  defaults: { retries2: number; modelMs: number | null };
  restored: CutRun | null;
  server: CutServer | null;
  timedOut: CutRun | null;
}

const CLIENT = PAIR.client;
const SERVER = PAIR.server;
const TICK_MS = 20;
const CHUNK = 2048;
const FLOW_TICKS = 10;
/** SO_SNDBUF set before connect (read back doubled): fills in about half a second at CHUNK per tick. */
const SNDBUF = 32 * 1024;
/** Bound on the cut phase in ticks (the buffer fills long before). */
const MAX_CUT_TICKS = 150;
/** poll(POLLOUT) budget once the buffer is full. */
const FULL_POLL_MS = 300;
const USER_TIMEOUT_MS = 2000;
/** The kernel's timestamps are ms/jiffies, ours CLOCK_MONOTONIC: allow one coarse tick early. */
const CLOCK_SLACK_MS = 20;
const BOUNDS = {
  fast: { failureMs: USER_TIMEOUT_MS + 8000, sampleMs: 50, actorMs: 30_000 },
  slow: { failureMs: 1_300_000, sampleMs: 5000, actorMs: 1_400_000 },
};

interface ClientArg {
  server: string;
  port: number;
  sndbuf: number;
  userTimeoutMs: number | null;
  tickMs: number;
  chunk: number;
  flowTicks: number;
  maxCutTicks: number;
  fullPollMs: number;
  /** Run 2: wait (bounded) for the kernel's verdict instead of asking for the repair. */
  failure: { boundMs: number; sampleMs: number } | null;
}

/** What the actor returns: a {@link CutRun} with the TCP state still a number. */
type ActorRun = Omit<CutRun, 'atCutEnd'> & { atCutEnd: Omit<CutRun['atCutEnd'], 'state'> & { state: number } };

/** The actor's run with the state named ('ESTABLISHED'). */
function named(run: ActorRun): CutRun {
  return { ...run, atCutEnd: { ...run.atCutEnd, state: tcpStateName(run.atCutEnd.state) } };
}

// The client actor (self-contained: sent as source). Paces its sends with a timer (the
// workload's rate, not synchronisation); every wait for a condition is a bounded check of it.
const clientActor: ChildBody<ClientArg, ActorRun> = async (sys, arg, io) => {
  const C = sys.constants;
  const F = sys.layouts.tcp_info!.fields;
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const t0 = now();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const info = Buffer.alloc(sys.layouts.tcp_info!.size);
  const tcp = () => {
    sys.getsockopt(fd, C.IPPROTO_TCP!, C.TCP_INFO!, info);
    return {
      state: info[F.tcpi_state![0]]!,
      backoff: info[F.tcpi_backoff![0]]!,
      totalRetrans: info.readUInt32LE(F.tcpi_total_retrans![0]),
      unacked: info.readUInt32LE(F.tcpi_unacked![0]),
    };
  };
  const intOpt = (level: number, name: number) => {
    const v = new Int32Array(1);
    sys.getsockopt(fd, level, name, v);
    return v[0]!;
  };
  const outq = () => {
    const v = new Int32Array(1);
    sys.ioctl(fd, C.SIOCOUTQ!, v);
    return v[0]!;
  };
  // struct pollfd { int fd; short events; short revents; }
  const pollOnce = (events: number, timeoutMs: number) => {
    const pfd = new Int32Array(2);
    const shorts = new Int16Array(pfd.buffer);
    pfd[0] = fd;
    shorts[2] = events;
    const n = sys.poll(pfd, 1, timeoutMs);
    return { n, revents: n > 0 ? shorts[3]! & 0xffff : 0 };
  };
  // The stream's content: byte i is a function of i, so the server can check every offset.
  const patternAt = (i: number) => (i ^ (i >>> 8) ^ (i >>> 16) ^ (i >>> 24)) & 0xff;
  let fnv = 0x811c9dc5;
  let sent = 0;
  const chunk = Buffer.alloc(arg.chunk);
  const send = () => {
    for (let k = 0; k < arg.chunk; k++) chunk[k] = patternAt(sent + k);
    const r = sys.send(fd, chunk, 0, arg.chunk, C.MSG_NOSIGNAL!);
    for (let k = 0; k < r; k++) fnv = Math.imul(fnv ^ chunk[k]!, 0x01000193) >>> 0;
    if (r > 0) sent += r;
    return r;
  };
  const timeline: CutSample[] = [];
  const sample = (phase: CutSample['phase']) =>
    timeline.push({ t: Math.round(now() - t0), phase, sendQ: outq(), sent, retrans: tcp().totalRetrans });

  const fd = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
  if (fd < 0) throw new Error(`socket: ${fd}`);
  sys.setsockopt(fd, C.SOL_SOCKET!, C.SO_SNDBUF!, Int32Array.of(arg.sndbuf));
  if (arg.userTimeoutMs !== null)
    sys.setsockopt(fd, C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!, Int32Array.of(arg.userTimeoutMs));
  const rc = sys.connect(fd, { family: C.AF_INET!, address: arg.server, port: arg.port });
  if (rc < 0) throw new Error(`connect: ${rc}`);
  sys.fcntl(fd, C.F_SETFL!, sys.fcntl(fd, C.F_GETFL!, 0) | C.O_NONBLOCK!);
  const sndbuf = intOpt(C.SOL_SOCKET!, C.SO_SNDBUF!);
  const userTimeoutMs = intOpt(C.IPPROTO_TCP!, C.TCP_USER_TIMEOUT!);

  for (let i = 0; i < arg.flowTicks; i++) {
    send();
    sample('flow');
    await sleep(arg.tickMs);
  }
  // Everything acknowledged before the cut: from here on, Send-Q counts only bytes sent into it.
  for (let i = 0; i < 200 && outq() > 0; i++) await sleep(5);
  const flowSent = sent;
  io.post('ready for the cut');
  await io.next(10_000, 'the cut');
  const cutAt = now() - t0;
  const sendQAtCut = outq();
  const retransAtCut = tcp().totalRetrans;
  sample('cut');

  const cutSends: number[] = [];
  const afterRetrans = { sends: 0, bytes: 0 };
  let full: CutRun['full'] = null;
  for (let i = 0; i < arg.maxCutTicks; i++) {
    const retransmitting = tcp().totalRetrans > retransAtCut;
    const r = send();
    cutSends.push(r);
    if (r > 0 && retransmitting) {
      afterRetrans.sends++;
      afterRetrans.bytes += r;
    }
    sample('cut');
    if (r === -C.EAGAIN!) {
      const started = now();
      const p = pollOnce(C.POLLOUT!, arg.fullPollMs);
      full = { poll: p.n, revents: p.revents, elapsedMs: now() - started };
      sample('cut');
      break;
    }
    if (r < 0) break;
    await sleep(arg.tickMs);
  }
  const acceptedInCut = sent - flowSent;
  const sendQAfterCut = outq();
  const end = tcp();
  const atCutEnd = {
    state: end.state,
    backoff: end.backoff,
    totalRetrans: end.totalRetrans,
    unacked: end.unacked,
  };

  let failure: CutRun['failure'] = null;
  let drain: CutRun['drain'] = null;
  let restoredAt: number | null = null;
  if (arg.failure) {
    // The bounded way to wait for the kernel's verdict: poll, a tick at a time, up to a bound of
    // our own. No events are asked for (nothing will arrive, the buffer is full): POLLERR and
    // POLLHUP are always reported, and they come when the kernel gives up.
    const deadline = now() + arg.failure.boundMs;
    let revents = 0;
    while (revents === 0 && now() < deadline) {
      revents = pollOnce(0, arg.failure.sampleMs).revents;
      sample('wait');
    }
    const afterCutMs = now() - t0 - cutAt;
    const one = Buffer.alloc(1);
    const send1 = sys.send(fd, one, 0, 1, C.MSG_NOSIGNAL!);
    const send2 = sys.send(fd, one, 0, 1, C.MSG_NOSIGNAL!);
    failure = { afterCutMs, revents, send1, send2 };
  } else {
    io.post('cut phase over');
    await io.next(10_000, 'the repair');
    restoredAt = now() - t0;
    // Wait (bounded) for every queued byte to be acknowledged, sampling the drain.
    for (let i = 0; i < 1000 && outq() > 0; i++) {
      sample('back');
      await sleep(5);
    }
    sample('back');
    drain = { ms: now() - t0 - restoredAt, sendQ: outq() };
  }
  sys.close(fd);
  return {
    sndbuf,
    userTimeoutMs,
    timeline,
    cutAt: Math.round(cutAt),
    restoredAt: restoredAt === null ? null : Math.round(restoredAt),
    flowSent,
    sendQAtCut,
    cutSends,
    acceptedInCut,
    sendQAfterCut,
    afterRetrans,
    full,
    atCutEnd,
    drain,
    failure,
    totalSent: sent,
    fnv,
  };
};

// The server actor: one connection, read to EOF (each recv bounded by SO_RCVTIMEO), checking
// every byte against the pattern at its offset.
const serverActor: ChildBody<{ address: string; rcvTimeoutMs: number }, CutServer> = (sys, arg, io) => {
  const C = sys.constants;
  const timeval = (ms: number) => {
    const L = sys.layouts.timeval!;
    const b = Buffer.alloc(L.size);
    b.writeBigInt64LE(BigInt(Math.floor(ms / 1000)), L.fields.tv_sec![0]);
    b.writeBigInt64LE(BigInt((ms % 1000) * 1000), L.fields.tv_usec![0]);
    return b;
  };
  const l = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
  if (l < 0) throw new Error(`socket: ${l}`);
  sys.setsockopt(l, C.SOL_SOCKET!, C.SO_RCVTIMEO!, timeval(arg.rcvTimeoutMs));
  let rc = sys.bind(l, { family: C.AF_INET!, address: arg.address, port: 0 });
  if (rc === 0) rc = sys.listen(l, 4);
  if (rc < 0) throw new Error(`bind/listen: ${rc}`);
  const name: { family: number; port?: number } = { family: 0 };
  sys.getsockname(l, name);
  io.post(name.port);
  const fd = sys.accept4(l, null, C.SOCK_CLOEXEC!);
  sys.close(l);
  if (fd < 0) throw new Error(`accept: ${fd}`);
  sys.setsockopt(fd, C.SOL_SOCKET!, C.SO_RCVTIMEO!, timeval(arg.rcvTimeoutMs));
  const patternAt = (i: number) => (i ^ (i >>> 8) ^ (i >>> 16) ^ (i >>> 24)) & 0xff;
  const buf = Buffer.alloc(65536);
  let fnv = 0x811c9dc5;
  let received = 0;
  let mismatches = 0;
  let end = 0;
  for (let i = 0; i < 1_000_000; i++) {
    end = sys.recv(fd, buf, 0, buf.length, 0);
    if (end <= 0) break;
    for (let k = 0; k < end; k++) {
      if (buf[k] !== patternAt(received + k)) mismatches++;
      fnv = Math.imul(fnv ^ buf[k]!, 0x01000193) >>> 0;
    }
    received += end;
  }
  sys.close(fd);
  return { received, fnv, mismatches, end };
};

/** The kernel's give-up time for tcp_retries2 (tcp_model_timeout, net/ipv4/tcp_timer.c), in ms. */
export function retransmissionModelMs(retries2: number, rtoMinMs: number, rtoMaxMs: number): number {
  const thresh = Math.floor(Math.log2(rtoMaxMs / rtoMinMs));
  if (retries2 <= thresh) return (2 ** (retries2 + 1) - 1) * rtoMinMs;
  return (2 ** (thresh + 1) - 1) * rtoMinMs + (retries2 - thresh) * rtoMaxMs;
}

/** Options of {@link networkCutWith}. */
export interface NetworkCutOptions {
  /** Run 2 without TCP_USER_TIMEOUT: the kernel's own verdict (~15 min). Default: `SYSSOCK_LAB_SLOW=1`. */
  slow?: boolean;
}

const CUT = `silent drop both ways: each host has a permanent neighbour entry to a MAC nobody owns for the other's address (${CLIENT} ↔ ${SERVER}); links stay up`;

/** E25 with options (slow mode); {@link networkCut} is the default one. */
export function networkCutWith(options: NetworkCutOptions = {}): Experiment<NetworkCutData> {
  return defineExperiment<NetworkCutData>(
    {
      id: 'E25',
      slug: 'network-cut',
      title:
        'Network cut mid-transfer: sends keep succeeding into Send-Q; intact after repair; TCP_USER_TIMEOUT → ETIMEDOUT',
      shows:
        'sends keep succeeding into Send-Q, no error and no EPIPE while the kernel retransmits; if the link comes back, everything arrives intact; with TCP_USER_TIMEOUT the connection fails with -ETIMEDOUT within seconds instead of ~15 minutes',
      seeds: '004',
    },
    async ({ claims, scope, note, headline, progress, signal, skip }) => {
      const slow = slowMode(options.slow);
      const bounds = slow ? BOUNDS.slow : BOUNDS.fast;
      const data: NetworkCutData = {
        unavailable: null,
        slow,
        cut: CUT,
        tickMs: TICK_MS,
        chunk: CHUNK,
        defaults: { retries2: -1, modelMs: null },
        restored: null,
        server: null,
        timedOut: null,
      };
      progress('building the client and server namespaces');
      // The anchor's own last-resort lifetime must outlast a slow run (both runs, bounded).
      const lifetimeMs = 2 * bounds.actorMs + 60_000;
      const built = await createNetworkOrSkip(scope, clientServer(), { signal, lifetimeMs }, skip);
      if ('unavailable' in built) return { ...data, unavailable: built.unavailable };
      const { net } = built;
      data.defaults = await retransmissionDefaults(net);
      const cut = async () => {
        await net.silence('client', SERVER, 'c0');
        await net.silence('server', CLIENT, 's0');
      };
      const repair = async () => {
        await net.unsilence('client', SERVER, 'c0');
        await net.unsilence('server', CLIENT, 's0');
      };
      const start = async (failure: ClientArg['failure'], userTimeoutMs: number | null) => {
        const server = await net.actor('server', serverActor, { address: SERVER, rcvTimeoutMs: bounds.actorMs });
        const port = await actorMessage<number>(server, 5000, signal, 'the server port');
        const client = await net.actor('client', clientActor, {
          server: SERVER,
          port,
          sndbuf: SNDBUF,
          userTimeoutMs,
          tickMs: TICK_MS,
          chunk: CHUNK,
          flowTicks: FLOW_TICKS,
          maxCutTicks: MAX_CUT_TICKS,
          fullPollMs: FULL_POLL_MS,
          failure,
        });
        await actorMessage(client, 10_000, signal, 'the client ready for the cut');
        return { server, client };
      };

      // Run 1: cut, send into it, repair, check every byte.
      progress('run 1: data flowing; cutting the cable');
      const one = await start(null, null);
      await cut();
      one.client.send('cut');
      progress('run 1: sending into the cut');
      await actorMessage(one.client, 10_000, signal, 'the end of the cut phase');
      await repair();
      progress('run 1: the cable is back; draining');
      one.client.send('repaired');
      const restored = named(await actorResult(one.client, bounds.actorMs, signal, 'the client of run 1'));
      const server = await actorResult(one.server, bounds.actorMs, signal, 'the server of run 1');
      data.restored = restored;
      data.server = server;

      // Run 2: TCP_USER_TIMEOUT (fast) or the kernel's default (slow), never repaired.
      progress(slow ? 'run 2: cut, waiting for the kernel default (~15 min)' : 'run 2: cut with TCP_USER_TIMEOUT');
      const two = await start({ boundMs: bounds.failureMs, sampleMs: bounds.sampleMs }, slow ? null : USER_TIMEOUT_MS);
      await cut();
      two.client.send('cut');
      const timedOut = named(await actorResult(two.client, bounds.actorMs, signal, 'the client of run 2'));
      data.timedOut = timedOut;
      await two.server.stop(0); // blocked in recv on a connection it will never hear from again
      await repair();

      checkRestored(claims, restored, server);
      checkTimedOut(claims, timedOut, slow, data.defaults);
      const f = timedOut.failure!;
      note(`the cut: ${CUT}`);
      note(
        `SO_SNDBUF ${SNDBUF} set before connect (reads back ${restored.sndbuf}): the buffer fills in the budget; with autotuning it may grow to tcp_wmem's maximum`,
      );
      if (data.defaults.modelMs !== null)
        note(
          `without TCP_USER_TIMEOUT the kernel gives up after tcp_retries2=${data.defaults.retries2} retransmissions: ≈ ${(data.defaults.modelMs / 1000).toFixed(1)} s at the minimum RTO (${slow ? 'this run' : 'the --slow run'})`,
        );
      headline(
        `${restored.acceptedInCut} B accepted into Send-Q during the cut, no error; ` +
          `${server.received} B intact after repair; ` +
          `${slow ? 'default' : `TCP_USER_TIMEOUT ${USER_TIMEOUT_MS} ms`}: ${errnoName(f.send1)} ${(f.afterCutMs / 1000).toFixed(2)} s after the cut`,
      );
      return data;
    },
  );
}

async function retransmissionDefaults(net: Network): Promise<NetworkCutData['defaults']> {
  const retries2 = Number(await net.readSysctl('client', 'net.ipv4.tcp_retries2'));
  try {
    const rtoMinMs = Number(await net.readSysctl('client', 'net.ipv4.tcp_rto_min_us')) / 1000;
    const rtoMaxMs = Number(await net.readSysctl('client', 'net.ipv4.tcp_rto_max_ms'));
    return { retries2, modelMs: retransmissionModelMs(retries2, rtoMinMs, rtoMaxMs) };
  } catch {
    return { retries2, modelMs: null }; // an older kernel without those sysctls: no model to check against
  }
}

function checkRestored(claims: Claims, r: CutRun, server: CutServer): void {
  claims.check(
    'before the cut data flows and is acknowledged: Send-Q 0 at the cut',
    r.flowSent > 0 && r.sendQAtCut === 0,
    `${r.flowSent} B sent before the cut, Send-Q ${r.sendQAtCut}`,
  );
  const ok = r.cutSends.filter((x) => x > 0);
  const errors = r.cutSends.filter((x) => x < 0 && x !== -c.EAGAIN!);
  claims.check(
    'during the cut every send returns a byte count (or -EAGAIN once the buffer is full): no error, no EPIPE',
    ok.length > 1 && errors.length === 0,
    `${ok.length} sends accepted ${r.acceptedInCut} B; other results: ${[...new Set(r.cutSends.filter((x) => x < 0).map(errnoName))].join(', ') || 'none'}`,
  );
  claims.check(
    'sends keep succeeding after the kernel has begun retransmitting',
    r.afterRetrans.sends > 0 && r.atCutEnd.totalRetrans > 0,
    `${r.afterRetrans.sends} sends (${r.afterRetrans.bytes} B) after the first retransmission; tcpi_total_retrans ${r.atCutEnd.totalRetrans}, backoff ${r.atCutEnd.backoff}`,
  );
  const cutSamples = r.timeline.filter((s) => s.phase === 'cut');
  const monotonic = cutSamples.every((s, i) => i === 0 || s.sendQ >= cutSamples[i - 1]!.sendQ);
  claims.check(
    'Send-Q grows by exactly the bytes accepted since the cut (nothing is acknowledged), never shrinking',
    r.sendQAfterCut === r.sendQAtCut + r.acceptedInCut && monotonic,
    `Send-Q ${r.sendQAfterCut} == ${r.sendQAtCut} + ${r.acceptedInCut}; ${cutSamples.length} samples, monotonic: ${monotonic}`,
  );
  claims.equal('the connection stays ESTABLISHED meanwhile', r.atCutEnd.state, 'ESTABLISHED');
  claims.check(
    `bounded: once the buffer is full, send -EAGAIN and poll(POLLOUT, ${FULL_POLL_MS} ms) gives 0 — no room frees, because nothing is acknowledged`,
    r.cutSends.at(-1) === -c.EAGAIN! && r.full !== null && r.full.poll === 0 && r.full.revents === 0,
    r.full ? `EAGAIN, then poll ${r.full.poll} after ${Math.round(r.full.elapsedMs)} ms` : 'the buffer never filled',
  );
  claims.check(
    'the cable comes back: Send-Q drains to 0 and the server receives every byte, in order (count, FNV-1a, pattern)',
    r.drain !== null &&
      r.drain.sendQ === 0 &&
      server.end === 0 &&
      server.received === r.totalSent &&
      server.fnv === r.fnv &&
      server.mismatches === 0,
    `sent ${r.totalSent} B fnv ${hex(r.fnv)}; received ${server.received} B fnv ${hex(server.fnv)}, ${server.mismatches} mismatches, then EOF; drained ${r.drain ? Math.round(r.drain.ms) : '?'} ms after the repair`,
  );
}

function checkTimedOut(claims: Claims, r: CutRun, slow: boolean, defaults: NetworkCutData['defaults']): void {
  const f = r.failure!;
  const errors = r.cutSends.filter((x) => x < 0 && x !== -c.EAGAIN!);
  claims.check(
    'run 2: into the cut, too, sends only succeed (or -EAGAIN when full)',
    r.cutSends.some((x) => x > 0) && errors.length === 0,
    `${r.acceptedInCut} B accepted into Send-Q`,
  );
  if (slow) {
    const bound = defaults.modelMs ?? 60_000;
    claims.check(
      `kernel default (tcp_retries2=${defaults.retries2}): -ETIMEDOUT only after ≈ ${(bound / 1000).toFixed(0)} s`,
      r.userTimeoutMs === 0 && f.send1 === -c.ETIMEDOUT! && f.afterCutMs >= bound * 0.98,
      `${errnoName(f.send1)} ${(f.afterCutMs / 1000).toFixed(1)} s after the cut`,
    );
  } else {
    claims.check(
      `TCP_USER_TIMEOUT ${USER_TIMEOUT_MS} ms: -ETIMEDOUT no sooner than ${USER_TIMEOUT_MS} ms and within ${(2 * USER_TIMEOUT_MS) / 1000} s of the cut`,
      r.userTimeoutMs === USER_TIMEOUT_MS &&
        f.send1 === -c.ETIMEDOUT! &&
        f.afterCutMs >= USER_TIMEOUT_MS - CLOCK_SLACK_MS &&
        f.afterCutMs < 2 * USER_TIMEOUT_MS,
      `read back ${r.userTimeoutMs} ms; ${errnoName(f.send1)} ${Math.round(f.afterCutMs)} ms after the cut`,
    );
  }
  claims.check(
    'bounded: poll wakes with POLLERR|POLLHUP when the kernel gives up; the send after the -ETIMEDOUT is -EPIPE',
    (f.revents & c.POLLERR!) !== 0 && (f.revents & c.POLLHUP!) !== 0 && f.send2 === -c.EPIPE!,
    `revents ${pollNames(f.revents).join('|')}; then ${errnoName(f.send1)}, ${errnoName(f.send2)}`,
  );
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/** E25: the experiment (fast timings unless `SYSSOCK_LAB_SLOW=1`). */
export const networkCut = networkCutWith();
