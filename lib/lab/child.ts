/**
 * Runs a side of an experiment in a real child process, for what a thread cannot show: a peer
 * that is killed with SIGKILL (the kernel closes its fds), a process killed by SIGPIPE, a
 * process with its own resource limits (RLIMIT_NOFILE through `prlimit`).
 *
 * The body is a self-contained function (no imports, no closures: it is sent as source, like
 * {@link startThread}'s) that runs in `process.execPath` with the raw addon loaded from
 * `addonPath`. It receives the addon, its argument (sent over the IPC channel with Node's
 * 'advanced' serialization, so Buffers and typed arrays survive), and `io`: `post` sends a
 * message to the parent, `next` waits (bounded) for one from the parent, `fds` lists the fds
 * handed over from the parent.
 *
 * Every child is killed (SIGKILL) if it is still running when the scope closes, on success,
 * failure and abort alike. While children live, this module also kills them when the parent
 * exits (process 'exit') or receives SIGINT/SIGTERM; after killing them it re-raises the signal
 * when nobody else listens for it, so the parent still dies of it. A parent killed with SIGKILL
 * cannot clean up: a child idle in its event loop then exits when its IPC channel closes, a
 * child asleep in a blocking syscall lives until that syscall returns.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { addonPath, type NativeAddon } from '../native.js';
import { MessageQueue } from './queue.js';
import type { Scope } from './scope.js';

/** What a child body can do besides syscalls. */
export interface ChildIO {
  /** Sends a message to the parent (it arrives in {@link ChildHandle.next}). */
  post(message: unknown): void;
  /** The next message the parent sent with {@link ChildHandle.send}; rejects after `timeoutMs`. */
  next(timeoutMs: number, what?: string): Promise<unknown>;
  /** The child's fd numbers of {@link ChildOptions.fds}, in the same order (4, 5, …). */
  readonly fds: readonly number[];
}

/** The function a child runs: `body(sys, arg, io)`, self-contained. Its result goes back to the parent. */
export type ChildBody<A, R> = (sys: NativeAddon, arg: A, io: ChildIO) => R | Promise<R>;

/** How a child ended: an exit code, or the signal that killed it (as `ChildProcess` reports them). */
export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Options for {@link startChild}. */
export interface ChildOptions {
  /**
   * A command to run the child under, e.g. `['prlimit', '--nofile=64:64', '--']` (util-linux):
   * it must exec its last arguments (node and the script) in place, keeping the fds open, so
   * the pid and the IPC channel stay the child's.
   */
  prefix?: readonly string[];
  /**
   * Parent fds to hand over: the child gets a copy of each (the same open file description) as
   * fd 4, 5, … (0–2 are stdio, 3 is the IPC channel). The parent keeps its own copies; a
   * connection is closed only when every copy is.
   */
  fds?: readonly number[];
  /** Bound on the child's start (spawn, addon load, first message), ms. Default 10 000. */
  startTimeoutMs?: number;
}

/** A running child process. */
export interface ChildHandle<R> {
  /** The child's pid (for /proc/<pid>/…, and the pid the kernel reports). */
  readonly pid: number;
  /** Settles with the body's result, or rejects with its error or with the child's death. */
  readonly done: Promise<R>;
  /** Resolves when the child has exited, with its code or signal. */
  readonly exited: Promise<ChildExit>;
  /** How the child ended, or null while it runs. */
  readonly exit: ChildExit | null;
  /** The next message the body posted; rejects after `timeoutMs` or once the child is gone. */
  next(timeoutMs: number, what?: string): Promise<unknown>;
  /** Sends a message to the body (see {@link ChildIO.next}). */
  send(message: unknown): void;
  /** Sends `signal` (default SIGKILL) to the child; false if it has already exited. */
  kill(signal?: NodeJS.Signals): boolean;
  /** Waits up to `timeoutMs` for the child to exit; rejects if it is still running then. */
  waitExit(timeoutMs: number): Promise<ChildExit>;
  /**
   * Waits up to `timeoutMs` for the child to exit by itself, then kills it with SIGKILL, and
   * resolves once it has exited and its pipes are closed. Idempotent; the scope calls it with 0.
   */
  stop(timeoutMs?: number): Promise<ChildExit>;
  /** What the child wrote to stdout and stderr so far (the first 64 KiB of each). */
  output(): { stdout: string; stderr: string };
}

type Envelope =
  | { kind: 'started'; pid: number }
  | { kind: 'message'; message: unknown }
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; error: string };

const OUTPUT_LIMIT = 64 * 1024;
/** After SIGKILL the kernel reaps at once; this only bounds the wait in case it cannot (D state). */
const KILL_WAIT_MS = 5000;

// The child's side, CommonJS run by `node -e`. esbuild (tsx, vitest) may wrap named functions
// in __name(); define it as identity. The parent's first message starts the body.
function childSource(body: string): string {
  return `
const __name = (f) => f;
const sys = require(${JSON.stringify(addonPath)});
const items = [];
const waiters = [];
const next = (timeoutMs, what = 'a message') => {
  if (items.length > 0) return Promise.resolve(items.shift());
  return new Promise((resolve, reject) => {
    const waiter = { resolve: (m) => { clearTimeout(timer); resolve(m); } };
    const timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(waiter), 1);
      reject(new Error('child: timed out after ' + timeoutMs + ' ms waiting for ' + what));
    }, timeoutMs);
    waiters.push(waiter);
  });
};
const post = (message) => process.send({ kind: 'message', message });
const finish = (envelope, code) => process.send(envelope, () => process.exit(code));
// The parent is gone (or let go): nothing more will come, and nobody would read a result.
process.on('disconnect', () => process.exit(70));
let started = false;
process.on('message', (m) => {
  if (m.kind === 'message') {
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(m.message);
    else items.push(m.message);
    return;
  }
  if (m.kind !== 'start' || started) return;
  started = true;
  process.send({ kind: 'started', pid: process.pid });
  const body = (${body});
  Promise.resolve()
    .then(() => body(sys, m.arg, { post, next, fds: m.fds }))
    .then((result) => finish({ kind: 'result', result }, 0),
          (error) => finish({ kind: 'error', error: String((error && error.stack) || error) }, 1));
});
`;
}

// ---- Process-wide guard: children die with the parent (exit, SIGINT, SIGTERM). ----

const live = new Set<ChildProcess>();
const guardedSignals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  unguard();
  // Nobody else handles this signal: re-raise it so the default action (death) still happens.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function guard(child: ChildProcess): void {
  if (live.size === 0) {
    process.on('exit', killAll);
    for (const s of guardedSignals) process.on(s, onSignal);
  }
  live.add(child);
  const forget = () => {
    live.delete(child);
    if (live.size === 0) unguard();
  };
  child.once('exit', forget);
  // A spawn that failed never exits: forget it at once.
  child.once('error', () => child.pid === undefined && forget());
}

function unguard(): void {
  process.off('exit', killAll);
  for (const s of guardedSignals) process.off(s, onSignal);
}

/**
 * Starts `body(sys, arg, io)` in a new Node.js process (optionally under `options.prefix`) and
 * resolves once the body has started. The child is registered with `scope`, which kills it
 * (SIGKILL) if it is still running when the scope closes — also when this function fails.
 *
 * ```ts
 * const child = await startChild(scope, (sys, arg, io) => { io.post(sys.gettid()); return 1; }, null);
 * const tid = await child.next(2000, 'the tid');
 * ```
 */
export async function startChild<A, R>(
  scope: Scope,
  body: ChildBody<A, R>,
  arg: A,
  options: ChildOptions = {},
): Promise<ChildHandle<R>> {
  const fds = options.fds ?? [];
  const prefix = options.prefix ?? [];
  const argv = [process.execPath, '-e', childSource(body.toString())];
  const [command, ...args] = prefix.length > 0 ? [...prefix, ...argv] : argv;
  const child = spawn(command!, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc', ...fds],
    serialization: 'advanced',
  });
  guard(child);

  const out = { stdout: '', stderr: '' };
  const collect = (key: 'stdout' | 'stderr') => (chunk: Buffer) => {
    if (out[key].length < OUTPUT_LIMIT) out[key] += chunk.toString('utf8').slice(0, OUTPUT_LIMIT - out[key].length);
  };
  child.stdout!.on('data', collect('stdout'));
  child.stderr!.on('data', collect('stderr'));

  const messages = new MessageQueue<unknown>();
  let exit: ChildExit | null = null;
  let settle!: { resolve: (r: R) => void; reject: (e: Error) => void };
  const done = new Promise<R>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // observed through `done` by the caller; never an unhandled rejection
  let startedResolve!: (pid: number) => void;
  const started = new Promise<number>((resolve) => (startedResolve = resolve));

  const describeExit = (e: ChildExit) => (e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`);
  const tail = () => (out.stderr ? `; stderr: ${out.stderr.slice(-2000)}` : '');
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      const error = new Error(`child ${child.pid} ended (${describeExit(exit)})${tail()}`);
      settle.reject(error);
      messages.fail(error);
      resolve(exit);
    });
  });
  // 'close' comes after 'exit' once the stdio pipes and the IPC channel are closed: only then
  // are the parent's ends of them (sockets, for libuv) released.
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // 'error': the spawn failed (no such command), or a message could not be sent. The first one
  // fails a pending start; all are kept from becoming unhandled 'error' events.
  let failStart!: (e: Error) => void;
  const spawnFailed = new Promise<never>((_, reject) => (failStart = reject));
  spawnFailed.catch(() => {});
  child.on('error', (e) => failStart(e));

  child.on('message', (m: Envelope) => {
    if (m.kind === 'started') startedResolve(m.pid);
    else if (m.kind === 'message') messages.push(m.message);
    else if (m.kind === 'result') settle.resolve(m.result as R);
    else settle.reject(new Error(`child failed: ${m.error}`));
  });

  const waitExit = (timeoutMs: number): Promise<ChildExit> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      exited,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`child ${child.pid} still running after ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  };

  let stopping: Promise<ChildExit> | undefined;
  const handle: ChildHandle<R> = {
    get pid() {
      return child.pid ?? -1;
    },
    done,
    exited,
    get exit() {
      return exit;
    },
    next: (timeoutMs, what) => messages.next(timeoutMs, what),
    send(message: unknown) {
      if (!child.connected)
        throw new Error(`child ${child.pid} is not connected (${exit ? describeExit(exit) : 'running'})`);
      child.send({ kind: 'message', message }, (e) => e && child.emit('error', e));
    },
    kill: (signal: NodeJS.Signals = 'SIGKILL') => exit === null && child.kill(signal),
    waitExit,
    stop(timeoutMs = 0) {
      stopping ??= (async () => {
        // A spawn that failed has no process to wait for ('exit' never comes), but its pipes and
        // IPC channel were already created: Node releases them and then emits 'close'.
        if (child.pid === undefined) {
          await Promise.race([closed, new Promise((r) => setTimeout(r, KILL_WAIT_MS).unref())]);
          return exit ?? { code: null, signal: null };
        }
        if (exit === null && timeoutMs > 0) await waitExit(timeoutMs).catch(() => {});
        if (exit === null) child.kill('SIGKILL');
        const result = await waitExit(KILL_WAIT_MS);
        await Promise.race([closed, new Promise((r) => setTimeout(r, KILL_WAIT_MS).unref())]);
        return result;
      })();
      return stopping;
    },
    output: () => ({ ...out }),
  };
  scope.defer(async () => {
    await handle.stop(0);
  });

  const childFds = fds.map((_, i) => 4 + i);
  if (child.pid !== undefined) child.send({ kind: 'start', arg, fds: childFds }, (e) => e && child.emit('error', e));
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const endedEarly = exited.then((e): never => {
    throw new Error(`child ended before it started (${describeExit(e)})${tail()}`);
  });
  endedEarly.catch(() => {}); // only meaningful inside the race below
  await Promise.race([
    started,
    spawnFailed,
    endedEarly,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`child did not start within ${timeoutMs} ms${tail()}`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  return handle;
}
