// E24 unreachable: connect to a network with no route, an absent host, a host that drops SYNs,
// and a closed port on a live host — in two network namespaces made for the run (root, or an
// unprivileged user namespace). Run: npm run lab -- E24   (or npx tsx examples/24-unreachable.ts)
// npm run lab -- --slow E24 (or SYSSOCK_LAB_SLOW=1) uses the kernel's default timings (the silent host then takes ~2 minutes).
import { describeBounded, unreachable, type UnreachableData } from '../lib/lab/unreachable.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample, notRunHere } from './narrate.js';

/** A small fixed-width table. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => '  ' + r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}

const seconds = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** E24 in plain words. */
export function narrate(result: ExperimentResult<UnreachableData>): string {
  const d = result.data;
  if (d.unavailable) return notRunHere(result, d.unavailable);
  const out = [header(result)];
  const by = (name: string) => d.targets.find((x) => x.name === name)!;
  const [noRoute, absent, silent, closed] = [by('noRoute'), by('absentHost'), by('silentHost'), by('closedPort')];
  out.push(
    'Two hosts, each a network namespace made for this run and gone with it: the client',
    '10.200.1.1 and the server 10.200.1.2 on one virtual cable (veth). The client has no default route.',
    d.slow
      ? 'Kernel-default timings (slow mode).'
      : `Tuned in the client's namespace only: tcp_syn_retries=${d.tuning.synRetries}, ARP gives up after ` +
          `${d.tuning.mcastSolicit} probe × ${d.tuning.retransTimeMs} ms (defaults: 6 retries ≈ 127 s, 3 probes × 1 s).`,
    '',
    'A plain blocking connect to four places (seed 003 §01: what does a failed connect look like?):',
    '',
    table([
      ['target', 'why it fails', 'connect', 'after'],
      ...d.targets.map((x) => [`${x.address}:${x.port}`, x.why, x.blocking.code, seconds(x.blocking.elapsedMs)]),
    ]),
    '',
    'Each failure has its own errno and its own delay, and that is how a program tells them apart:',
    `- no route: the kernel knows at once (${noRoute.blocking.code}, inside the call) — nothing was sent;`,
    '- an absent host on the subnet: the SYN waits for ARP, and when ARP gives up the kernel fails',
    `  the connect with ${absent.blocking.code} (${seconds(absent.blocking.elapsedMs)} here);`,
    '- a host that swallows SYNs: the kernel retransmits the SYN, backing off, and gives up with',
    `  ${silent.blocking.code} after ${seconds(silent.blocking.elapsedMs)} — with the default 6 retries that is over two minutes`,
    '  (seed 004: a blocking program hangs that long, and its user thinks it froze);',
    `- a live host with the port closed: it answers RST, ${closed.blocking.code} at once.`,
    '',
    `The bounded way (seed 004): a nonblocking connect, then poll(POLLOUT) for at most ${d.budgetMs} ms:`,
    '',
    table([
      ['target', 'what happened'],
      ...d.targets.map((x) => [`${x.bounded.address}:${x.port}`, describeBounded(x.bounded)]),
    ]),
    '',
    'The quick failures show within the budget. On a veth the kernel may fail the connect inside',
    'the call, or report EINPROGRESS and then POLLOUT|POLLERR with the error in SO_ERROR; both are',
    'correct, so a program checks both. The slow ones end the budget with the socket still SYN_SENT:',
    'the program, not the kernel, decided how long to wait, closed the socket and moved on.',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(unreachable, narrate);
