// E02 nonblocking-send: a server that never reads, a client that sets O_NONBLOCK after connect
// and keeps sending "helloworld". Run: npm run lab -- E02   (or npx tsx examples/02-nonblocking-send.ts)
import { constants as c } from '../lib/constants.js';
import { chartKB, outcome } from '../lib/lab/group-a.js';
import { nonblockingSend, type NonBlockingSendData } from '../lib/lab/nonblocking-send.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { bytes, checklist, header, isMain, runExample } from './narrate.js';

/** E02 in plain words. */
export function narrate(result: ExperimentResult<NonBlockingSendData>): string {
  const d = result.data;
  const f = d.fill;
  const hex = (n: number) => `0x${n.toString(16)}`;
  const atError = f.queuesAtError.sendQ + f.queuesAtError.recvQ;
  const out = [header(result)];
  out.push(
    'The server accepts the connection and never calls recv. The client connects as a normal',
    'blocking socket, then (like seed 000) turns on O_NONBLOCK with fcntl and sends 10 bytes at a',
    `time on this very thread — safe, because a nonblocking send never sleeps. Buffers are small:`,
    `SO_SNDBUF 8192 reads back ${d.sndbuf}, the server's SO_RCVBUF 10240 reads back ${d.rcvbuf} (Linux doubles both).`,
    '',
    `F_GETFL went from ${hex(d.flagsBefore.flags)} to ${hex(d.flagsAfter.flags)}: O_NONBLOCK is ${hex(c.O_NONBLOCK!)}. (A ${d.guardMs} ms SO_SNDTIMEO is`,
    'set as a safety net: a nonblocking send ignores it; a send that blocked by mistake would end.)',
    '',
    `1. The fill: send accepted ${bytes(f.accepted)} in ${f.sends} calls (${f.shortCounts} short counts) in`,
    `   ${f.elapsedMs.toFixed(1)} ms, then returned ${f.error.returned} = -${f.error.code}. On Linux EWOULDBLOCK is the`,
    `   same number (${c.EWOULDBLOCK}), which is why the seeds test either name.`,
    atError > f.accepted
      ? `   At that instant Send-Q + Recv-Q was ${f.queuesAtError.sendQ} + ${f.queuesAtError.recvQ} = ${atError}, ${atError - f.accepted} more than\n` +
          '   accepted: segments the server had queued but not yet acknowledged count in both queues.'
      : `   At that instant Send-Q + Recv-Q was ${f.queuesAtError.sendQ} + ${f.queuesAtError.recvQ} = ${atError}.`,
    `   Once nothing was unacknowledged: ${d.afterFill.sendQ} + ${d.afterFill.recvQ} = ${d.afterFill.accepted}, exactly what send accepted.`,
    '',
  );
  const topped = d.topUps.reduce((a, b) => a + b, 0);
  out.push(
    `2. The first EAGAIN did not mean "full for good": when the ACKs came back they freed send-buffer`,
    `   memory, and further rounds at rest accepted ${d.topUps.join(' + ')} = ${topped} more bytes. With both buffers`,
    `   really full: Send-Q ${d.full.sendQ} + Recv-Q ${d.full.recvQ} = ${d.full.accepted} bytes accepted, exactly.`,
    `   Then ${d.repeated.eagain} of ${d.repeated.tries} further sends gave -EAGAIN, the slowest in ${d.repeated.slowestCallMs.toFixed(3)} ms.`,
    `   Through the Socket class the same refusal is thrown as SocketError code ${d.socketError?.code} (errno ${d.socketError?.errno}).`,
    '   Seed 000 answers EWOULDBLOCK with `continue` — a busy loop that burns a core; wait for POLLOUT.',
    '',
    `3. The server read everything (${bytes(d.drain.drained)}); poll(POLLOUT) on the client reported`,
    `   ${hex(d.drain.pollRevents)} and the next send returned ${outcome(d.drain.sendAfter)}: send works again.`,
    '',
    `4. Short counts: a ${d.large.chunk}-byte send returned ${d.large.returns.map(outcome).join(', then ')}.`,
    '   A nonblocking send may take part of your buffer; the program must keep the rest and send it',
    '   when POLLOUT comes back.',
    '',
    `In the end: accepted ${d.final.accepted} == Send-Q ${d.final.sendQ} + Recv-Q ${d.final.recvQ} + read ${d.final.drained}.`,
    `No call ever slept: the slowest of ${d.calls} sends took ${d.slowestCallMs.toFixed(3)} ms.`,
    '',
  );
  if (d.timeline.length > 1) {
    out.push('The fill, one point per send call (x: call number, up to the first EAGAIN):');
    out.push(
      chartKB({
        'accepted by send': d.timeline.map((p) => p.accepted),
        'client Send-Q': d.timeline.map((p) => p.sendQ),
        'server Recv-Q': d.timeline.map((p) => p.recvQ),
      }),
    );
    out.push('');
  }
  out.push(
    'What the seeds said, checked: a nonblocking send does not block and fails with EWOULDBLOCK',
    '(== EAGAIN) when it cannot take data — yes. A correction: seed 000 reads `send() == 0` as',
    '"the peer closed"; send on TCP never returns 0 for a non-empty buffer (a closed peer shows up',
    'as EPIPE or ECONNRESET, E13/E14).',
  );
  if (f.peerWindowAtError !== null && f.peerWindowAtError > 0)
    out.push(
      'And its comment blames "the TCP window": EAGAIN is about our own send buffer\'s memory — at the',
      `first EAGAIN the server still advertised a window of ${f.peerWindowAtError} bytes, and more sends fit as soon`,
      'as ACKs freed memory.',
    );
  else if (f.peerWindowAtError === 0)
    out.push("At the first EAGAIN the server's advertised window was 0, as the seed's comment says.");
  out.push('', checklist(result));
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(nonblockingSend, narrate);
