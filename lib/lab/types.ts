/**
 * The shapes every experiment shares: what it claims, what it observed, the data behind it.
 * @module
 */

/** One claim of an experiment's "must show", with what was actually observed. */
export interface Claim {
  /** The claim in plain words: "send blocks once both buffers are full". */
  claim: string;
  /** Whether the observation bore it out. */
  held: boolean;
  /** What was observed (an errno code, a count, a relation written out). */
  observed: string | number | boolean | null;
}

/** What one run of an experiment returns. */
export interface ExperimentResult<D = unknown> {
  /** `'E01'` … */
  id: string;
  /** `'blocking-send'` … */
  slug: string;
  title: string;
  /** Every claim held (false when it did not run: see `skipped`). */
  ok: boolean;
  /**
   * Why the experiment did not run here ("needs network namespaces: …"), checking nothing; null
   * when it ran. A skipped experiment fails no claim: the CLI's exit code ignores it.
   */
  skipped: string | null;
  claims: Claim[];
  /** The numbers behind the claims (counts, codes, timelines), specific to each experiment. */
  data: D;
  /** The key number in a few words, for the one-line findings summary. */
  headline: string;
  /** Things worth saying that are not claims (what was unavailable and why). */
  notes: string[];
  durationMs: number;
}

/** Options every experiment accepts. */
export interface RunOptions {
  /** Called with a short message while the experiment waits on something slow. */
  progress?: (message: string) => void;
  /** Aborts the run; everything it set up is still cleaned up. */
  signal?: AbortSignal;
}

/** An experiment of the catalog (shared/EXPERIMENTS.md). */
export interface Experiment<D = unknown> {
  id: string;
  slug: string;
  title: string;
  /** What it must show, one line. */
  shows: string;
  /** Which seed documents it re-creates. */
  seeds: string;
  run(options?: RunOptions): Promise<ExperimentResult<D>>;
}
