/**
 * The benchmarks' teardown: children, peers and sockets to stop, whatever ended the run.
 * @module
 */

/** Cleanup actions, run last-in first-out; each runs even when an earlier one fails. */
export class Cleanup {
  readonly #actions: (() => unknown)[] = [];
  add(action: () => unknown): void {
    this.#actions.push(action);
  }
  async run(): Promise<void> {
    for (const action of this.#actions.splice(0).reverse()) {
      try {
        await action();
      } catch (e) {
        console.error(`cleanup: ${(e as Error).message}`);
      }
    }
  }
}
