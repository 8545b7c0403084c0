// Small pieces the async tests share: a loop turn, a bounded wait for a condition across loop
// turns, and the rejection of a promise that must reject.

/** One turn of the event loop (resolves in its check phase). */
export const loopTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs loop turns, at most `max`, until `done()`; resolves with `done()` at the end. Bounded:
 * closing handles are freed and readiness is delivered in later loop phases, never by a timer.
 */
export async function turnsUntil(done: () => boolean, max = 50): Promise<boolean> {
  for (let i = 0; i < max && !done(); i++) await loopTurn();
  return done();
}

/** The reason `promise` rejects with; throws when it resolves instead. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection, but the promise resolved');
}
