/**
 * E19 read-write-order: a client and a server each loop "read then write" or "write then read",
 * in the four pairings of seed 003 §06, with its read/write lengths.
 *
 * What it proves, with each side blocking for real on its own worker thread:
 * - both sides reading first: no progress at all. Both threads are seen asleep inside recvfrom
 *   (/proc: state S, the fd; as root the kernel stack through sk_wait_data), whatever the
 *   lengths; the deadlock is then broken by a timeout (SO_RCVTIMEO on both: recv gives -EAGAIN
 *   after it, with 0 bytes exchanged);
 * - the other three pairings exchange messages: rounds done by each side within a fixed window
 *   (WINDOW_MS each), for every length combination of the seed.
 * A run ends when a side reaches the end of its window; this thread then shuts both sockets down
 * (shutdown(2) wakes a thread asleep in recv/send), so the other side stops too.
 * @module
 */
import { errnoName } from '../constants.js';
import type { Claims } from './claims.js';
import { defineExperiment } from './define.js';
import { wake } from './group-d.js';
import { tcpConnection } from './loopback.js';
import type { Scope } from './scope.js';
import { startThread, type ThreadBody, type ThreadHandle } from './thread.js';
import { waitUntilAsleepIn, whereIs, type ThreadWhere } from './where.js';

/** What one side does first in each round. */
export type Order = 'read-first' | 'write-first';

/** The four pairings of seed 003 §06, server first. */
export const PAIRINGS = [
  { seed: '06-1', server: 'read-first', client: 'read-first' },
  { seed: '06-2', server: 'write-first', client: 'write-first' },
  { seed: '06-3', server: 'write-first', client: 'read-first' },
  { seed: '06-4', server: 'read-first', client: 'write-first' },
] as const satisfies readonly { seed: string; server: Order; client: Order }[];

/** Read and write lengths of one side, in bytes (each recv asks for `read`, each send gives `write`). */
export interface Lengths {
  read: number;
  write: number;
}

/**
 * The seed's length combinations (its command lines give "read write" for each side): the three
 * it ran for every pairing, and the extra one it ran with both sides reading first.
 */
export const COMBINATIONS: readonly { server: Lengths; client: Lengths; deadlockOnly?: boolean }[] = [
  { server: { read: 1000, write: 1000 }, client: { read: 1000, write: 1000 } },
  { server: { read: 1000, write: 500 }, client: { read: 500, write: 1000 } },
  { server: { read: 1000, write: 1000 }, client: { read: 700, write: 700 } },
  { server: { read: 1000, write: 900 }, client: { read: 800, write: 700 }, deadlockOnly: true },
];

/** How long each pairing runs (and the SO_RCVTIMEO that breaks the deadlock), ms. */
export const WINDOW_MS = 250;
/** A recv timeout may end this much early (timer rounding). */
const EARLY_MS = 10;
/** Count bound on rounds, far above what a window allows. */
const MAX_ROUNDS = 5_000_000;

/** How a side's loop ended. */
export interface LoopEnd {
  /** 'deadline': its window was over; otherwise the call that returned ≤ 0. */
  how: 'deadline' | 'recv' | 'send' | 'max rounds';
  /** What that call returned (0: end of stream, or -errno). */
  returned: number;
  code: string | null;
  /** Ms from the start of the loop. */
  afterMs: number;
}

/** One side's loop. */
export interface SideResult {
  order: Order;
  lengths: Lengths;
  /** Completed rounds (a read and a write each). */
  rounds: number;
  bytesRead: number;
  bytesWritten: number;
  end: LoopEnd;
}

/** One pairing with one length combination. */
export interface PairingRun {
  seed: string;
  server: SideResult;
  client: SideResult;
  /** Both reading first: where each thread was once both had started (server, client). */
  asleep: { server: ThreadWhere; client: ThreadWhere } | null;
}

/** What E19 returns. */
export interface ReadWriteOrderData {
  windowMs: number;
  runs: PairingRun[];
}

/** Job fields in a worker's control array (Int32Array over a SharedArrayBuffer). */
const SEQ = 0;
const FD = 1;
const ORDER = 2;
const READ = 3;
const WRITE = 4;
const WINDOW = 5;
const CONTROL_FIELDS = 6;

interface WorkerArg {
  /** [job number (-1: quit), fd, order (0 read-first, 1 write-first), read, write, window ms]. */
  control: SharedArrayBuffer;
  maxRounds: number;
  maxJobs: number;
  /** How long to wait for the next job before giving up, ms. */
  idleMs: number;
}

interface LoopResult {
  job: number;
  rounds: number;
  bytesRead: number;
  bytesWritten: number;
  how: LoopEnd['how'];
  returned: number;
  afterMs: number;
}

/**
 * One side (a worker thread; self-contained), reused for several runs so that no run pays for
 * starting a thread: it waits (bounded) for a job number in control[0], then loops
 * read-then-write or write-then-read with blocking calls on the job's fd until the job's window
 * is over, a call returns ≤ 0 (end of stream, an error, or SO_RCVTIMEO's -EAGAIN), or the round
 * bound; posts the result and waits for the next job. Job number -1, or no job within `idleMs`,
 * ends it.
 */
const side: ThreadBody<WorkerArg, { jobs: number }> = (sys, arg, post) => {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const control = new Int32Array(arg.control);
  let seen = 0;
  for (let jobs = 0; jobs < arg.maxJobs; jobs++) {
    const idleUntil = now() + arg.idleMs;
    while (Atomics.load(control, 0) === seen && now() < idleUntil) Atomics.wait(control, 0, seen, 100);
    const job = Atomics.load(control, 0);
    if (job === seen || job < 0) return { jobs };
    seen = job;
    const fd = control[1]!;
    const readFirst = control[2] === 0;
    const read = control[3]!;
    const write = control[4]!;
    const start = now();
    const deadline = start + control[5]!;
    const rbuf = Buffer.alloc(read);
    const wbuf = Buffer.alloc(write, 0x61);
    const r = { job, rounds: 0, bytesRead: 0, bytesWritten: 0, how: 'max rounds', returned: 0, afterMs: 0 };
    rounds: while (r.rounds < arg.maxRounds) {
      if (now() >= deadline) {
        r.how = 'deadline';
        break;
      }
      for (const step of readFirst ? ['recv', 'send'] : ['send', 'recv']) {
        const n = step === 'recv' ? sys.recv(fd, rbuf, 0, read, 0) : sys.send(fd, wbuf, 0, write, 0);
        if (n <= 0) {
          r.how = step;
          r.returned = n;
          break rounds;
        }
        if (step === 'recv') r.bytesRead += n;
        else r.bytesWritten += n;
      }
      r.rounds++;
    }
    r.afterMs = now() - start;
    post(r);
  }
  return { jobs: arg.maxJobs };
};

/** A started side thread and its control array. */
interface Worker {
  thread: ThreadHandle<{ jobs: number }>;
  control: Int32Array;
  jobs: number;
}

async function startWorkers(scope: Scope, count: number): Promise<Worker[]> {
  const workers = await Promise.all(
    Array.from({ length: count }, async () => {
      const control = new SharedArrayBuffer(CONTROL_FIELDS * 4);
      const thread = await startThread(side, { control, maxRounds: MAX_ROUNDS, maxJobs: 100, idleMs: 10_000 });
      return { thread, control: new Int32Array(control), jobs: 0 };
    }),
  );
  // Runs last (registered before any connection): every fd was woken by then; tell the threads
  // to quit and join them.
  scope.defer(async () => {
    for (const w of workers) {
      Atomics.store(w.control, SEQ, -1);
      Atomics.notify(w.control, SEQ);
    }
    for (const w of workers) await w.thread.stop(2000);
  });
  return workers;
}

/** Hands a job to a waiting worker: the fields first, the job number last (that starts it). */
function assign(w: Worker, fd: number, order: Order, lengths: Lengths): void {
  Atomics.store(w.control, FD, fd);
  Atomics.store(w.control, ORDER, order === 'read-first' ? 0 : 1);
  Atomics.store(w.control, READ, lengths.read);
  Atomics.store(w.control, WRITE, lengths.write);
  Atomics.store(w.control, WINDOW, WINDOW_MS);
  Atomics.store(w.control, SEQ, ++w.jobs);
  Atomics.notify(w.control, SEQ);
}

async function result(w: Worker, timeoutMs: number): Promise<LoopResult> {
  const r = (await w.thread.next(timeoutMs, `the result of job ${w.jobs}`)) as LoopResult;
  if (r.job !== w.jobs) throw new Error(`expected the result of job ${w.jobs}, got job ${r.job}`);
  return r;
}

function toSide(order: Order, lengths: Lengths, r: LoopResult): SideResult {
  return {
    order,
    lengths,
    rounds: r.rounds,
    bytesRead: r.bytesRead,
    bytesWritten: r.bytesWritten,
    end: { how: r.how, returned: r.returned, code: r.returned < 0 ? errnoName(r.returned) : null, afterMs: r.afterMs },
  };
}

type Pairing = (typeof PAIRINGS)[number];
type Combination = (typeof COMBINATIONS)[number];

/** A connection for one run; its sockets are shut down (waking the workers) before they close. */
function connection(scope: Scope, recvTimeoutMs: number | null) {
  const { client, server } = tcpConnection(scope);
  if (recvTimeoutMs !== null) for (const s of [server, client]) s.setOption('SO_RCVTIMEO', recvTimeoutMs);
  scope.defer(() => wake(server, client));
  return { client, server };
}

function label(seed: string, combo: Combination): string {
  const { server: s, client: cl } = combo;
  return `[${seed} server r${s.read}/w${s.write}, client r${cl.read}/w${cl.write}]`;
}

/** Both read first, every combination at once (a worker pair each): all asleep, then all time out. */
async function deadlocks(scope: Scope, claims: Claims, workers: Worker[]): Promise<PairingRun[]> {
  const pairing = PAIRINGS[0];
  const started = COMBINATIONS.map((combo, i) => {
    const { client, server } = connection(scope, WINDOW_MS);
    return { combo, server, client, ws: [workers[2 * i]!, workers[2 * i + 1]!] as const };
  });
  for (const s of started) {
    assign(s.ws[0], s.server.fd, pairing.server, s.combo.server);
    assign(s.ws[1], s.client.fd, pairing.client, s.combo.client);
  }
  // Both threads of every connection must be seen asleep in recvfrom on their own fd before
  // their SO_RCVTIMEO expires; a thread not seen there is reported as /proc last showed it.
  const asleep: { server: ThreadWhere; client: ThreadWhere }[] = [];
  const see = (w: Worker, fd: number) =>
    waitUntilAsleepIn(w.thread.tid, 'recvfrom', fd, WINDOW_MS).catch(() => whereIs(w.thread.tid));
  for (const s of started)
    asleep.push({ server: await see(s.ws[0], s.server.fd), client: await see(s.ws[1], s.client.fd) });

  const runs: PairingRun[] = [];
  for (const [i, s] of started.entries()) {
    const server = await result(s.ws[0], WINDOW_MS + 5000);
    const client = await result(s.ws[1], WINDOW_MS + 5000);
    const where = asleep[i]!;
    const run: PairingRun = {
      seed: pairing.seed,
      server: toSide(pairing.server, s.combo.server, server),
      client: toSide(pairing.client, s.combo.client, client),
      asleep: where,
    };
    runs.push(run);
    const l = label(pairing.seed, s.combo);
    const inRecv = (w: ThreadWhere, fd: number) =>
      w.state === 'S' && w.syscall?.name === 'recvfrom' && w.syscall.fd === fd;
    claims.check(
      `${l} both threads asleep inside recvfrom, each on its own fd: a deadlock`,
      inRecv(where.server, s.server.fd) && inRecv(where.client, s.client.fd),
      `server: state ${where.server.state} ${where.server.syscall?.name}(${where.server.syscall?.fd}); ` +
        `client: state ${where.client.state} ${where.client.syscall?.name}(${where.client.syscall?.fd})`,
    );
    if (where.server.stack && where.client.stack)
      claims.check(
        `${l} both kernel stacks go through sk_wait_data`,
        where.server.stack.includes('sk_wait_data') && where.client.stack.includes('sk_wait_data'),
        where.server.stack.slice(0, 3).join(' ← '),
      );
    claims.check(
      `${l} broken only by the timeout: both recvs returned -EAGAIN after SO_RCVTIMEO (${WINDOW_MS} ms), nothing exchanged`,
      [run.server, run.client].every(
        (x) =>
          x.end.how === 'recv' &&
          x.end.code === 'EAGAIN' &&
          x.end.afterMs >= WINDOW_MS - EARLY_MS &&
          x.rounds === 0 &&
          x.bytesRead === 0 &&
          x.bytesWritten === 0,
      ),
      `server ${describeEnd(run.server)}; client ${describeEnd(run.client)}`,
    );
  }
  return runs;
}

/** One pairing that exchanges messages, with one combination, for WINDOW_MS. */
async function exchange(
  scope: Scope,
  claims: Claims,
  [serverSide, clientSide]: [Worker, Worker],
  pairing: Pairing,
  combo: Combination,
): Promise<PairingRun> {
  const { client, server } = connection(scope, null);
  assign(serverSide, server.fd, pairing.server, combo.server);
  assign(clientSide, client.fd, pairing.client, combo.client);
  const results = [result(serverSide, WINDOW_MS + 5000), result(clientSide, WINDOW_MS + 5000)];
  for (const r of results) r.catch(() => {}); // awaited below; never an unhandled rejection
  const first = await Promise.race(results);
  // One side is done: wake the other (it may be asleep waiting for it), then collect both.
  wake(server, client);
  const [s, cl] = await Promise.all(results);
  const run: PairingRun = {
    seed: pairing.seed,
    server: toSide(pairing.server, combo.server, s!),
    client: toSide(pairing.client, combo.client, cl!),
    asleep: null,
  };
  claims.check(
    `${label(pairing.seed, combo)} messages flow: both sides completed rounds, and the first to stop stopped because its window was over`,
    run.server.rounds > 0 && run.client.rounds > 0 && first.how === 'deadline',
    `server ${run.server.rounds} rounds, client ${run.client.rounds} rounds in ${WINDOW_MS} ms; first end: ${first.how}`,
  );
  return run;
}

function describeEnd(s: SideResult): string {
  const call = s.end.how === 'deadline' ? 'window over' : `${s.end.how} → ${s.end.code ?? s.end.returned}`;
  return `${call} after ${s.end.afterMs.toFixed(0)} ms, ${s.rounds} rounds`;
}

/** E19: the experiment. */
export const readWriteOrder = defineExperiment<ReadWriteOrderData>(
  {
    id: 'E19',
    slug: 'read-write-order',
    title: 'Read first or write first: the four pairings',
    shows: 'both reading first deadlocks (both asleep in recvfrom, broken by SO_RCVTIMEO); the other three exchange',
    seeds: '003 §06',
  },
  async ({ claims, scope, note, headline, progress }) => {
    progress('starting the side threads');
    const workers = await startWorkers(scope, 2 * COMBINATIONS.length);
    progress('both sides reading first (every length combination at once)');
    const runs = await deadlocks(scope, claims, workers);
    claims.check(
      'lengths do not matter when both read first: every combination deadlocked',
      runs.length === COMBINATIONS.length && runs.every((r) => r.server.rounds === 0 && r.client.rounds === 0),
      `${runs.length} combinations, rounds ${runs.map((r) => `${r.server.rounds}/${r.client.rounds}`).join(', ')}`,
    );
    const stack = runs[0]?.asleep?.server.unavailable.find((u) => u.startsWith('stack'));
    if (stack) note(`kernel stack not shown: ${stack} (run as root to see sk_wait_data)`);
    for (const pairing of PAIRINGS.slice(1))
      for (const combo of COMBINATIONS.filter((x) => !x.deadlockOnly)) {
        progress(`${label(pairing.seed, combo)} server ${pairing.server}, client ${pairing.client}`);
        runs.push(await exchange(scope, claims, [workers[0]!, workers[1]!], pairing, combo));
      }
    const firstCombo = (seed: string) => runs.find((r) => r.seed === seed)!;
    headline(
      `both read first: 0 rounds, both asleep in recvfrom until SO_RCVTIMEO; 1000/1000 rounds in ${WINDOW_MS} ms: ` +
        PAIRINGS.slice(1)
          .map((p) => `${p.seed} ${Math.min(firstCombo(p.seed).server.rounds, firstCombo(p.seed).client.rounds)}`)
          .join(', '),
    );
    return { windowMs: WINDOW_MS, runs };
  },
);
