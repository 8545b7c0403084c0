/**
 * defineExperiment: the frame every experiment runs in (timing, claims, cleanup, result).
 * @module
 */
import { Claims } from './claims.js';
import { Scope } from './scope.js';
import type { Experiment, ExperimentResult, RunOptions } from './types.js';

/** What the body of an experiment is given. */
export interface ExperimentContext {
  /** Record claims here. */
  claims: Claims;
  /** Register everything that must be torn down. */
  scope: Scope;
  /** Add a note to the result. */
  note(text: string): void;
  /** Set the key number for the findings summary ("4.25 MB accepted, then asleep in sendto"). */
  headline(text: string): void;
  /** Report progress while waiting on something slow (the CLI shows it). */
  progress(message: string): void;
  /**
   * The experiment cannot run here (and returns without checking anything): `reason` becomes
   * the result's `skipped`, a note and the headline ("not run: …").
   */
  skip(reason: string): void;
  signal: AbortSignal;
}

/** Describes an experiment. The body returns its data; claims go through the context. */
export function defineExperiment<D>(
  meta: Pick<Experiment, 'id' | 'slug' | 'title' | 'shows' | 'seeds'>,
  body: (ctx: ExperimentContext) => Promise<D>,
): Experiment<D> {
  return {
    ...meta,
    async run(options: RunOptions = {}): Promise<ExperimentResult<D>> {
      const started = performance.now();
      const claims = new Claims();
      const scope = new Scope();
      const notes: string[] = [];
      let headline = '';
      let skipped: string | null = null;
      const signal = options.signal ?? new AbortController().signal;
      let data: D;
      try {
        signal.throwIfAborted();
        data = await body({
          claims,
          scope,
          note: (text) => notes.push(text),
          headline: (text) => (headline = text),
          progress: (message) => options.progress?.(message),
          skip: (reason) => {
            skipped = reason;
            notes.push(reason);
            headline = `not run: ${reason}`;
          },
          signal,
        });
      } finally {
        await scope.close();
      }
      const list = claims.list;
      return {
        id: meta.id,
        slug: meta.slug,
        title: meta.title,
        ok: skipped === null && list.length > 0 && list.every((c) => c.held),
        skipped,
        claims: list,
        data,
        headline,
        notes,
        durationMs: Math.round(performance.now() - started),
      };
    },
  };
}
