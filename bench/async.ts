/**
 * `npm run bench:async`: the async layer (Socket on the event loop) against an epoll C reference
 * (bench/c/async_bench.c, built into bench/out/) and node:net, on 127.0.0.1 TCP:
 *
 *   (1) ping-pong latency on one connection, median and p99 µs (peer: the C epoll echo server)
 *   (2) bulk throughput, 64 KiB writes, MB/s (peer: bench/c/drain_peer.c)
 *   (3) connect+accept rate, connections/s (both ends in the measured process)
 *   (4) 10-byte message rate, one call per message and batched (64 per sys.writev call)
 *   (5) 10,000 concurrent echo connections: server RSS per connection and echoes/s, with the
 *       server (C, syssock, node:net) in a child process and the C load generator in another
 *
 * Every C side and every server runs in its own process; each C run is a fresh process per
 * repetition. The 10k children are spawned through `sh -c 'ulimit -n …; exec …'` to raise
 * RLIMIT_NOFILE (to 65536 when the hard limit allows, else soft = hard); the table says what
 * they got. Options: `--quick` (smaller counts), `--reps=N` (default 3), `--no-pin`.
 *
 * CPU pinning (on by default where `taskset` exists and there are at least 2 CPUs): the
 * measuring side — this process for syssock and node:net, the C reference process for C — runs
 * on CPU 0 and the peer (echo server, draining peer) on CPU 1, the same for all three, so a
 * run measures the implementations rather than where the scheduler happened to put them (on
 * this 2-vCPU VM unpinned runs moved the ping-pong median by 2–4× between runs). In the 10k test
 * the server runs on CPU 0 and the load generator on CPU 1.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildC } from './c-build.js';
import { LineChild } from './child.js';
import { DrainPeer } from './peer.js';
import { fmt, median, table } from './report.js';
import { connectNet } from './setup.js';
import * as loops from './async-loops.js';
import { netWrite } from './net-loops.js';
import { Cleanup } from './cleanup.js';

const RUN_DEADLINE_MS = 150_000;
const CHILD_DEADLINE_S = 160;
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

interface Options {
  quick: boolean;
  reps: number;
  pin: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { quick: false, reps: 3, pin: true };
  for (const a of argv) {
    if (a === '--quick') o.quick = true;
    else if (a === '--no-pin') o.pin = false;
    else if (a.startsWith('--reps=')) o.reps = Number(a.slice('--reps='.length));
    else throw new Error(`unknown option ${a} (use --quick --reps=N --no-pin)`);
  }
  if (!Number.isInteger(o.reps) || o.reps < 1 || o.reps > 11) throw new Error('--reps must be an integer in 1..11');
  return o;
}

/** The CPU pinning of this run: a command prefix per role (empty when not pinning). */
let onMeasuringCpu: string[] = [];
let onPeerCpu: string[] = [];

/** Pins this process (every thread) to CPU 0 and sets the prefixes; false if it cannot. */
function pinCpus(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore', timeout: 5000 });
  } catch {
    return false;
  }
  onMeasuringCpu = ['taskset', '-c', '0'];
  onPeerCpu = ['taskset', '-c', '1'];
  return true;
}

/** Runs one C mode as a fresh process (on the measuring CPU) and returns its JSON answer. */
async function runC(binary: string, mode: string, args: Record<string, number | string>, timeoutMs: number) {
  const argv = [
    ...onMeasuringCpu,
    binary,
    mode,
    ...Object.entries(args).map(([k, v]) => `${k}=${v}`),
    `deadline=${CHILD_DEADLINE_S}`,
  ];
  const { child, first } = await LineChild.start(argv[0]!, argv.slice(1), timeoutMs);
  await child.stop(2000);
  return first as Record<string, number>;
}

/** Resident set size of a process, in KiB (VmRSS). */
function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]);
}

/** `sh -c` that raises RLIMIT_NOFILE (65536 if the hard limit allows it, else soft = hard), then execs. */
const RAISE_NOFILE = 'ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"';

/** One implementation's outcome in the 10k test. */
interface TenK {
  rssBaseKiB: number;
  rssConnectedKiB: number;
  /** Right after the traffic, before the Node servers' gc(). */
  rssPeakKiB: number;
  rssAfterKiB: number;
  connections: number;
  echoesPerS: number;
  nofile: number | string;
}

async function tenK(
  asyncBench: string,
  server: 'c' | 'syssock' | 'net',
  conns: number,
  ms: number,
  cleanup: Cleanup,
): Promise<TenK> {
  const cmd =
    server === 'c'
      ? [asyncBench, 'echo', `deadline=${CHILD_DEADLINE_S}`]
      : [process.execPath, '--expose-gc', '--import', 'tsx', `${repoRoot}bench/async-server.ts`, server];
  // The Node servers report their RLIMIT_NOFILE; the C one does not (see the RAISE_NOFILE line).
  const started = await LineChild.start(
    'sh',
    ['-c', `cd '${repoRoot}' && ${RAISE_NOFILE}`, 'sh', ...onMeasuringCpu, ...cmd],
    30_000,
  );
  const srv = started.child;
  cleanup.add(() => srv.stop(3000));
  const { port, nofile } = started.first as { port: number; nofile?: number };
  // A Node server collects its garbage before each reading (a request answered after gc()), so
  // RSS counts what the connections retain, not what the collector has not reached yet.
  const collect = async (): Promise<void> => {
    if (server !== 'c') await srv.request('gc', 10_000);
  };
  await collect();
  const rssBaseKiB = rssKiB(srv.pid);
  const loadStart = await LineChild.start(
    'sh',
    [
      '-c',
      RAISE_NOFILE,
      'sh',
      ...onPeerCpu,
      asyncBench,
      'load',
      `port=${port}`,
      `conns=${conns}`,
      `ms=${ms}`,
      'size=64',
    ],
    30_000,
  );
  const load = loadStart.child;
  cleanup.add(() => load.stop(3000));
  const connected = (loadStart.first as { connected: number }).connected;
  const rssConnectedKiB = rssKiB(srv.pid);
  const result = (await load.request('go', ms + 10_000)) as { echoes: number; seconds: number };
  const rssPeakKiB = rssKiB(srv.pid);
  await collect();
  const rssAfterKiB = rssKiB(srv.pid);
  await load.request('close', 10_000);
  await load.stop(3000);
  await srv.stop(3000);
  return {
    rssBaseKiB,
    rssConnectedKiB,
    rssPeakKiB,
    rssAfterKiB,
    connections: connected,
    echoesPerS: result.echoes / result.seconds,
    nofile: nofile ?? 'n/r',
  };
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const q = opts.quick ? 10 : 1;
  const sizes = {
    pingRounds: 10_000 / q,
    pingSize: 16,
    bulkN: Math.ceil(2048 / q), // 128 MiB
    connN: 20_000 / q,
    connMs: 5000,
    inflight: 64,
    smallN: 200_000 / q,
    batchN: 2_000_000 / q,
    batch: 64,
    tenKConns: opts.quick ? 1000 : 10_000,
    tenKMs: opts.quick ? 1000 : 3000,
  };
  const pinned = opts.pin && pinCpus();
  const started = Date.now();
  const cleanup = new Cleanup();
  let interrupted = false;
  process.once('SIGINT', () => {
    interrupted = true;
    console.error('SIGINT: cleaning up');
    void cleanup.run().finally(() => process.exit(130));
  });
  const check = (): void => {
    if (interrupted) throw new Error('interrupted');
    if (Date.now() - started > RUN_DEADLINE_MS) throw new Error(`run exceeded ${RUN_DEADLINE_MS / 1000} s`);
  };

  type Row = Record<string, number[]>;
  const ping: Record<'c' | 'cBlock' | 'syssock' | 'net', { med: number[]; p99: number[] }> = {
    c: { med: [], p99: [] },
    cBlock: { med: [], p99: [] },
    syssock: { med: [], p99: [] },
    net: { med: [], p99: [] },
  };
  const bulk: Row = { c: [], syssock: [], net: [] };
  const conn: Row = { c: [], syssock: [], net: [] };
  const small: Row = { c: [], syssock: [], net: [], cBatch: [], syssockBatch: [], syssockArray: [], netCork: [] };
  const tenk: Partial<Record<'c' | 'syssock' | 'net', TenK>> = {};

  try {
    const programs = buildC();
    const bin = programs.asyncBench;
    const echoArgv = [...onPeerCpu, bin, 'echo', `deadline=${CHILD_DEADLINE_S}`];
    const echoStart = await LineChild.start(echoArgv[0]!, echoArgv.slice(1), 10_000);
    cleanup.add(() => echoStart.child.stop(3000));
    const echoPort = (echoStart.first as { port: number }).port;
    const peer = await DrainPeer.start(programs.drainPeer, CHILD_DEADLINE_S, onPeerCpu);
    cleanup.add(() => peer.stop());

    const sysPing = await loops.syssockClient(echoPort);
    cleanup.add(() => sysPing.close());
    const netPing = await connectNet(echoPort, true, 5000);
    cleanup.add(() => netPing.destroy());
    const pct = (r: Float64Array, p: number): number => r[Math.min(r.length - 1, Math.floor(r.length * p))]! / 1000;

    // Round -1 is an unrecorded warm-up; implementations rotate who goes first.
    for (let round = -1; round < opts.reps; round++) {
      const keep = round >= 0;
      // (1) ping-pong
      {
        const n = keep ? sizes.pingRounds : sizes.pingRounds / 5;
        const cE = await runC(bin, 'pingpong', { port: echoPort, n, size: sizes.pingSize, wait: 'epoll' }, 30_000);
        const cB = await runC(bin, 'pingpong', { port: echoPort, n, size: sizes.pingSize, wait: 'block' }, 30_000);
        check();
        const s = await loops.syssockPingPong(sysPing, sizes.pingSize, n);
        check();
        const nn = await loops.netPingPong(netPing, sizes.pingSize, n);
        if (keep) {
          ping.c.med.push(cE.median! / 1000);
          ping.c.p99.push(cE.p99! / 1000);
          ping.cBlock.med.push(cB.median! / 1000);
          ping.cBlock.p99.push(cB.p99! / 1000);
          ping.syssock.med.push(pct(s, 0.5));
          ping.syssock.p99.push(pct(s, 0.99));
          ping.net.med.push(pct(nn, 0.5));
          ping.net.p99.push(pct(nn, 0.99));
        }
      }
      check();
      // (2) bulk 64 KiB, fresh connections each repetition (as the C process makes its own)
      {
        const n = keep ? sizes.bulkN : sizes.bulkN / 4;
        const mb = (ns: number): number => (n * 65536) / (ns / 1e9) / 1e6;
        const cR = await runC(bin, 'bulk', { port: peer.port, n }, 30_000);
        const s = await loops.syssockClient(peer.port);
        const sNs = await loops.syssockBulk(s, n).finally(() => s.close());
        const ns = await connectNet(peer.port, true, 5000);
        const nNs = await netWrite(ns, Buffer.alloc(65536, 'x'), n, 30_000).finally(() => ns.destroy());
        if (keep) {
          bulk.c!.push(cR.mbps!);
          bulk.syssock!.push(mb(sNs));
          bulk.net!.push(mb(nNs));
        }
      }
      check();
      // (3) connect+accept; the warm-up round is short
      {
        const n = keep ? sizes.connN : 1000;
        const cR = await runC(bin, 'connrate', { n, ms: sizes.connMs, inflight: sizes.inflight }, 30_000);
        check();
        const s = await loops.syssockConnRate(n, sizes.connMs, sizes.inflight);
        check();
        const nn = await loops.netConnRate(n, sizes.connMs, sizes.inflight);
        if (keep) {
          conn.c!.push(cR.rate!);
          conn.syssock!.push(s.count / (s.ns / 1e9));
          conn.net!.push(nn.count / (nn.ns / 1e9));
        }
      }
      check();
      // (4) 10-byte messages
      {
        const n = keep ? sizes.smallN : sizes.smallN / 5;
        const nb = keep ? sizes.batchN : sizes.batchN / 5;
        const rate = (count: number, ns: number): number => count / (ns / 1e9);
        const c1 = await runC(bin, 'small', { port: peer.port, n, batch: 1 }, 30_000);
        const cb = await runC(bin, 'small', { port: peer.port, n: nb, batch: sizes.batch }, 30_000);
        const s = await loops.syssockClient(peer.port);
        const s1 = await loops.syssockSmall(s, n);
        const sb = await loops.syssockBatch(s, nb, sizes.batch, 'segments');
        const sa = await loops.syssockBatch(s, nb, sizes.batch, 'array').finally(() => s.close());
        const ns = await connectNet(peer.port, true, 5000);
        const n1 = await netWrite(ns, Buffer.alloc(10, 'm'), n, 30_000);
        const nc = await loops.netCorked(ns, nb, sizes.batch).finally(() => ns.destroy());
        if (keep) {
          small.c!.push(c1.rate!);
          small.cBatch!.push(cb.rate!);
          small.syssock!.push(rate(n, s1));
          small.syssockBatch!.push(rate(nb, sb));
          small.syssockArray!.push(rate(nb, sa));
          small.net!.push(rate(n, n1));
          small.netCork!.push(rate(nb, nc));
        }
      }
      process.stderr.write(round < 0 ? 'warm-up done\n' : `repetition ${round + 1}/${opts.reps} done\n`);
    }
    // (5) 10k connections: once per implementation (each is a fresh server process).
    for (const impl of ['c', 'syssock', 'net'] as const) {
      check();
      tenk[impl] = await tenK(bin, impl, sizes.tenKConns, sizes.tenKMs, cleanup);
      process.stderr.write(`10k: ${impl} done\n`);
    }
  } finally {
    await cleanup.run();
  }
  const elapsed = (Date.now() - started) / 1000;
  console.log(formatAsync({ ping, bulk, conn, small, tenk, sizes, reps: opts.reps, elapsed, pinned }));
}

interface AsyncMeasured {
  ping: Record<'c' | 'cBlock' | 'syssock' | 'net', { med: number[]; p99: number[] }>;
  bulk: Record<string, number[]>;
  conn: Record<string, number[]>;
  small: Record<string, number[]>;
  tenk: Partial<Record<'c' | 'syssock' | 'net', TenK>>;
  sizes: {
    pingRounds: number;
    pingSize: number;
    bulkN: number;
    connN: number;
    connMs: number;
    inflight: number;
    smallN: number;
    batchN: number;
    batch: number;
    tenKConns: number;
    tenKMs: number;
  };
  reps: number;
  elapsed: number;
  pinned: boolean;
}

function formatAsync(m: AsyncMeasured): string {
  const md = (v: number[] | undefined): number => (v && v.length ? median(v) : NaN);
  const mark = (pass: boolean): string => (pass ? 'PASS' : 'MISS');
  const x = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');
  const rows: string[][] = [['metric', 'C (epoll)', 'syssock', 'node:net', 'syssock/C', 'syssock/net', 'target', '']];

  const pc = md(m.ping.c.med);
  const ps = md(m.ping.syssock.med);
  const pn = md(m.ping.net.med);
  const pc99 = md(m.ping.c.p99);
  const ps99 = md(m.ping.syssock.p99);
  const pn99 = md(m.ping.net.p99);
  rows.push([
    '(1) ping-pong 16 B, median µs',
    fmt(pc, 1),
    fmt(ps, 1),
    fmt(pn, 1),
    x(ps / pc),
    x(ps / pn),
    '≤1.2× C, < net',
    mark(ps / pc <= 1.2 && ps < pn),
  ]);
  rows.push([
    '(1) ping-pong 16 B, p99 µs',
    fmt(pc99, 1),
    fmt(ps99, 1),
    fmt(pn99, 1),
    x(ps99 / pc99),
    x(ps99 / pn99),
    '≤1.2× C, < net',
    mark(ps99 / pc99 <= 1.2 && ps99 < pn99),
  ]);
  rows.push([
    '    (C blocking recv, median/p99 µs)',
    `${fmt(md(m.ping.cBlock.med), 1)}/${fmt(md(m.ping.cBlock.p99), 1)}`,
    '',
    '',
    '',
    '',
    'info',
    '',
  ]);
  const bc = md(m.bulk.c);
  const bs = md(m.bulk.syssock);
  const bn = md(m.bulk.net);
  rows.push(['(2) bulk 64 KiB writes, MB/s', fmt(bc), fmt(bs), fmt(bn), x(bs / bc), x(bs / bn), 'report', '']);
  const cc = md(m.conn.c);
  const cs = md(m.conn.syssock);
  const cn = md(m.conn.net);
  rows.push([
    '(3) connect+accept, conn/s',
    fmt(cc),
    fmt(cs),
    fmt(cn),
    x(cs / cc),
    x(cs / cn),
    '≥2× net',
    mark(cs >= 2 * cn),
  ]);
  const sc = md(m.small.c);
  const ss = md(m.small.syssock);
  const sn = md(m.small.net);
  rows.push(['(4) 10 B msgs, 1 per call, msg/s', fmt(sc), fmt(ss), fmt(sn), x(ss / sc), x(ss / sn), 'report', '']);
  const bcb = md(m.small.cBatch);
  const bsb = md(m.small.syssockBatch);
  const bnc = md(m.small.netCork);
  rows.push([
    `(4) 10 B msgs, batch ${m.sizes.batch}/call, msg/s`,
    fmt(bcb),
    fmt(bsb),
    fmt(bnc),
    x(bsb / bcb),
    x(bsb / bnc),
    'time ≤1.1× C',
    mark(bcb / bsb <= 1.1),
  ]);
  const bsa = md(m.small.syssockArray);
  rows.push([
    `    (batch ${m.sizes.batch}/call, sys.writev of an Array of Buffers)`,
    '',
    fmt(bsa),
    '',
    x(bsa / bcb),
    x(bsa / bnc),
    'info',
    '',
  ]);
  const perConn = (t: TenK | undefined): number => (t ? ((t.rssAfterKiB - t.rssBaseKiB) * 1024) / t.connections : NaN);
  const perConnIdle = (t: TenK | undefined): number =>
    t ? ((t.rssConnectedKiB - t.rssBaseKiB) * 1024) / t.connections : NaN;
  const perConnPeak = (t: TenK | undefined): number =>
    t ? ((t.rssPeakKiB - t.rssBaseKiB) * 1024) / t.connections : NaN;
  const { c: tc, syssock: ts, net: tn } = m.tenk;
  rows.push([
    `(5) ${fmt(m.sizes.tenKConns)} echo conns, RSS B/conn`,
    fmt(perConn(tc)),
    fmt(perConn(ts)),
    fmt(perConn(tn)),
    x(perConn(ts) / perConn(tc)),
    x(perConn(ts) / perConn(tn)),
    '≤ net',
    mark(perConn(ts) <= perConn(tn)),
  ]);
  rows.push([
    '    (RSS B/conn, right after traffic, before gc)',
    fmt(perConnPeak(tc)),
    fmt(perConnPeak(ts)),
    fmt(perConnPeak(tn)),
    '',
    '',
    'info',
    '',
  ]);
  rows.push([
    '    (RSS B/conn, connected, before traffic)',
    fmt(perConnIdle(tc)),
    fmt(perConnIdle(ts)),
    fmt(perConnIdle(tn)),
    '',
    '',
    'info',
    '',
  ]);
  const tp = (t: TenK | undefined): number => t?.echoesPerS ?? NaN;
  rows.push([
    `(5) ${fmt(m.sizes.tenKConns)} echo conns, 64 B echoes/s`,
    fmt(tp(tc)),
    fmt(tp(ts)),
    fmt(tp(tn)),
    x(tp(ts) / tp(tc)),
    x(tp(ts) / tp(tn)),
    '≥ net',
    mark(tp(ts) >= tp(tn)),
  ]);
  const nofile = [tc, ts, tn].map((t) => t?.nofile ?? '?').join('/');
  return [
    table(rows),
    '',
    `Medians over ${m.reps} repetition(s) after a warm-up; ping-pong ${fmt(m.sizes.pingRounds)} rounds per repetition, ` +
      `bulk ${fmt(m.sizes.bulkN)} × 64 KiB, connect+accept ≤ ${fmt(m.sizes.connN)} or ${m.sizes.connMs / 1000} s with ` +
      `${m.sizes.inflight} in flight, ${fmt(m.sizes.smallN)} single / ${fmt(m.sizes.batchN)} batched messages.`,
    `syssock batch = sys.writev(fd, arena, segments): ${m.sizes.batch} (offset, length) pairs into one buffer (the Array form on the info line); C batch = writev(2) of ${m.sizes.batch} iovecs; node:net batch = cork() + ${m.sizes.batch} write() + uncork().`,
    `(5): server in a child (C epoll / syssock watch()+recv+send / net 'data'+write), C epoll load generator in another; ` +
      `${fmt(m.sizes.tenKMs / 1000, 0)} s of traffic; RSS = VmRSS after traffic − before connections, each read after a ` +
      `full gc() in the Node servers. ` +
      `RLIMIT_NOFILE of the servers (c/syssock/net): ${nofile} (n/r: not reported; the same sh -c line raised it).`,
    `Loopback 127.0.0.1, TCP_NODELAY on. ` +
      (m.pinned
        ? 'Pinned: the measuring side on CPU 0, the peer on CPU 1 (10k: server CPU 0, load CPU 1). '
        : 'Not pinned (--no-pin, or taskset/2 CPUs unavailable). ') +
      `Total ${m.elapsed.toFixed(1)} s.`,
  ].join('\n');
}

main().catch((e: unknown) => {
  console.error(`bench:async failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
