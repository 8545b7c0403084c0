// Runs a test fixture (test/fixtures/<name>) as a child process, the way a user runs a script:
// `node [nodeArgs] --import tsx <fixture> …args` from the package root, with its output
// collected, and SIGKILLed when it outlives its limit. An abort or a crash in the child cannot
// take the test runner down, and whatever fds it leaves die with it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** How a fixture process ended, what it printed, and how long it took. */
export interface FixtureResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs test/fixtures/`fixture`; see the module comment. */
export function runFixture(
  fixture: string,
  options: { args?: readonly string[]; nodeArgs?: readonly string[]; limitMs: number },
): Promise<FixtureResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const file = fileURLToPath(new URL(`../fixtures/${fixture}`, import.meta.url));
    const child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), '--import', 'tsx', file, ...(options.args ?? [])],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.limitMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}
