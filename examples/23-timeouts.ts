// E23 timeouts: SO_SNDTIMEO and SO_RCVTIMEO on a blocking socket, and what they do not tell
// (seed 004). Run: npm run lab -- E23   (or npx tsx examples/23-timeouts.ts)
import { timeouts, type TimeoutsData } from '../lib/lab/timeouts.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { bytes, checklist, header, isMain, runExample } from './narrate.js';

/** E23 in plain words. */
export function narrate(result: ExperimentResult<TimeoutsData>): string {
  const d = result.data;
  const out = [header(result)];
  out.push(
    'The server accepts and does not read. The client, an ordinary blocking socket with small',
    `buffers (SO_SNDBUF reads back ${d.sndbuf}, the server's SO_RCVBUF ${d.rcvbuf}), sets SO_SNDTIMEO and`,
    `SO_RCVTIMEO to ${d.sndtimeo.setMs} ms and, on a worker thread, sends ${d.chunk}-byte chunks until one fails, then`,
    'calls recv once. Right after each send returns, the thread reads its Send-Q (SIOCOUTQ: bytes',
    'the peer has not acknowledged) and the not-yet-transmitted part of it (SIOCOUTQNSD).',
    '',
    `Both timeouts read back as ${d.sndtimeo.readBackMs} / ${d.rcvtimeo.readBackMs} ms: the kernel keeps them in whole clock ticks, so`,
    'the value can come back rounded up.',
    '',
    'The sends:',
  );
  for (const [i, s] of d.sends.entries())
    out.push(
      `  #${i + 1}: returned ${s.returned < 0 ? `${s.returned} (${s.code})` : s.returned} after ${s.elapsedMs.toFixed(1)} ms; ` +
        `Send-Q right after ${s.sendQAfter}` +
        (s.notSentAfter >= 0 ? `, not yet transmitted ${s.notSentAfter}` : ''),
    );
  if (d.sendWhere) {
    const w = d.sendWhere;
    out.push(`During the first send /proc showed the thread in state ${w.state} inside ${w.syscall?.name}.`);
    if (w.stack)
      out.push(
        `Kernel stack: ${w.stack.slice(0, 3).join(' ← ')} — the same sleep as E01,`,
        'only with an alarm clock.',
      );
  }
  const success = d.sends.filter((s) => s.returned > 0).at(-1);
  const first = d.sends[0]!;
  const firstWaited = first.returned > 0 && first.elapsedMs >= d.sndtimeo.setMs - d.earlyMs;
  out.push(
    '',
    firstWaited
      ? `A short count comes first: the kernel took what fit (${first.returned} bytes), waited for room until\n` +
          'the timeout ran out, and then returned the partial count as a success. Only a call that'
      : `A short count comes first: the first send returned ${first.returned} after ${first.elapsedMs.toFixed(1)} ms. Only a call that`,
    'could take nothing at all reported -EAGAIN — after waiting the whole timeout',
    `(${d.sends.at(-1)!.elapsedMs.toFixed(1)} ms; the claim allows ${d.earlyMs} ms early and ${d.lateMs} ms late).`,
    '',
  );
  if (success)
    out.push(
      "Seed 004's point — a send timeout is not an acknowledgement timeout: when send returned",
      `${success.returned} (success), Send-Q still held ${success.sendQAfter} bytes the peer had not acknowledged` +
        (success.notSentAfter >= 0 ? ` (${success.notSentAfter}` : ''),
      (success.notSentAfter >= 0 ? 'of them not even transmitted), ' : '') +
        'and the server had read none. "send succeeded" only ever means',
      '"the kernel took the bytes".',
      '',
    );
  out.push(
    `recv with nothing to read returned ${d.recv.returned} (${d.recv.code}) after ${d.recv.elapsedMs.toFixed(1)} ms. Right after, the`,
    `connection was still ${d.afterRecv.state} with SO_ERROR ${d.afterRecv.soError}, and Send-Q was ${d.recv.sendQBefore} before and`,
    `${d.recv.sendQAfter} after: the recv timeout says only that nothing arrived in time, nothing about the`,
    'peer or our data.',
    '',
    `Then the server read: ${bytes(d.drained)} arrived, all that the sends had accepted, and Send-Q`,
    `went to ${d.end.sendQ}. A timeout aborts nothing; the bytes already accepted are delivered anyway.`,
    '',
    'What the seed said, checked: SO_SNDTIMEO "only deals with delayed sending and cannot guarantee',
    'an ACK within the timeout" — confirmed. Seed 004 expected ENOBUFS once the buffers fill; on Linux',
    'a full send buffer gives EAGAIN (after SO_SNDTIMEO, or at once with O_NONBLOCK, E02). Detecting',
    'a peer that stopped acknowledging takes TCP_USER_TIMEOUT or keepalive (E25, E26).',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(timeouts, narrate);
