// E25 network-cut: the cable between two hosts is cut while data flows. Sends keep succeeding,
// everything arrives intact once the cable is back, and TCP_USER_TIMEOUT turns the kernel's
// ~15 minutes into 2 s. Two network namespaces made for the run (root, or an unprivileged user
// namespace). Run: npm run lab -- E25   (or npx tsx examples/25-network-cut.ts)
// npm run lab -- --slow E25 (or SYSSOCK_LAB_SLOW=1) waits for the kernel's own verdict instead.
import { errnoName } from '../lib/constants.js';
import { pollNames } from '../lib/lab/group-b.js';
import { networkCut, type CutSample, type NetworkCutData } from '../lib/lab/network-cut.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { chart, checklist, header, isMain, runExample, notRunHere } from './narrate.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const kb = (x: number) => `${(x / 1e3).toFixed(1).padStart(8)} KB`;

/** The timeline resampled on an even time grid (the chart's x axis is the index). */
function onGrid(timeline: CutSample[], points: number): CutSample[] {
  const end = timeline.at(-1)!.t;
  const out: CutSample[] = [];
  for (let i = 0, j = 0; i < points; i++) {
    const t = (i * end) / (points - 1);
    while (j + 1 < timeline.length && timeline[j + 1]!.t <= t) j++;
    out.push(timeline[j]!);
  }
  return out;
}

/** When the retransmission count went up, in ms after the cut (to the sample that saw it). */
function retransmissionTimes(timeline: CutSample[], cutAt: number): number[] {
  const times: number[] = [];
  for (let i = 1; i < timeline.length; i++)
    if (timeline[i]!.retrans > timeline[i - 1]!.retrans && timeline[i]!.t >= cutAt) times.push(timeline[i]!.t - cutAt);
  return times;
}

/** E25 in plain words. */
export function narrate(result: ExperimentResult<NetworkCutData>): string {
  const d = result.data;
  if (d.unavailable) return notRunHere(result, d.unavailable);
  const out = [header(result)];
  const r = d.restored!;
  const s = d.server!;
  const t = d.timedOut!;
  const f = t.failure!;
  const ok = r.cutSends.filter((x) => x > 0).length;
  out.push(
    'Two hosts, each a network namespace made for this run: the client 10.200.1.1 sends to the',
    `server 10.200.1.2, ${d.chunk} bytes every ${d.tickMs} ms, on a nonblocking socket (SO_SNDBUF ${r.sndbuf} read back);`,
    'the server reads everything and checks every byte.',
    '',
    'The cut (seed 004: "the cable is pulled"): each host gets a permanent neighbour entry to a MAC',
    "nobody owns for the other's address. Every frame still leaves on a link that is up, and the",
    'other side drops it: a cable cut beyond a switch. Nothing answers, no ARP fails, no ICMP comes',
    'back — a silent drop, whose final verdict is ETIMEDOUT.',
    '',
    `Run 1. Before the cut ${r.flowSent} bytes flowed and were acknowledged (Send-Q ${r.sendQAtCut}). Then, cut:`,
    `  ${ok} sends accepted ${r.acceptedInCut} bytes — every one "succeeded", no error, no EPIPE;`,
    `  ${r.afterRetrans.sends} of them after the kernel had begun retransmitting (tcpi_total_retrans ${r.atCutEnd.totalRetrans},`,
    `  backoff ${r.atCutEnd.backoff}); the connection stayed ${r.atCutEnd.state}.`,
    `  Send-Q grew to ${r.sendQAfterCut} bytes: exactly what send accepted, because nothing is acknowledged.`,
  );
  if (r.full)
    out.push(
      `  Then the buffer was full: send said EAGAIN, and poll(POLLOUT) stayed silent for ${Math.round(r.full.elapsedMs)} ms —`,
      '  the nonblocking program sees on its own clock that nothing moves; a blocking send would sleep here.',
    );
  out.push(
    '',
    `Send-Q and the bytes send accepted, run 1 (cut at ${seconds(r.cutAt)}, cable back at ${seconds(r.restoredAt ?? 0)}):`,
  );
  if (r.timeline.length > 1) {
    const grid = onGrid(r.timeline, 60);
    out.push(
      chart({ 'accepted by send': grid.map((p) => p.sent), 'client Send-Q': grid.map((p) => p.sendQ) }, { format: kb }),
    );
  }
  out.push(
    '',
    `The cable came back: Send-Q was 0 again ${Math.round(r.drain?.ms ?? 0)} ms later (the next retransmission found the way),`,
    `and the server had received ${s.received} of ${r.totalSent} bytes, FNV-1a ${s.fnv === r.fnv ? 'equal' : 'DIFFERENT'} (0x${s.fnv.toString(16)}),`,
    `${s.mismatches} bytes out of place, then EOF: TCP delivered everything, intact and in order.`,
    '',
    d.slow
      ? 'Run 2 (slow mode): the same cut, no TCP_USER_TIMEOUT, never repaired: the kernel decides.'
      : `Run 2: the same cut with TCP_USER_TIMEOUT ${t.userTimeoutMs} ms (read back), never repaired.`,
    `  Retransmissions seen ${retransmissionTimes(t.timeline, t.cutAt)
      .map((x) => `${Math.round(x)}`)
      .join(', ')} ms after the cut (each at the next sample): a tail-loss probe`,
    '  first, then the retransmission timeout, doubling each time up to its ceiling (tcp_rto_max_ms).',
    `  poll, a bounded wait of its own, woke with ${pollNames(f.revents).join('|')} ${seconds(f.afterCutMs)} after the cut:`,
    `  the next send gave ${errnoName(f.send1)}, the one after ${errnoName(f.send2)}.`,
  );
  if (d.defaults.modelMs !== null && !d.slow)
    out.push(
      `  Without TCP_USER_TIMEOUT the kernel retransmits tcp_retries2=${d.defaults.retries2} times first: ≈ ${(d.defaults.modelMs / 1000).toFixed(0)} s`,
      '  (~15 minutes, seed 004) of sends that "succeed". npm run lab -- --slow E25 waits for it.',
    );
  out.push('', checklist(result));
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(networkCut, narrate);
