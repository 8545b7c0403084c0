/**
 * Garbage-collection evidence without --expose-gc: a PerformanceObserver counts 'gc' entries
 * whose start falls inside a timed window, and a heap-usage delta over a short GC-free window
 * gives the bytes a call allocates.
 * @module
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import v8 from 'node:v8';

/** Counts the GCs of this isolate (workers have their own heaps and are not counted). */
export class GcCounter {
  readonly #starts: number[] = [];
  readonly #observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.#starts.push(entry.startTime);
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  /** A timestamp on the clock the gc entries use (performance.now(), ms). */
  now(): number {
    return performance.now();
  }

  /**
   * GCs that started in [from, to]. Node queues 'gc' entries from a GC callback through
   * setImmediate and delivers them to the observer a tick later, so after a synchronous loop
   * they arrive only once the event loop turns: this waits two turns first.
   */
  async countBetween(from: number, to: number): Promise<number> {
    await tick();
    await tick();
    return this.#starts.filter((t) => t >= from && t <= to).length;
  }

  /** Stops observing. */
  stop(): void {
    this.#observer.disconnect();
  }
}

/**
 * Bytes allocated per call of `fn(calls)`, from used_heap_size before and after, in a window where
 * no GC ran (a GC would make the delta meaningless); the cost of reading the statistics is
 * measured with an empty window and subtracted. Tries up to 5 times → bytes per call, or NaN
 * if every try saw a GC.
 */
export async function bytesPerCall(gc: GcCounter, fn: (calls: number) => void, calls: number): Promise<number> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const e0 = gc.now();
    const b0 = v8.getHeapStatistics().used_heap_size;
    const b1 = v8.getHeapStatistics().used_heap_size;
    fn(calls);
    const b2 = v8.getHeapStatistics().used_heap_size;
    const e1 = gc.now();
    if ((await gc.countBetween(e0, e1)) === 0) return Math.max(0, b2 - b1 - (b1 - b0)) / calls;
  }
  return Number.NaN;
}
