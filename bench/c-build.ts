/**
 * Compiles the C programs in bench/c/ with `cc -O2` into bench/out/ (gitignored). Rebuilt on
 * every run: it takes well under a second, and a stale binary would silently measure old code.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const benchDir = fileURLToPath(new URL('.', import.meta.url));

/** Where the binaries go. */
export const outDir = `${benchDir}out`;

/** Paths of the built programs. */
export interface CPrograms {
  /** The C reference sender (bench/c/send_bench.c). */
  sendBench: string;
  /** The shared draining peer (bench/c/drain_peer.c). */
  drainPeer: string;
  /** The async suite's epoll references, echo server and load generator (bench/c/async_bench.c). */
  asyncBench: string;
}

/** Builds the programs; throws with the compiler's output when `cc` fails. */
export function buildC(): CPrograms {
  mkdirSync(outDir, { recursive: true });
  const build = (name: string, extra: string[]): string => {
    const out = `${outDir}/${name}`;
    execFileSync('cc', ['-O2', '-Wall', '-Wextra', '-o', out, `${benchDir}c/${name}.c`, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
    return out;
  };
  return {
    sendBench: build('send_bench', []),
    drainPeer: build('drain_peer', ['-pthread']),
    asyncBench: build('async_bench', []),
  };
}
