// E11 connection-refused: connect to a loopback port nobody listens on, and the evidence — from
// inside the program — that a RST is why. Run: npm run lab -- E11
// (or npx tsx examples/11-connection-refused.ts; as root to see the RST itself)
import { constants } from '../lib/constants.js';
import { synAndReset, connectionRefused, type ConnectionRefusedData } from '../lib/lab/connection-refused.js';
import { pollNames, resultName, soErrorName } from '../lib/lab/group-b.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** E11 in plain words. */
export function narrate(result: ExperimentResult<ConnectionRefusedData>): string {
  const { port, attempts, counters, captureUnavailable } = result.data;
  const [blk, non] = attempts;
  const out = [header(result)];
  out.push(
    `Port ${port.port} on ${port.address} is held by a socket that is bound but never listens, so nobody`,
    'accepts there. (The experiment uses 127.11.0.1 rather than 127.0.0.1 — all of 127/8 is local —',
    "so that the raw socket below sees only this experiment's traffic.)",
    '',
  );
  if (blk)
    out.push(
      `Blocking connect (on a worker thread, from port ${blk.clientPort}): ${blk.connect} (${resultName(blk.connect)}) after ${blk.ms.toFixed(3)} ms.`,
    );
  if (non)
    out.push(
      `Nonblocking connect (from port ${non.clientPort}): ${resultName(non.connect)}` +
        (non.revents !== null
          ? `, poll said ${pollNames(non.revents).join('|')}, SO_ERROR ${non.soError} (${soErrorName(non.soError)}),`
          : ',') +
        ` ${non.ms.toFixed(3)} ms in all.`,
      '',
      'Why "refused"? Seed 004 watched tcpdump: the SYN answered at once by a segment with the R flag.',
      'Here is the same, seen from inside:',
      `  - TCP_INFO of the failed nonblocking socket: state ${non.info.state}, segs_out ${non.info.segsOut}, segs_in ${non.info.segsIn},`,
      `    total_retrans ${non.info.totalRetrans}. It sent its SYN, exactly one segment came back, and that segment closed it.`,
      `  - Timing: the outcome was known after ${non.ms.toFixed(3)} ms. A SYN that gets no answer is resent only after`,
      `    tcpi_rto = ${non.info.rtoMs} ms (E06/E07 show such a SYN sitting in SYN_SENT), so this was an answer, not a timeout.`,
      `  - The kernel's namespace-wide counters: Tcp OutRsts +${counters.outRsts}, AttemptFails +${counters.attemptFails} over the run`,
      `    (at least one each per refused connect; other programs may add to them).`,
    );
  if (blk && blk.info.segsIn === 0 && blk.info.segsOut === 0)
    out.push(
      `  (The blocking socket's TCP_INFO reads segs_in ${blk.info.segsIn}/segs_out ${blk.info.segsOut}: when a connect call fails, the kernel`,
      '   disconnects the socket and resets those counters — so the per-socket evidence comes from the',
      '   nonblocking socket, whose attempt ended outside the call.)',
    );
  out.push('');
  if (captureUnavailable === null) {
    out.push('The segments themselves, read from a raw IPv4 socket (root), in the order the kernel delivered them:');
    for (const a of attempts) {
      const { syn, rst } = synAndReset(a);
      out.push(`  ${a.kind}:`);
      for (const s of a.segments ?? [])
        out.push(
          `    ${s.source}:${s.sourcePort} → ${s.destination}:${s.destinationPort}  ` +
            `${s.flags.join('|').padEnd(8)} seq ${s.seq} ack ${s.ack}`,
        );
      if (syn && rst)
        out.push(
          `    the RST acknowledges ${rst.ack} = the SYN's sequence number ${syn.seq} + 1: it answers exactly that SYN.`,
        );
    }
  } else
    out.push(
      `The reset segment itself is not shown: ${captureUnavailable}.`,
      'Run as root to read it from a raw socket; the TCP_INFO counts and the timing above are what',
      'this run could observe, and they say the same: one segment came back, at once, and ended the attempt.',
    );
  out.push(
    '',
    `So ECONNREFUSED (errno ${constants.ECONNREFUSED}, as seed 003 printed) means: the host is there and answered, and`,
    'no socket listens on that port. Compare an unanswered SYN (E06, E07), which leaves the connect',
    'waiting, and a silent host (E24), which ends in ETIMEDOUT.',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(connectionRefused, narrate);
