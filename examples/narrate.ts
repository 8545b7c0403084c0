// Shared pieces of the example narrators: a header, the claims as a checklist, a terminal chart
// (asciichart), and the "run me directly" entry point.
import asciichart from 'asciichart';
import { exitCodeOf, formatResult } from '../lib/lab/report.js';
import type { Experiment, ExperimentResult } from '../lib/lab/types.js';

/** A narrator turns one result into plain words (and charts). */
export type Narrator<D> = (result: ExperimentResult<D>) => string;

/** "E01 blocking-send — title" and an underline. */
export function header(result: ExperimentResult): string {
  const title = `${result.id} ${result.slug} — ${result.title}`;
  return `${title}\n${'='.repeat(title.length)}`;
}

/** The narration of a two-host experiment that could not build its namespaces here. */
export function notRunHere(result: ExperimentResult, reason: string): string {
  return [
    header(result),
    'This experiment builds two hosts as network namespaces, and could not here:',
    `  ${reason}`,
    'It needs root, or a kernel that lets an unprivileged user create a user namespace',
    '(unshare -r --net --mount). Nothing was run.',
  ].join('\n');
}

/** The claims, ✓/✗, with what was observed (the same text as `syssock-lab run`). */
export function checklist(result: ExperimentResult): string {
  return formatResult(result).split('\n').slice(1).join('\n');
}

/**
 * A line chart of one or more series against their index, squeezed to `width` points (the
 * samples are evenly spaced in time), with a legend. `format` labels the y axis (default: MB).
 */
export function chart(
  series: Record<string, number[]>,
  options: { height?: number; width?: number; format?: (value: number) => string } = {},
): string {
  const width = options.width ?? 60;
  const names = Object.keys(series);
  const colors = [asciichart.blue, asciichart.green, asciichart.magenta, asciichart.yellow];
  const squeezed = names.map((name) => squeeze(series[name]!, width));
  const plot = asciichart.plot(squeezed, {
    height: options.height ?? 10,
    colors: names.map((_, i) => colors[i % colors.length]!),
    format: options.format ?? ((x: number) => `${(x / 1e6).toFixed(2).padStart(8)} MB`),
  });
  const legend = names.map((n, i) => `${colors[i % colors.length]}━━${asciichart.reset} ${n}`).join('   ');
  return `${plot}\n${' '.repeat(12)}${legend}`;
}

function squeeze(values: number[], width: number): number[] {
  if (values.length <= width) return values;
  return Array.from({ length: width }, (_, i) => values[Math.floor((i * (values.length - 1)) / (width - 1))]!);
}

/** Bytes in a readable unit. */
export function bytes(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} MB (${n} bytes)`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} KB (${n} bytes)`;
  return `${n} bytes`;
}

/** True when the module at `url` is the script node was asked to run. */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === new URL(`file://${process.argv[1]}`).href;
}

/**
 * Runs the experiment, prints the narration, sets the exit code: 0 only if every claim held, or
 * if it could not run here (it says why, and failed no claim), as `npm run lab` does.
 */
export async function runExample<D>(experiment: Experiment<D>, narrate: Narrator<D>): Promise<void> {
  const result = await experiment.run({ progress: (m) => process.stderr.write(`  … ${m}\n`) });
  console.log(narrate(result));
  process.exitCode = exitCodeOf([result]);
}
