// Runs in every test file: fails the file if it ends with an fd it did not begin with — of any
// kind (socket, pipe, eventfd, epoll, regular file …) — or if a Socket of it was closed by the
// garbage collector's finalizer (dropped without close(): a leak that GC happened to clean up).
//
// Why every kind, and why no false positives from the runner: each file runs in its own forked
// process (vitest.config.ts: pool 'forks'), and the snapshot is taken in beforeAll, after vitest
// and Node have made their own fds (IPC channel, stdio, libuv's epoll, eventfd and signal pipes).
// The runtime opens nothing later that it keeps: child processes' pipes close with the child, a
// worker's loop fds with the worker. A full suite run with a diff of every fd of every file found
// no difference at all, so any difference is the test's own leak — a pipe of a child whose 'close'
// was not awaited included. An fd is identified by number and target ("12 → pipe:[4711]"), so a
// number closed and reused for something else counts as new.
import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';

/** Every open fd of this process, as "fd → target" (readlink of /proc/self/fd/N). */
export function openFds(): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      out.push(`${name} → ${readlinkSync(`/proc/self/fd/${name}`)}`);
    } catch {
      // The fd readdir itself used, gone by now.
    }
  }
  return out;
}

/** The fds of this process that are sockets, as "fd → socket:[inode]" strings. */
export function openSockets(): string[] {
  return openFds().filter((s) => s.includes(' → socket:'));
}

/** The warning lib/socket.ts emits (once per thread) when its finalizer closes a dropped Socket. */
export const UNCLOSED_SOCKET_WARNING = 'SYSSOCK_UNCLOSED_SOCKET';

let before: Set<string>;
const finalized: string[] = [];

function onWarning(warning: Error & { code?: string }): void {
  if (warning.code === UNCLOSED_SOCKET_WARNING) finalized.push(warning.message);
}

beforeAll(() => {
  before = new Set(openFds());
  process.on('warning', onWarning);
});

afterAll(() => {
  process.off('warning', onWarning);
  const leaked = openFds().filter((s) => !before.has(s));
  expect(leaked, 'fds left open by this test file').toEqual([]);
  expect(finalized, 'Sockets this test file dropped without close() (closed by the GC finalizer)').toEqual([]);
});
