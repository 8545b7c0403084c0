/**
 * A scope owns what an experiment sets up (sockets, workers, children) and tears it down in
 * reverse order, on success, failure and abort alike.
 * @module
 */
import type { Socket } from '../socket.js';

/** Cleanup actions run last-in, first-out; every one runs even when an earlier one throws. */
export class Scope {
  readonly #cleanups: (() => void | Promise<void>)[] = [];

  /** Registers a cleanup action. */
  defer(cleanup: () => void | Promise<void>): void {
    this.#cleanups.push(cleanup);
  }

  /** Registers a socket to be closed, and returns it. */
  socket<T extends Socket>(socket: T): T {
    this.defer(() => socket.close());
    return socket;
  }

  /** Runs every cleanup (LIFO). Throws the first cleanup error after running them all. */
  async close(): Promise<void> {
    let first: unknown;
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}
