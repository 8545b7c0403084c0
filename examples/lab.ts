// `npm run lab`: runs the experiments with their narrators and ends with a findings summary.
//   npm run lab                 every experiment of the catalog (E01–E28)
//   npm run lab -- E01 E07      those (ids or slugs)
//   npm run lab -- --slow E25   kernel-default timings for E24–E27 (minutes to hours; never in npm test)
//   npm run lab -- --json       the CLI's JSON output (syssock-lab run --all --json)
// The exit code is 0 only if every claim held (an experiment that cannot run here fails none; the
// summary marks it – with the reason).
import { main as cli } from '../lib/lab/cli.js';
import { exitCodeOf, formatSummary, runWithProgress } from '../lib/lab/report.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { catalogFor } from './catalog.js';

const args = process.argv.slice(2);
const slow = args.includes('--slow');
const keys = args.filter((a) => a !== '--json' && a !== '--slow');
if (args.includes('--json')) {
  process.exitCode = await cli(['run', ...(keys.length > 0 ? keys : ['--all']), '--json', ...(slow ? ['--slow'] : [])]);
} else {
  const catalog = catalogFor({ slow });
  const selected = keys.length === 0 ? catalog : keys.map((key) => find(key));
  const results: ExperimentResult[] = [];
  for (const { experiment, narrate } of selected) {
    const result = await runWithProgress(experiment, (line) => console.error(line));
    results.push(result);
    console.log(`${narrate(result)}\n`);
  }
  console.log(formatSummary(results));
  process.exitCode = exitCodeOf(results);

  function find(key: string) {
    const k = key.toLowerCase();
    const found = catalog.find((e) => e.experiment.id.toLowerCase() === k || e.experiment.slug === k);
    if (!found) {
      console.error(`no experiment ${key}; ids: ${catalog.map((e) => e.experiment.id).join(' ')}`);
      process.exit(2);
    }
    return found;
  }
}
