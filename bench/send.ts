/**
 * `npm run bench`: send(2) cost on 127.0.0.1 TCP for four implementations (a C reference loop,
 * `sys.send`, `Socket.send`, node:net `socket.write`), printed as a table with the targets.
 *
 *   (a) 10-byte send to a draining peer, ns/call
 *   (b) send that returns EAGAIN (full buffer, peer never reads), ns/call, plus GC count,
 *       exceptions and heap bytes per call
 *   (c) 64 KiB send throughput to a draining peer, MB/s
 *
 * Options: `--json[=path]` also writes the results (default bench/out/send-bench.json);
 * `--reps=N` timed repetitions (default 11); `--nagle` turns TCP_NODELAY off everywhere
 * (default: on everywhere); `--quick` a 10× smaller run to check the plumbing.
 *
 * Not part of the tests: the numbers depend on this machine.
 * @module
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import type net from 'node:net';
import { constants as c, Socket, type InetAddress } from '../lib/index.js';
import { buildC, outDir } from './c-build.js';
import { CReference, type BenchSizes, type CCommand } from './c-ref.js';
import { bytesPerCall, GcCounter } from './gc.js';
import * as loops from './loops.js';
import { netWrite } from './net-loops.js';
import { DrainPeer } from './peer.js';
import {
  formatReport,
  IMPLS,
  jsonReport,
  METRICS,
  type Impl,
  type Measured,
  type Metric,
  type RunConfig,
  type Samples,
} from './report.js';
import { connectSender, connectFull, connectNet, type FullConnection } from './setup.js';
import { Cleanup } from './cleanup.js';

/** The whole run stops (with an error) past this, whatever the machine does. */
const RUN_DEADLINE_MS = 80_000;
/** The C programs alarm() themselves after this, in case this process cannot stop them. */
const CHILD_DEADLINE_S = 100;
/** One repetition of anything. */
const REP_TIMEOUT_MS = 15_000;

interface Options {
  json: string | null;
  reps: number;
  nodelay: boolean;
  quick: boolean;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { json: null, reps: 11, nodelay: true, quick: false };
  for (const a of argv) {
    if (a === '--json') o.json = `${outDir}/send-bench.json`;
    else if (a.startsWith('--json=')) o.json = a.slice('--json='.length);
    else if (a.startsWith('--reps=')) o.reps = Number(a.slice('--reps='.length));
    else if (a === '--nagle') o.nodelay = false;
    else if (a === '--quick') o.quick = true;
    else throw new Error(`unknown option ${a} (use --json[=path] --reps=N --nagle --quick)`);
  }
  if (!Number.isInteger(o.reps) || o.reps < 1 || o.reps > 25) throw new Error('--reps must be an integer in 1..25');
  return o;
}

/** One repetition's outcome, before it is filed into Samples. */
interface Rep {
  value: number;
  gcs: number;
  unexpected: number;
  thrown: number;
  calls: number;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const scale = opts.quick ? 10 : 1;
  // Many short repetitions rather than a few long ones: on a shared 2-core VM the noise comes in
  // bursts, and a median over many interleaved repetitions rides them out better.
  const sizes: BenchSizes = {
    n10: 50_000 / scale,
    nagain: 50_000 / scale,
    n64k: Math.ceil(2048 / scale), // 128 MiB per repetition
    nodelay: opts.nodelay,
  };
  const started = Date.now();
  const cleanup = new Cleanup();
  const gc = new GcCounter();
  cleanup.add(() => gc.stop());

  let measured: Measured;
  let config: RunConfig;
  try {
    const programs = buildC();
    const peer = await DrainPeer.start(programs.drainPeer, CHILD_DEADLINE_S);
    cleanup.add(() => peer.stop());
    const cref = await CReference.start(programs.sendBench, peer.port, sizes, CHILD_DEADLINE_S);
    cleanup.add(() => cref.stop());

    // The JavaScript connections, one per implementation and metric, kept for all repetitions
    // as the C program keeps its own. Each close is registered as soon as the socket exists.
    const keep = <T extends Socket>(s: T): T => (cleanup.add(() => s.close()), s);
    const keepNet = (s: net.Socket): net.Socket => (cleanup.add(() => s.destroy()), s);
    const sys10 = keep(connectSender(peer.port, sizes.nodelay));
    const socket10 = keep(connectSender(peer.port, sizes.nodelay));
    const sys64k = keep(connectSender(peer.port, sizes.nodelay));
    const socket64k = keep(connectSender(peer.port, sizes.nodelay));
    const net10 = keepNet(await connectNet(peer.port, sizes.nodelay, 5000));
    const net64k = keepNet(await connectNet(peer.port, sizes.nodelay, 5000));
    const full = (): FullConnection => {
      const f = connectFull(sizes.nodelay);
      keep(f.sender);
      keep(f.held);
      return f;
    };
    const sysFull = full();
    const socketFull = full();

    const buf10 = Buffer.alloc(10, 'x');
    const buf64k = Buffer.alloc(64 * 1024, 'x');
    const perCall = (n: number) => (ns: number) => ns / n;
    const mbps = (n: number) => (ns: number) => (n * buf64k.length) / (ns / 1e9) / 1e6;

    // A synchronous JavaScript loop, with the GCs that started inside it.
    const js = async (run: () => loops.LoopResult, n: number, value: (ns: number) => number): Promise<Rep> => {
      const e0 = gc.now();
      const r = run();
      const e1 = gc.now();
      return {
        value: value(r.ns),
        gcs: await gc.countBetween(e0, e1),
        unexpected: r.unexpected,
        thrown: r.thrown,
        calls: n,
      };
    };
    const netRep = async (s: net.Socket, buf: Buffer, n: number, value: (ns: number) => number): Promise<Rep> => {
      const e0 = gc.now();
      const ns = await netWrite(s, buf, n, REP_TIMEOUT_MS);
      const e1 = gc.now();
      return { value: value(ns), gcs: await gc.countBetween(e0, e1), unexpected: 0, thrown: 0, calls: n };
    };
    const cRep = async (command: CCommand, n: number): Promise<Rep> => {
      const a = await cref.run(command, REP_TIMEOUT_MS);
      const value = a.mbps ?? a.ns;
      if (value === undefined) throw new Error(`send_bench ${command}: no value`);
      return { value, gcs: 0, unexpected: a.unexpected ?? 0, thrown: 0, calls: n };
    };

    const { n10, nagain, n64k } = sizes;
    const runners: Record<Metric, Partial<Record<Impl, () => Promise<Rep>>>> = {
      send10: {
        c: () => cRep('send10', n10),
        sys: () => js(() => loops.sysSend(sys10.fd, buf10, n10), n10, perCall(n10)),
        socket: () => js(() => loops.socketSend(socket10, buf10, n10), n10, perCall(n10)),
        net: () => netRep(net10, buf10, n10, perCall(n10)),
      },
      eagain: {
        c: () => cRep('eagain', nagain),
        sys: () => js(() => loops.sysSendEagain(sysFull.sender.fd, buf10, nagain), nagain, perCall(nagain)),
        socket: () => js(() => loops.socketSendEagain(socketFull.sender, buf10, nagain), nagain, perCall(nagain)),
      },
      send64k: {
        c: () => cRep('send64k', n64k),
        sys: () => js(() => loops.sysSend(sys64k.fd, buf64k, n64k), n64k, mbps(n64k)),
        socket: () => js(() => loops.socketSend(socket64k, buf64k, n64k), n64k, mbps(n64k)),
        net: () => netRep(net64k, buf64k, n64k, mbps(n64k)),
      },
      send0: {
        c: () => cRep('send0', nagain),
        sys: () => js(() => loops.sysSendEmpty(sys10.fd, buf10, nagain), nagain, perCall(nagain)),
        socket: () => js(() => loops.socketSendEmpty(socket10, buf10, nagain), nagain, perCall(nagain)),
      },
      badf: {
        c: () => cRep('badf', nagain),
        sys: () => js(() => loops.sysSendBadFd(buf10, nagain), nagain, perCall(nagain)),
      },
      gettid: {
        c: () => cRep('gettid', nagain),
        sys: () => js(() => loops.sysGettid(nagain), nagain, perCall(nagain)),
      },
    };

    const results = Object.fromEntries(METRICS.map((m) => [m, {}])) as Measured['results'];
    const checkDeadline = (): void => {
      if (Date.now() - started > RUN_DEADLINE_MS) throw new Error(`run exceeded ${RUN_DEADLINE_MS / 1000} s`);
    };
    // Warm-up: one unrecorded repetition of everything (JIT tiers, TCP windows, caches). Then
    // each repetition runs every implementation once, rotating who goes first, so drift on a
    // shared machine lands on all of them alike.
    for (let round = -1; round < opts.reps; round++) {
      for (const metric of METRICS) {
        const impls = IMPLS.filter((i) => runners[metric][i] !== undefined);
        const shift = Math.max(round, 0) % impls.length;
        for (const impl of [...impls.slice(shift), ...impls.slice(0, shift)]) {
          checkDeadline();
          const rep = await runners[metric][impl]!();
          if (round < 0) continue;
          const s: Samples = (results[metric][impl] ??= { values: [], gcs: [], unexpected: 0, thrown: 0, calls: 0 });
          s.values.push(rep.value);
          s.gcs.push(rep.gcs);
          s.unexpected += rep.unexpected;
          s.thrown += rep.thrown;
          s.calls += rep.calls;
        }
      }
      process.stderr.write(round < 0 ? 'warm-up done\n' : `repetition ${round + 1}/${opts.reps} done\n`);
    }

    // Allocation per EAGAIN call, in short windows without a GC (see gc.ts).
    const allocation = {
      sys: await bytesPerCall(gc, (k) => loops.sysSendEagain(sysFull.sender.fd, buf10, k), 20_000),
      socket: await bytesPerCall(gc, (k) => loops.socketSendEagain(socketFull.sender, buf10, k), 1_000),
    };
    // How often the peer's reader returned from recv() per send: for 10-byte sends, about how often
    // it had gone to sleep and had to be woken by the sender (see drain_peer.c).
    const stats = await peer.stats();
    const localPort = (s: Socket): number => (s.getsockname() as InetAddress).port;
    const perSend = (port: number | undefined, size: number): number => {
      const st = port === undefined ? undefined : stats.get(port);
      return st && st.bytes > 0 ? st.recvs / (st.bytes / size) : NaN;
    };
    const peerRecvsPerSend: Measured['peerRecvsPerSend'] = {
      send10: {
        c: perSend(cref.ports.send10, buf10.length),
        sys: perSend(localPort(sys10), buf10.length),
        socket: perSend(localPort(socket10), buf10.length),
        net: perSend(net10.localPort, buf10.length),
      },
      send64k: {
        c: perSend(cref.ports.send64k, buf64k.length),
        sys: perSend(localPort(sys64k), buf64k.length),
        socket: perSend(localPort(socket64k), buf64k.length),
        net: perSend(net64k.localPort, buf64k.length),
      },
    };
    measured = { results, allocation, peerRecvsPerSend };
    config = {
      ...sizes,
      reps: opts.reps,
      cFillRounds: cref.fillRounds,
      jsFillRounds: Math.max(sysFull.fillRounds, socketFull.fillRounds),
      elapsedS: 0,
    };
  } finally {
    await cleanup.run();
  }
  config.elapsedS = (Date.now() - started) / 1000;

  console.log(formatReport(measured, config));
  if (opts.json) {
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      kernel: os.release(),
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      eagain: c.EAGAIN,
    };
    writeFileSync(opts.json, `${JSON.stringify(jsonReport(measured, config, meta), null, 2)}\n`);
    console.log(`\nJSON written to ${opts.json}`);
  }
}

main().catch((e: unknown) => {
  console.error(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  process.exitCode = 1;
});
