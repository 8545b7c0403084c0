// A watchdog for hangs the fuzz loop cannot see itself: a call that blocks the thread never returns
// to check a timer. The loop bumps a counter in a SharedArrayBuffer before every call; a worker
// thread watches it, and when it stands still past the limit it prints the seed, the call index and
// the row, and kills the process (the only way to end a thread stuck in a syscall).
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

const WATCHER = `
const { parentPort, workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const state = new Int32Array(workerData.shared);
let last = -1;
let since = Date.now();
setInterval(() => {
  const beat = Atomics.load(state, 0);
  if (beat !== last) {
    last = beat;
    since = Date.now();
    return;
  }
  if (Date.now() - since < workerData.limitMs) return;
  const index = Atomics.load(state, 1);
  const row = workerData.rows[Atomics.load(state, 2)] ?? '(between calls)';
  writeSync(2, '\\nsyssock fuzz: no progress for ' + workerData.limitMs + ' ms in call ' + index + ' (' + row +
    ') of seed ' + workerData.seed + ': a hang. Replay it alone: npm run fuzz -- --seed=' + workerData.seed +
    ' --first=' + index + ' --calls=1 --verbose\\n');
  process.kill(process.pid, 'SIGKILL');
}, 200);
parentPort.postMessage('ready');
`;

export interface Watchdog {
  /** Called before every call. `row` indexes the row names given to {@link startWatchdog}. */
  beat(index: number, row: number): void;
  stop(): Promise<void>;
}

/** Starts the watcher thread; resolves once it runs (its own fds — a loop, /dev/null — are open by then). */
export async function startWatchdog(seed: number, rows: readonly string[], limitMs: number): Promise<Watchdog> {
  const shared = new SharedArrayBuffer(12);
  const state = new Int32Array(shared);
  const worker = new Worker(WATCHER, { eval: true, workerData: { shared, seed, rows, limitMs } });
  await once(worker, 'message');
  worker.unref();
  let beats = 0;
  return {
    beat(index, row) {
      Atomics.store(state, 1, index);
      Atomics.store(state, 2, row);
      Atomics.store(state, 0, ++beats);
    },
    async stop() {
      await worker.terminate();
    },
  };
}
