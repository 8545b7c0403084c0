// The fuzz loop: calls are drawn from the table by a seeded PRNG (call i's arguments depend only on
// (seed, i)), made in batches of a few hundred, classified into the histogram; each batch ends by
// aborting its AbortSignal and waiting (bounded) for every promise to settle, then the pool's
// invariants are checked. A pool lives for one epoch of a few thousand calls; between epochs the
// harness checks that no socket fd was left open.
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Poller, Socket, constants as c, sys } from '../../lib/index.js';
import { Gen, type CallContext } from './gen.js';
import { NetTargets } from './net-targets.js';
import { Histogram, classifyError, classifyResult } from './outcome.js';
import { Pool, closeOwned, makeRunFiles } from './pool.js';
import { Rng, callSeed } from './prng.js';
import { safeSignals, signalMasks } from './rows/shapes.js';
import { rows as tableRows, type Row } from './table.js';
import { FuzzAbort, WRONG_TYPES_ZERO_ONE } from './values.js';
import type { Call } from './rows/common.js';
import type { Watchdog } from './watchdog.js';

export interface FuzzOptions {
  readonly seed: number;
  readonly calls: number;
  /** Index of the first call (to replay the middle of a run). Default 0. */
  readonly first?: number;
  /** Calls per batch (then every wait settles). Default 256. */
  readonly batch?: number;
  /** Calls per pool. Default 4096. */
  readonly epoch?: number;
  /** How long a batch's promises may take to settle once its signal is aborted. Default 3000 ms. */
  readonly settleMs?: number;
  readonly rows?: readonly Row[];
  /** Gets a line for every call before it is made (written synchronously: it survives a crash). */
  readonly verbose?: (line: string) => void;
  readonly watchdog?: Watchdog;
  /** Check the pool's invariants after every call, not only after every batch (slow; to pin one down). */
  readonly paranoid?: boolean;
  /** Failures kept in full, the first of each (outcome, row) pair (all are counted). Default 50. */
  readonly maxFailures?: number;
}

/** One unexpected outcome, with what it takes to replay it. */
export interface Failure {
  readonly seed: number;
  readonly index: number;
  readonly row: string;
  readonly key: string;
  readonly problem: string;
  readonly args: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly first: number;
  readonly histogram: Histogram;
  readonly failures: Failure[];
  /** Problems found between calls (pool invariants, leaks, signal dispositions). */
  readonly harness: string[];
  /** Every fd the pools opened, with what it was ("socket:[inode]", a path): all closed by now. */
  readonly poolFds: readonly (readonly [fd: number, identity: string])[];
  /** Pool sockets retired because a call left them bound to a wildcard address. */
  readonly retired: number;
  readonly elapsedMs: number;
}

/** The fd targets a run could leave behind, counted: sockets, /dev/null, files in its dir (the
 * FIFO too). Anonymous pipes and anon inodes are not the run's: the watchdog worker's loop has some. */
function fdTargets(dir: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the fd readdir itself used
    }
    if (target.startsWith('socket:') || target.startsWith(dir) || target === '/dev/null')
      counts.set(target, (counts.get(target) ?? 0) + 1);
  }
  return counts;
}

function socketTargets(): Set<string> {
  const out = new Set<string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${name}`);
      if (target.startsWith('socket:')) out.add(`${name} ${target}`);
    } catch {
      // gone
    }
  }
  return out;
}

const targetOf = (fd: number) => {
  try {
    return `${fd} ${readlinkSync(`/proc/self/fd/${fd}`)}`;
  } catch {
    return '';
  }
};

/**
 * Proves, with read-only calls, that the fd checks refuse the values that would coerce to 0 or 1
 * (null, booleans, '', []): only then may the fuzzer pass them to calls that close or change fds.
 */
export function preflight(): void {
  for (const value of WRONG_TYPES_ZERO_ONE) {
    const attempts: [string, () => unknown][] = [
      ['sys.fcntl', () => sys.fcntl(value as never, c.F_GETFL!)],
      ['Socket.fromFd', () => Socket.fromFd(value as never)],
      ['new Poller', () => new Poller(value as never)],
    ];
    for (const [name, attempt] of attempts) {
      let refused = false;
      try {
        attempt();
      } catch (e) {
        refused = e instanceof TypeError && (e as { code?: unknown }).code === 'ERR_INVALID_ARG_TYPE';
      }
      if (!refused)
        throw new Error(`preflight: ${name}(${inspect(value)}) was not refused: fuzzing fds would be unsafe`);
    }
  }
}

function describeArgs(args: readonly unknown[]): string {
  try {
    return inspect(args, { depth: 2, breakLength: Infinity, maxArrayLength: 8, maxStringLength: 80, getters: false });
  } catch {
    return '(arguments that cannot be shown)';
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/** Cumulative weights for drawing rows. */
function drawer(rows: readonly Row[]): (rng: Rng) => number {
  const cumulative: number[] = [];
  let total = 0;
  for (const row of rows) cumulative.push((total += row.weight ?? 1));
  return (rng) => {
    const x = (rng.next() / 0x100000000) * total;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! > x) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const { seed, calls } = options;
  const first = options.first ?? 0;
  const batchSize = options.batch ?? 256;
  const epochSize = options.epoch ?? 4096;
  const settleMs = options.settleMs ?? 3000;
  const rows = options.rows ?? tableRows;
  const maxFailures = options.maxFailures ?? 50;
  const draw = drawer(rows);
  const histogram = new Histogram();
  const failures: Failure[] = [];
  const harness: string[] = [];
  const cache = new Map<string, ArrayBufferView>();
  const scratch = Buffer.alloc(65536);
  let counter = 0;
  const poolFds: [number, string][] = [];
  let retired = 0;
  const leaksSeen = new Set<string>();

  const dir = mkdtempSync(join(tmpdir(), 'syssock-fuzz-'));
  const fdsBefore = fdTargets(dir);
  const socketsBefore = socketTargets();
  const masksBefore = signalMasks();
  const signals = safeSignals();
  const started = performance.now();
  let net_: NetTargets | undefined;

  // The first failure of each (outcome, row) pair is kept in full; the histogram counts them all.
  const seen = new Set<string>();
  const fail = (failure: Failure) => {
    const kind = `${failure.key} ${failure.row}`;
    if (seen.has(kind) || failures.length >= maxFailures) return;
    seen.add(kind);
    failures.push(failure);
  };

  /** Closes the Sockets and node:net objects a call returned (never the pool's or the run's own). */
  function collect(value: unknown, pool: Pool, atBatchEnd: (() => void)[]): void {
    const own = (s: Socket) => !pool.owns(s);
    if (net_?.owns(value)) return;
    if (value instanceof Socket) {
      if (own(value)) closeOwned(value);
    } else if (Array.isArray(value)) {
      for (const v of value) if (v instanceof Socket && own(v)) closeOwned(v);
    } else if (value instanceof net.Socket) {
      value.on('error', () => undefined);
      atBatchEnd.push(() => value.destroy());
    } else if (value instanceof net.Server) {
      atBatchEnd.push(() => value.close());
    } else if (
      typeof value === 'object' &&
      value !== null &&
      (value as { socket?: unknown }).socket instanceof Socket
    ) {
      const s = (value as { socket: Socket }).socket;
      if (own(s)) closeOwned(s);
    }
  }

  async function runBatch(start: number, end: number, pool: Pool, netTargets: NetTargets): Promise<void> {
    const controller = new AbortController();
    const abortedController = new AbortController();
    abortedController.abort(new FuzzAbort());
    const ctx: CallContext = {
      pool,
      net: netTargets,
      pollers: [],
      batchSignal: controller.signal,
      abortedSignal: abortedController.signal,
      cache,
      atBatchEnd: [],
      next: () => ++counter,
    };
    const pending = new Map<number, { row: string; args: string }>();
    const settling: Promise<void>[] = [];
    for (let index = start; index < end; index++) {
      const rng = new Rng(callSeed(seed, index));
      const rowIndex = draw(rng);
      const row = rows[rowIndex]!;
      options.watchdog?.beat(index, rowIndex);
      const g = new Gen(rng, ctx);
      let made: Call;
      try {
        made = row.make(g);
      } catch (e) {
        harness.push(`call ${index} (${row.name}): the generator failed: ${String(e)}`);
        for (const cleanup of g.cleanups) cleanup();
        continue;
      }
      options.verbose?.(`call ${index} ${row.name} ${describeArgs(made.args)}`);
      const finish = (value: unknown, threw: boolean) => {
        pending.delete(index);
        try {
          made.after?.(value, threw);
          if (!threw) collect(value, pool, ctx.atBatchEnd);
        } finally {
          for (const cleanup of g.cleanups) cleanup();
        }
        const outcome = threw
          ? classifyError(row, value, g.bad, g.closedTarget)
          : classifyResult(row, value, g.bad, made.check?.(value));
        histogram.add(row.name, outcome);
        if (outcome.key.startsWith('!'))
          fail({
            seed,
            index,
            row: row.name,
            key: outcome.key,
            problem: outcome.problem ?? '',
            args: describeArgs(made.args),
          });
      };
      let result: unknown;
      let threw = false;
      try {
        result = made.run();
      } catch (e) {
        result = e;
        threw = true;
      }
      if (row.touchesAddress) pool.guard((fd) => ctx.pollers.filter((p) => p.fd === fd).forEach((p) => p.close()));
      if (!threw && isThenable(result)) {
        pending.set(index, { row: row.name, args: describeArgs(made.args) });
        settling.push(
          Promise.resolve(result).then(
            (v) => finish(v, false),
            (e: unknown) => finish(e, true),
          ),
        );
      } else {
        finish(result, threw);
      }
      if (options.paranoid)
        for (const problem of pool.problems()) harness.push(`after call ${index} (${row.name}): ${problem}`);
    }
    options.verbose?.(`batch ${start}..${end - 1}: aborting, ${pending.size} pending`);
    controller.abort(new FuzzAbort());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const settled = await Promise.race([
      Promise.all(settling).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), settleMs);
      }),
    ]);
    clearTimeout(timer);
    if (!settled)
      for (const [index, { row, args }] of pending) {
        histogram.add(row, { key: '!hang' });
        fail({ seed, index, row, key: '!hang', problem: `still pending ${settleMs} ms after the batch's abort`, args });
      }
    options.verbose?.(`batch ${start}..${end - 1}: settled ${String(settled)}; closing pollers, cleaning up`);
    for (const poller of ctx.pollers) poller.close();
    for (const work of ctx.atBatchEnd) work();
    options.verbose?.(`batch ${start}..${end - 1}: checking the pool`);
    for (const problem of pool.problems()) harness.push(`after calls ${start}..${end - 1}: ${problem}`);
    options.verbose?.(`batch ${start}..${end - 1}: draining the pool`);
    pool.drain(scratch);
  }

  try {
    preflight();
    const netTargets = await NetTargets.create();
    net_ = netTargets;
    const files = makeRunFiles(dir);
    let index = first;
    const end = first + calls;
    for (let epoch = 0; index < end; epoch++) {
      const epochStart = index;
      const pool = new Pool(files, epoch);
      for (const entry of pool.entries) poolFds.push([entry.fd, entry.identity]);
      try {
        const epochEnd = Math.min(end, index + epochSize);
        while (index < epochEnd) {
          const batchEnd = Math.min(epochEnd, index + batchSize);
          await runBatch(index, batchEnd, pool, netTargets);
          index = batchEnd;
        }
      } finally {
        pool.close();
        retired += pool.retired;
      }
      // Each leak is reported once, by the epoch that made it.
      const expected = new Set([...socketsBefore, ...netTargets.fds().map(targetOf), ...leaksSeen]);
      const leaked = [...socketTargets()].filter((s) => !expected.has(s));
      for (const s of leaked) leaksSeen.add(s);
      if (leaked.length > 0)
        harness.push(
          `calls ${epochStart}..${index - 1} left ${leaked.length} socket fd(s) open: ${leaked.slice(0, 5).join(', ')}`,
        );
      for (const [target, n] of fdTargets(dir)) {
        const was = fdsBefore.get(target) ?? 0;
        if (!target.startsWith('socket:') && n > was && !leaksSeen.has(target)) {
          leaksSeen.add(target);
          harness.push(`calls ${epochStart}..${index - 1} left ${n - was} fd(s) on ${target} open`);
        }
      }
    }
  } finally {
    await net_?.close();
    for (const signum of signals.both) {
      const wasIgnored = (masksBefore.ignored & (1n << BigInt(signum - 1))) !== 0n;
      sys.signal(signum, wasIgnored ? 'ignore' : 'default');
    }
    rmSync(dir, { recursive: true, force: true });
  }
  const masksAfter = signalMasks();
  if (masksAfter.ignored !== masksBefore.ignored || masksAfter.caught !== masksBefore.caught)
    harness.push(
      `signal dispositions changed: SigIgn ${masksBefore.ignored.toString(16)} → ${masksAfter.ignored.toString(16)}, ` +
        `SigCgt ${masksBefore.caught.toString(16)} → ${masksAfter.caught.toString(16)}`,
    );
  const fdsAfter = fdTargets(dir);
  for (const [target, n] of fdsAfter) {
    const was = fdsBefore.get(target) ?? 0;
    if (n > was) harness.push(`${n - was} fd(s) on ${target} left open by the run`);
  }
  return { seed, first, histogram, failures, harness, poolFds, retired, elapsedMs: performance.now() - started };
}
