/**
 * A message queue: messages arrive from a worker or child; `next()` waits for the next one,
 * bounded by a timeout, so nothing ever waits forever.
 * @module
 */

/** Messages in arrival order, awaited one at a time. */
export class MessageQueue<T> {
  readonly #items: T[] = [];
  readonly #waiters: { resolve: (item: T) => void; reject: (error: Error) => void }[] = [];
  #failure: Error | undefined;

  /** Delivers a message to the oldest waiter, or keeps it. */
  push(item: T): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(item);
    else this.#items.push(item);
  }

  /** Ends the queue: pending and later `next()` calls reject with `error`. */
  fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(error);
  }

  /** The next message; rejects after `timeoutMs` or once the queue has failed. */
  next(timeoutMs: number, what = 'a message'): Promise<T> {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift()!);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<T>((resolve, reject) => {
      const waiter = {
        resolve: (item: T) => {
          clearTimeout(timer);
          resolve(item);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }
}
