// The text report of a fuzz run: throughput, histogram, codes, failures with their replay command.
import type { FuzzReport } from './harness.js';
import { formatCounts } from './outcome.js';

export function formatReport(report: FuzzReport): string {
  const { histogram: h } = report;
  const seconds = report.elapsedMs / 1000;
  const lines = [
    `${h.calls} calls in ${seconds.toFixed(1)} s: ${Math.round(h.calls / seconds)} calls/s, ${h.rows.size} rows exercised`,
    `${report.poolFds.length} pool fds opened and closed; ${report.retired} pool sockets retired (left on a wildcard address)`,
    'outcomes:',
    ...formatCounts(h.outcomes, h.calls),
    'errno (raw -errno) and SocketError codes, top 25:',
    ...formatCounts(h.codes, h.calls, 25),
  ];
  const unexpected = h.unexpected();
  if (unexpected.length === 0 && report.harness.length === 0) lines.push('no unexpected outcome');
  else lines.push('unexpected outcomes by row:', ...formatCounts(h.failuresByRow, h.calls));
  for (const f of report.failures)
    lines.push(
      `UNEXPECTED ${f.key} in call ${f.index} (${f.row}): ${f.problem}`,
      `  arguments: ${f.args}`,
      `  replay: npm run fuzz -- --seed=${f.seed} --first=${f.index} --calls=1 --verbose`,
    );
  for (const problem of report.harness) lines.push(`HARNESS ${problem}`);
  return lines.join('\n');
}
