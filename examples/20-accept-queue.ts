// E20 accept-queue: connect succeeds before the server calls accept; a full accept queue drops
// SYNs until accept makes room. Run: npm run lab -- E20   (or npx tsx examples/20-accept-queue.ts)
import asciichart from 'asciichart';
import { acceptQueue, type AcceptQueueData } from '../lib/lab/accept-queue.js';
import { resultName } from '../lib/lab/group-b.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/**
 * The accept queue length against time, as a step function of the recorded events (each event
 * carries the queue length just after it). The time axis is logarithmic: the fill and the accept
 * take milliseconds, the wait for the retransmitted SYN a whole second, and both should show.
 */
function queueChart(data: AcceptQueueData, width = 60): string {
  const first = data.events[0];
  const last = data.events.at(-1);
  if (!first || !last || last.t <= 0) return '(no events)';
  const lo = Math.max(first.t / 2, 0.01);
  const hi = last.t * 1.1;
  const time = (i: number) => lo * (hi / lo) ** (i / (width - 1));
  const at = (t: number) => data.events.filter((e) => e.t <= t).at(-1)?.queue ?? 0;
  const values = Array.from({ length: width }, (_, i) => at(time(i)));
  const plot = asciichart.plot(values, {
    height: data.backlog + 1,
    min: 0,
    max: data.backlog + 1,
    colors: [asciichart.blue],
    format: (x: number) => `${x.toFixed(0).padStart(3)} queued`,
  });
  const ticks = [0, Math.round((width - 1) / 3), Math.round((2 * (width - 1)) / 3), width - 1];
  let axis = ' '.repeat(width + 12);
  for (const i of ticks) {
    const label = `${time(i) < 10 ? time(i).toFixed(1) : time(i).toFixed(0)} ms`;
    const col = Math.min(12 + i, axis.length - label.length);
    axis = axis.slice(0, col) + label + axis.slice(col + label.length);
  }
  return `${plot}\n${axis.trimEnd()}\n${' '.repeat(12)}${asciichart.blue}━━${asciichart.reset} accept queue length (time axis logarithmic)`;
}

/** E20 in plain words. */
export function narrate(result: ExperimentResult<AcceptQueueData>): string {
  const d = result.data;
  const out = [header(result)];
  out.push(
    `A listener on 127.0.0.1:${d.address.port} with listen(backlog ${d.backlog}) that does not call accept (yet).`,
    '',
    `A blocking connect, on a worker thread, returned ${resultName(d.first.connect)} after ${d.first.ms.toFixed(3)} ms: the client is ${d.first.state}.`,
    'Seed 004 said it: the three-way handshake is done by the kernel as soon as the socket listens;',
    "accept only takes a finished connection off a queue. The listener's TCP_INFO (the kernel reuses two",
    `fields for listeners) showed ${d.queueAfterFirst.length} connection queued, limit ${d.queueAfterFirst.max}, and the listener polled`,
    `${d.listenerReadable ? 'readable (POLLIN): accept would not block' : 'not readable'}.`,
    '',
    `More clients, nonblocking: ${d.attempts.map((a) => a.state).join(', then ')}. The queue holds ${d.queueFull.length} = backlog + 1`,
    '(the kernel calls it full only when the count exceeds the backlog), and the next SYN was dropped,',
    `not refused: that client stayed in ${d.dropped.state} (connect said ${d.dropped.connect === null ? '-' : resultName(d.dropped.connect)}, and again: ${d.dropped.secondConnect === null ? '-' : resultName(d.dropped.secondConnect)}).`,
    `The kernel counted it: TcpExt ListenOverflows +${d.overflows}, ListenDrops +${d.drops}.`,
    '',
    `Then accept returned the oldest connection, from port ${d.accepted.port} (the blocking client's), leaving`,
    `${d.accepted.queueAfter} queued. The dropped client did not notice at once — nobody tells it — but its SYN is`,
    `resent after the retransmission timeout (${d.dropped.rtoMs} ms), and that one found room: it connected`,
    `${d.late.afterMs} ms after its first SYN (total_retrans ${d.late.totalRetrans}, SO_ERROR ${d.late.soError}). A full accept queue costs`,
    'clients whole seconds, not an error — which is why servers keep accepting promptly and pass a',
    'generous backlog (the kernel caps it at net.core.somaxconn).',
    '',
    'What happened, in order (ms after the blocking connect returned):',
  );
  for (const e of d.events) out.push(`  ${e.t.toFixed(1).padStart(8)}  ${e.what}  [queue ${e.queue}]`);
  out.push(
    '',
    'The same as a chart: the queue is full almost at once, one slot stays free for a whole RTO after',
    'accept, and only the retransmitted SYN fills it again.',
    queueChart(d),
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(acceptQueue, narrate);
