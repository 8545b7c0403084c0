#!/usr/bin/env node
/**
 * syssock-lab: list and run the experiments.
 *
 *   syssock-lab list
 *   syssock-lab run <id|slug …>      e.g. run E01 E07, run blocking-send
 *   syssock-lab run --all [--json] [--slow]
 *
 * The exit code is 0 only if every claim of every experiment run held; one that could not run here
 * (no network namespaces) fails no claim and says why (`skipped`). With --json, stdout is
 * one JSON array (one object per experiment: id, title, ok, skipped, claims, data …) and progress goes to
 * stderr. With --slow, the two-host experiments that tune kernel timers short (E24–E27) run with
 * the kernel's default timings instead: minutes to hours (see registry.ts `slowVariants`).
 * @module
 */
import { parseArgs } from 'node:util';
import { experiments, experimentsFor, findExperiment, slowVariants } from './registry.js';
import { exitCodeOf, formatResult, formatSummary, runWithProgress } from './report.js';
import type { Experiment, ExperimentResult } from './types.js';

const usage = `usage: syssock-lab list
       syssock-lab run <id|slug …> [--json] [--slow]
       syssock-lab run --all [--json] [--slow]
  --slow   kernel-default timings for ${slowVariants.map((e) => e.id).join(', ')} (minutes to hours)`;

/** Runs the CLI with `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      slow: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...keys] = positionals;
  if (values.help || command === undefined) {
    console.log(usage);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'list') {
    const slowIds = new Set(slowVariants.map((e) => e.id));
    for (const e of experiments) {
      console.log(`${e.id}  ${e.slug.padEnd(20)} ${e.title}\n     shows: ${e.shows}`);
      if (slowIds.has(e.id)) console.log('     --slow: kernel-default timings, long waits');
    }
    return 0;
  }
  if (command !== 'run') {
    console.error(`unknown command ${command}\n${usage}`);
    return 2;
  }
  const selected: Experiment[] = [];
  const select = { slow: values.slow === true };
  if (values.all) selected.push(...experimentsFor(select));
  for (const key of keys) {
    const found = findExperiment(key, select);
    if (!found) {
      console.error(`no experiment ${key}; see syssock-lab list`);
      return 2;
    }
    selected.push(found);
  }
  if (selected.length === 0) {
    console.error(usage);
    return 2;
  }
  const results: ExperimentResult[] = [];
  for (const experiment of selected) {
    const result = await runWithProgress(experiment, (line) => console.error(line));
    results.push(result);
    if (!values.json) console.log(`${formatResult(result)}\n`);
  }
  if (values.json) console.log(JSON.stringify(results, null, 2));
  else console.log(formatSummary(results));
  return exitCodeOf(results);
}

// Run when executed directly (node dist/lab/cli.js, tsx lib/lab/cli.ts), not when imported.
if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
