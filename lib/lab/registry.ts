/**
 * The catalog: every experiment, in id order (shared/EXPERIMENTS.md).
 * @module
 */
import { blockingSend } from './blocking-send.js';
import type { Experiment } from './types.js';

/** Every experiment, in id order. */
export const experiments: readonly Experiment[] = [blockingSend];

/** The experiment with this id (`'E01'`, case-insensitive) or slug (`'blocking-send'`). */
export function findExperiment(key: string): Experiment | undefined {
  const k = key.toLowerCase();
  return experiments.find((e) => e.id.toLowerCase() === k || e.slug === k);
}
