/**
 * Timelines and settling: sampling values over time, and waiting until they stop changing.
 * @module
 */

/** One sample: the time since the sampler started (ms) and the values read. */
export type Sample<S> = S & { t: number };

/**
 * Reads `read()` every `intervalMs` until stopped or `maxSamples` is reached (a timeline for a
 * chart: bytes accepted, Send-Q, Recv-Q, the peer's window …). Measurement only: nothing waits
 * on it.
 */
export class Sampler<S extends object> {
  readonly #samples: Sample<S>[] = [];
  readonly #start = performance.now();
  readonly #timer: NodeJS.Timeout;

  constructor(
    read: () => S,
    intervalMs: number,
    readonly maxSamples = 10_000,
  ) {
    const take = () => {
      if (this.#samples.length >= this.maxSamples) return clearInterval(this.#timer);
      this.#samples.push({ ...read(), t: Math.round(performance.now() - this.#start) });
    };
    take();
    this.#timer = setInterval(take, intervalMs);
  }

  /** Stops sampling and returns the timeline. */
  stop(): Sample<S>[] {
    clearInterval(this.#timer);
    return this.#samples;
  }
}

/**
 * Reads `read()` until two readings `gapMs` apart are equal, and returns that reading: the
 * queues of a TCP connection after everything in flight has been delivered and acknowledged.
 * At most `tries` rounds; rejects if the value never settles.
 */
export async function settled<S>(read: () => S, gapMs = 20, tries = 100): Promise<S> {
  let previous = JSON.stringify(read());
  for (let i = 0; i < tries; i++) {
    await new Promise((r) => setTimeout(r, gapMs));
    const value = read();
    const text = JSON.stringify(value);
    if (text === previous) return value;
    previous = text;
  }
  throw new Error(`value did not settle after ${tries} readings ${gapMs} ms apart: ${previous}`);
}

/**
 * Checks `condition` every 10 ms until it holds, at most `timeoutMs`: waiting on an observed
 * condition (a queue length, a TCP_INFO field, a thread state), never for a guessed time.
 */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = performance.now() + timeoutMs; !condition();) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Settles like `promise`, or rejects after `timeoutMs` naming `what`: no wait is unbounded. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
