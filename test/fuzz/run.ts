// The fuzz CLI for long runs: `npm run fuzz -- --calls=1000000 --seed=7`. Prints calls/s, the
// outcome histogram, the errno/SocketError codes and every unexpected outcome with its seed and
// call index; exits 1 on any. `--first=N --calls=1 --verbose` replays one call, printing its
// arguments before it is made.
import { writeSync } from 'node:fs';
import { runFuzz } from './harness.js';
import { formatReport } from './report.js';
import { rows } from './table.js';
import { startWatchdog } from './watchdog.js';

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  if (arg === undefined) return fallback;
  const value = Number(
    arg
      .slice(name.length + 3)
      .replaceAll('_', '')
      .replaceAll(',', ''),
  );
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer`);
  return value;
}

const seed = option('seed', Math.floor(Math.random() * 2 ** 32));
const calls = option('calls', 1_000_000);
const first = option('first', 0);
const verbose = process.argv.includes('--verbose');
const paranoid = process.argv.includes('--paranoid');

const watchdog = await startWatchdog(
  seed,
  rows.map((r) => r.name),
  10_000,
);
console.log(`syssock fuzz: seed ${seed}, calls ${first}..${first + calls - 1}, ${rows.length} rows`);
const report = await runFuzz({
  seed,
  calls,
  first,
  watchdog,
  paranoid,
  verbose: verbose ? (line) => writeSync(2, `${line}\n`) : undefined,
});
await watchdog.stop();
console.log(formatReport(report));
process.exitCode =
  report.failures.length > 0 || report.harness.length > 0 || report.histogram.unexpected().length > 0 ? 1 : 0;
