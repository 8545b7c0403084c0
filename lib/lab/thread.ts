/**
 * Runs a blocking side for real on another thread (worker_threads), so the main thread stays
 * free to observe it: where it sleeps, what the queues hold.
 *
 * The body is a self-contained function (no imports, no closures: it is sent as source) that
 * receives the raw addon (the same functions as `sys`), its argument, and `post` to send
 * messages back. fds are process-wide, so the body may use fd numbers the main thread owns;
 * the main thread stays their owner and closes them after the thread is done.
 *
 * A thread asleep in a syscall cannot be terminated until the syscall returns: an experiment
 * wakes it first (shutdown(2) wakes a blocked send/recv; close(2) does not).
 * @module
 */
import { Worker } from 'node:worker_threads';
import { addonPath, type NativeAddon } from '../native.js';
import { MessageQueue } from './queue.js';

/** The function a thread runs. */
export type ThreadBody<A, R> = (sys: NativeAddon, arg: A, post: (message: unknown) => void) => R | Promise<R>;

/** A running thread. */
export interface ThreadHandle<R> {
  /** The thread's kernel id (for /proc/self/task/<tid>). */
  readonly tid: number;
  /** Settles with the body's result, or rejects with its error. */
  readonly done: Promise<R>;
  /** The next message the body posted (bounded wait). */
  next(timeoutMs: number, what?: string): Promise<unknown>;
  /** Waits up to `timeoutMs` for the body to finish; then terminates the worker. */
  stop(timeoutMs: number): Promise<void>;
}

type Envelope =
  | { kind: 'tid'; tid: number }
  | { kind: 'message'; message: unknown }
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; error: string };

// esbuild (used by tsx and vitest) may wrap named functions in __name(); define it as identity.
const prelude = `
const __name = (f) => f;
const { parentPort, workerData } = require('node:worker_threads');
const sys = require(workerData.addonPath);
parentPort.postMessage({ kind: 'tid', tid: sys.gettid() });
const post = (message) => parentPort.postMessage({ kind: 'message', message });
`;

/** Starts `body(sys, arg, post)` on a new worker thread; resolves once its tid is known. */
export async function startThread<A, R>(body: ThreadBody<A, R>, arg: A, timeoutMs = 5000): Promise<ThreadHandle<R>> {
  const source = `${prelude}
const body = (${body.toString()});
Promise.resolve()
  .then(() => body(sys, workerData.arg, post))
  .then((result) => parentPort.postMessage({ kind: 'result', result }),
        (error) => parentPort.postMessage({ kind: 'error', error: String((error && error.stack) || error) }));
`;
  const worker = new Worker(source, { eval: true, workerData: { addonPath, arg } });
  const messages = new MessageQueue<unknown>();
  let tidResolve!: (tid: number) => void;
  const tidPromise = new Promise<number>((resolve) => (tidResolve = resolve));
  let settle!: { resolve: (r: R) => void; reject: (e: Error) => void };
  const done = new Promise<R>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // observed through `done` by the caller; never an unhandled rejection
  worker.on('message', (m: Envelope) => {
    if (m.kind === 'tid') tidResolve(m.tid);
    else if (m.kind === 'message') messages.push(m.message);
    else if (m.kind === 'result') settle.resolve(m.result as R);
    else settle.reject(new Error(`thread failed: ${m.error}`));
  });
  worker.on('error', (e) => settle.reject(e));
  worker.on('exit', (code) => {
    const error = new Error(`thread exited (code ${code})`);
    settle.reject(error);
    messages.fail(error);
  });
  const tid = await Promise.race([
    tidPromise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('thread did not start')), timeoutMs).unref()),
  ]);
  let stopped: Promise<void> | undefined;
  return {
    tid,
    done,
    next: (ms, what) => messages.next(ms, what),
    stop(ms: number) {
      stopped ??= (async () => {
        await Promise.race([done.catch(() => {}), new Promise((r) => setTimeout(r, ms).unref())]);
        await worker.terminate();
      })();
      return stopped;
    },
  };
}
