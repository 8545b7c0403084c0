/**
 * A child process that speaks one JSON object per line on stdout, with every wait bounded.
 * Used for the two C programs (the shared draining peer and the C reference sender).
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';

/** One line-protocol child: `request('cmd')` writes a line and resolves with the next JSON line. */
export class LineChild {
  readonly #proc: ChildProcessWithoutNullStreams;
  readonly #name: string;
  readonly #lines: unknown[] = [];
  readonly #waiters: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
  #stderr = '';
  #exit: Error | null = null;
  readonly #exited: Promise<void>;

  private constructor(file: string, args: string[]) {
    this.#name = file.split('/').pop() ?? file;
    this.#proc = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.#proc.stderr.setEncoding('utf8').on('data', (s: string) => (this.#stderr += s));
    createInterface({ input: this.#proc.stdout }).on('line', (line) => this.#onLine(line));
    this.#exited = new Promise((resolve) => {
      this.#proc.on('error', (e) => this.#fail(new Error(`${this.#name}: ${e.message}`)));
      this.#proc.on('exit', (code, signal) => {
        this.#fail(new Error(`${this.#name} exited (code ${code}, signal ${signal}) ${this.#stderr.trim()}`));
        resolve();
      });
    });
    // A closed pipe after the child died must not crash the bench; the exit above reports it.
    this.#proc.stdin.on('error', () => {});
  }

  /** The child's process id (for reading /proc/<pid>/status). */
  get pid(): number {
    return this.#proc.pid ?? -1;
  }

  /** Starts `file args…` and waits (at most `timeoutMs`) for its first line, which is returned. */
  static async start(file: string, args: string[], timeoutMs: number): Promise<{ child: LineChild; first: unknown }> {
    const child = new LineChild(file, args);
    try {
      return { child, first: await child.next(timeoutMs) };
    } catch (e) {
      await child.stop(1000);
      throw e;
    }
  }

  #onLine(line: string): void {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.#fail(new Error(`${this.#name} printed a line that is not JSON: ${line}`));
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(value);
    else this.#lines.push(value);
  }

  #fail(error: Error): void {
    this.#exit ??= error;
    for (const w of this.#waiters.splice(0)) w.reject(this.#exit);
  }

  /** The next JSON line, or a rejection after `timeoutMs` or when the child exits first. */
  next(timeoutMs: number): Promise<unknown> {
    if (this.#lines.length > 0) return Promise.resolve(this.#lines.shift());
    if (this.#exit) return Promise.reject(this.#exit);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        reject(new Error(`${this.#name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        resolve: (v: unknown) => (clearTimeout(timer), resolve(v)),
        reject: (e: Error) => (clearTimeout(timer), reject(e)),
      };
      this.#waiters.push(waiter);
    });
  }

  /** Writes `command` as one line and returns the JSON line that answers it. */
  request(command: string, timeoutMs: number): Promise<unknown> {
    this.#proc.stdin.write(`${command}\n`);
    return this.next(timeoutMs);
  }

  /**
   * Ends the child: writes `quit` (when given), closes its stdin (both C programs stop on EOF),
   * waits up to `timeoutMs` for it to exit, then SIGKILLs it. Returns the answer to `quit`, if any.
   */
  async stop(timeoutMs: number, quit?: string): Promise<unknown> {
    let answer: unknown;
    if (this.#exit === null && quit !== undefined) answer = await this.request(quit, timeoutMs).catch(() => undefined);
    this.#proc.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)));
    const late = await Promise.race([this.#exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.#proc.kill('SIGKILL');
      await this.#exited;
    }
    return answer;
  }
}
