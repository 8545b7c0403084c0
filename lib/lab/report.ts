/**
 * Plain-text reports of experiment results: the claims with ✓/✗, the findings summary, and a
 * progress line for experiments that wait.
 * @module
 */
import type { Experiment, ExperimentResult, RunOptions } from './types.js';

const mark = (held: boolean) => (held ? '✓' : '✗');

/** The claims of one result, one line each, with what was observed. */
export function formatResult(result: ExperimentResult): string {
  const verdict = result.skipped !== null ? 'NOT RUN' : result.ok ? 'every claim held' : 'A CLAIM FAILED';
  const lines = [`${result.id} ${result.slug}: ${result.title} — ${verdict}`];
  for (const c of result.claims) lines.push(`  ${mark(c.held)} ${c.claim}\n      observed: ${String(c.observed)}`);
  for (const n of result.notes) lines.push(`  note: ${n}`);
  lines.push(`  (${(result.durationMs / 1000).toFixed(1)} s)`);
  return lines.join('\n');
}

/**
 * The findings summary: one line per experiment, ✓/✗ and its key number (– for one that could
 * not run here, with the reason).
 */
export function formatSummary(results: readonly ExperimentResult[]): string {
  const held = results.filter((r) => r.ok).length;
  const skipped = results.filter((r) => r.skipped !== null).length;
  const lines = ['Findings:'];
  for (const r of results)
    lines.push(`  ${r.skipped !== null ? '–' : mark(r.ok)} ${r.id} ${r.slug.padEnd(20)} ${r.headline}`);
  lines.push(
    skipped === 0
      ? `${held} of ${results.length} experiments held every claim.`
      : `${held} of ${results.length - skipped} experiments that ran held every claim; ${skipped} could not run here (–).`,
  );
  return lines.join('\n');
}

/** The exit code of a lab run: 0 when no claim failed (experiments that could not run fail none). */
export function exitCodeOf(results: readonly ExperimentResult[]): number {
  return results.every((r) => r.ok || r.skipped !== null) ? 0 : 1;
}

/** How often an unchanged progress message is repeated. */
const PROGRESS_REPEAT_MS = 30_000;

/**
 * Runs an experiment, writing its latest progress message to `write` once it has been running
 * for a second, then whenever the message changes (checked each second) and every 30 s while it
 * does not, so a long wait is never silent and a long run is not a flood.
 */
export async function runWithProgress(
  experiment: Experiment,
  write: (line: string) => void,
  options: Omit<RunOptions, 'progress'> = {},
): Promise<ExperimentResult> {
  const started = performance.now();
  let message = 'running';
  let shown = '';
  let shownAt = 0;
  // A line once a wait has lasted a second, then whenever the experiment says something new,
  // and every 30 s while it does not: a --slow run (hours of keepalive) must not print a line
  // a second.
  const timer = setInterval(() => {
    const now = performance.now();
    if (message === shown && now - shownAt < PROGRESS_REPEAT_MS) return;
    shown = message;
    shownAt = now;
    write(`  … ${experiment.id} ${message} (${((now - started) / 1000).toFixed(0)} s)`);
  }, 1000);
  try {
    return await experiment.run({ ...options, progress: (m) => (message = m) });
  } finally {
    clearInterval(timer);
  }
}
