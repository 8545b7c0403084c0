/**
 * Plain-text reports of experiment results: the claims with ✓/✗, the findings summary, and a
 * progress line for experiments that wait.
 * @module
 */
import type { Experiment, ExperimentResult, RunOptions } from './types.js';

const mark = (held: boolean) => (held ? '✓' : '✗');

/** The claims of one result, one line each, with what was observed. */
export function formatResult(result: ExperimentResult): string {
  const lines = [`${result.id} ${result.slug}: ${result.title} — ${result.ok ? 'every claim held' : 'A CLAIM FAILED'}`];
  for (const c of result.claims) lines.push(`  ${mark(c.held)} ${c.claim}\n      observed: ${String(c.observed)}`);
  for (const n of result.notes) lines.push(`  note: ${n}`);
  lines.push(`  (${(result.durationMs / 1000).toFixed(1)} s)`);
  return lines.join('\n');
}

/** The findings summary: one line per experiment, ✓/✗ and its key number. */
export function formatSummary(results: readonly ExperimentResult[]): string {
  const held = results.filter((r) => r.ok).length;
  const lines = ['Findings:'];
  for (const r of results) lines.push(`  ${mark(r.ok)} ${r.id} ${r.slug.padEnd(20)} ${r.headline}`);
  lines.push(`${held} of ${results.length} experiments held every claim.`);
  return lines.join('\n');
}

/**
 * Runs an experiment, writing its latest progress message to `write` once it has been running
 * for more than a second (and every few seconds after), so a long wait is never silent.
 */
export async function runWithProgress(
  experiment: Experiment,
  write: (line: string) => void,
  options: Omit<RunOptions, 'progress'> = {},
): Promise<ExperimentResult> {
  const started = performance.now();
  let message = 'running';
  const timer = setInterval(() => {
    write(`  … ${experiment.id} ${message} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
  }, 1000);
  try {
    return await experiment.run({ ...options, progress: (m) => (message = m) });
  } finally {
    clearInterval(timer);
  }
}
