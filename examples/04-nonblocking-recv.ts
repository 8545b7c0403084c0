// E04 nonblocking-recv: the seed's nonblocking recv loop — nothing, data, peer closed — and
// MSG_DONTWAIT on a blocking socket. Run: npm run lab -- E04   (or npx tsx examples/04-nonblocking-recv.ts)
import { constants as c } from '../lib/constants.js';
import { nonblockingRecv, type NonBlockingRecvData } from '../lib/lab/nonblocking-recv.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** E04 in plain words. */
export function narrate(result: ExperimentResult<NonBlockingRecvData>): string {
  const d = result.data;
  const hex = (n: number) => `0x${n.toString(16)}`;
  const perCallUs = (1000 * d.empty.totalMs) / d.empty.tries;
  const out = [header(result)];
  out.push(
    `The client connects, then turns on O_NONBLOCK with fcntl (F_GETFL ${hex(d.flagsBefore.flags)} → ${hex(d.flagsAfter.flags)}),`,
    'as seeds 000/001 do, and calls recv in a loop like theirs — bounded here. (Both clients carry',
    `a ${d.guardMs} ms SO_RCVTIMEO as a safety net; a nonblocking recv ignores it.)`,
    '',
    `1. Nothing sent yet: ${d.empty.eagain} of ${d.empty.tries} recv calls returned -EAGAIN (${c.EAGAIN}, == EWOULDBLOCK), all`,
    `   ${d.empty.tries} in ${d.empty.totalMs.toFixed(2)} ms — about ${perCallUs.toFixed(1)} µs each. The seed's loop prints "There is no data`,
    '   available now" at that rate and keeps a core busy; real programs wait for POLLIN instead.',
    '',
  );
  if (d.firstRecvAfterSend.returned > 0)
    out.push(
      `2. The server sent "${d.message}". The very next recv already returned ${d.data.returned} bytes: "${d.data.text}" —`,
      "   on loopback the bytes are in our receive queue by the time the server's send returns.",
    );
  else
    out.push(
      `2. The server sent "${d.message}". The next recv still said ${d.firstRecvAfterSend.code}; poll(POLLIN) then reported`,
      `   ${hex(d.pollInRevents)} and recv returned ${d.data.returned} bytes: "${d.data.text}".`,
    );
  out.push(
    `   One more recv: ${d.drainedAgain.code} again — alive, nothing new.`,
    '',
    `3. The server closed. poll reported ${hex(d.closed.pollRevents)} (POLLIN is ${hex(c.POLLIN!)}: end of stream counts as`,
    `   readable), and recv returned ${d.closed.first.returned}, then ${d.closed.second.returned} again: 0 is not an error, it is "the peer closed",`,
    '   and it stays that way.',
    '',
    `4. On a second, blocking connection: recv with MSG_DONTWAIT returned ${d.dontwait.call.returned} (${d.dontwait.call.code}) in`,
    `   ${d.dontwait.call.ms.toFixed(3)} ms. F_GETFL was ${hex(d.dontwait.flagsBefore.flags)} before and ${hex(d.dontwait.flagsAfter.flags)} after: the flag is per call,`,
    `   the fd stays blocking. Proof by behaviour: a plain recv on it then slept in ${d.dontwait.plainRecvWhere.syscall?.name}`,
    `   (state ${d.dontwait.plainRecvWhere.state}) until the server sent one byte, and returned ${d.dontwait.plainRecvReturned}.`,
    '',
    'What the seeds said, checked: a nonblocking recv returns -1/EWOULDBLOCK when there is no data —',
    'yes (-EAGAIN here, the same number). Seed 001 adds that after a passive close "recv returns 0',
    'and errno is 11": the 0 is right, the errno is not part of it — errno means something only when',
    'a call returns -1, and this recv succeeded with 0 (end of stream).',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(nonblockingRecv, narrate);
