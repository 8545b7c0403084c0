// The poller and threads: the library used inside worker_threads (each on its own event loop,
// with its own registry of handles), a process whose only pending wait is unref'd exits, and the
// addon in several workers that exit with poll handles still open — without an abort. The last
// two run in child processes (`node --import tsx`), so an abort cannot take the test runner down
// and the fds they leave die with them.
import { describe, expect, it } from 'vitest';
import { pollHandleCount } from '../lib/index.js';
import type { EchoResult } from './fixtures/async-echo.js';
import { exitCode, nextMessage, tsWorker } from './fixtures/async-worker-loader.js';
import { runFixture } from './helpers/fixture.js';

const CHILD_LIMIT_MS = 30_000;

/** Runs a fixture (see helpers/fixture.ts), killed after the limit. */
const runChild = (fixture: string, args: string[] = []) => runFixture(fixture, { args, limitMs: CHILD_LIMIT_MS });

describe('inside worker_threads', () => {
  it('two workers each run an echo round on their own loop, and free every handle they made', async () => {
    const options = { connections: 100, size: 16 * 1024, timeout: 10_000, wave: 25 };
    const workers = [0, 1].map(() => tsWorker(new URL('./fixtures/async-worker-echo.ts', import.meta.url), options));
    const exits = workers.map((w) => exitCode(w, 30_000)); // listening from the start: exit may come early
    for (const e of exits) e.catch(() => {}); // observed below; never an unhandled rejection
    const before = pollHandleCount();
    try {
      const results = await Promise.all(
        workers.map((w) =>
          nextMessage<EchoResult & { threadId: number; handlesLeft: number }>(w, 20_000, 'echo result'),
        ),
      );
      for (const r of results) {
        expect(r.mismatches).toBe(0);
        expect(r.bytes).toBe(options.connections * options.size);
        expect(r.peakOpen).toBe(options.connections);
        expect(r.handlesLeft).toBe(0);
      }
      expect(new Set(results.map((r) => r.threadId)).size).toBe(2);
      // The main thread's registry is its own: the workers' handles never appeared in it.
      expect(pollHandleCount()).toBe(before);
      // Nothing keeps a worker's loop alive once its sockets are closed: they end by themselves.
      expect(await Promise.all(exits)).toEqual([0, 0]);
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
  }, 40_000);
});

describe('ref / unref and process exit', () => {
  it(
    "a process whose only pending wait is unref'd exits at once with code 0",
    async () => {
      const r = await runChild('async-unref.ts', ['unref']);
      expect(r.stderr).toBe('');
      expect([r.code, r.signal]).toEqual([0, null]);
      expect(r.stdout).toBe('waiting (unref, hasRef false)\n');
      // The wait's own timeout was a minute: the process did not wait for it.
      expect(r.ms).toBeLessThan(CHILD_LIMIT_MS);
      console.log(`unref'd child exited with code 0 after ${r.ms.toFixed(0)} ms (its wait's timeout: 60000 ms)`);
    },
    CHILD_LIMIT_MS + 5000,
  );

  it(
    "control: a ref'd pending wait keeps the process alive until the wait ends (its timer alone would not)",
    async () => {
      const r = await runChild('async-unref.ts', ['ref']);
      expect(r.stderr).toBe('');
      expect([r.code, r.signal]).toEqual([0, null]);
      expect(r.stdout).toBe('waiting (ref, hasRef true)\nrejected ETIMEDOUT\n');
    },
    CHILD_LIMIT_MS + 5000,
  );
});

describe('workers exiting with poll handles open', () => {
  it(
    'six workers leave by process.exit, terminate() and an uncaught exception: no abort, no crash',
    async () => {
      const r = await runChild('async-workers-exit.ts');
      expect(r.signal, `child killed by ${r.signal}; stderr:\n${r.stderr}`).toBeNull();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/uv_loop_close|Assertion|FATAL|Segmentation/);
      const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      expect(line, r.stdout).toBeDefined();
      const { workers } = JSON.parse(line!.slice('RESULT '.length)) as {
        workers: { mode: string; handles: number; code: number }[];
      };
      expect(workers.map((w) => [w.mode, w.code])).toEqual([
        ['exit', 0],
        ['terminate', 1],
        ['throw', 1],
        ['exit', 0],
        ['terminate', 1],
        ['throw', 1],
      ]);
      // Each worker held 2 handles per socket pair (one wait on each end) when it went away.
      for (const w of workers) expect(w.handles).toBe(50);
    },
    CHILD_LIMIT_MS + 5000,
  );
});
