// Every experiment with its narrator, in id order: what `npm run lab` runs.
import { blockingSend } from '../lib/lab/blocking-send.js';
import type { Experiment } from '../lib/lab/types.js';
import { narrate as narrateE01 } from './01-blocking-send.js';
import type { Narrator } from './narrate.js';

/** An experiment and the example that narrates it. */
export interface NarratedExperiment<D = unknown> {
  experiment: Experiment<D>;
  narrate: Narrator<D>;
}

function entry<D>(experiment: Experiment<D>, narrate: Narrator<D>): NarratedExperiment {
  return { experiment, narrate } as unknown as NarratedExperiment;
}

/** The single-host catalog. */
export const catalog: readonly NarratedExperiment[] = [entry(blockingSend, narrateE01)];
