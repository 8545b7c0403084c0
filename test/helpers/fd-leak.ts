// Runs in every test file: fails the file if it ends with more socket fds than it began with.
// Only sockets are counted (readlink gives "socket:[inode]"), so the test runner's own files
// and pipes do not disturb the count.
import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, expect } from 'vitest';

/** The fds of this process that are sockets, as "fd → socket:[inode]" strings. */
export function openSockets(): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(`/proc/self/fd/${name}`);
      if (target.startsWith('socket:')) out.push(`${name} → ${target}`);
    } catch {
      // The fd readdir itself used, gone by now.
    }
  }
  return out;
}

let before: Set<string>;

beforeAll(() => {
  before = new Set(openSockets());
});

afterAll(() => {
  const leaked = openSockets().filter((s) => !before.has(s));
  expect(leaked, 'socket fds left open by this test file').toEqual([]);
});
