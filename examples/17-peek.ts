// E17 peek: recv(MSG_PEEK) looks without taking; with MSG_DONTWAIT it is seed 001's liveness check.
// Run: npm run lab -- E17   (or npx tsx examples/17-peek.ts)
import { peek, type Look, type PeekData } from '../lib/lab/peek.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

function returned(l: Look): string {
  if (l.code) return `-${l.code}`;
  return l.returned > 0 ? `${l.returned} "${l.text}"` : String(l.returned);
}

/** E17 in plain words. */
export function narrate(result: ExperimentResult<PeekData>): string {
  const { looks, resetLooks, verdicts, nonBlockingAfter, stateAfterFin } = result.data;
  const out = [header(result)];
  out.push(
    'A loopback connection; the server side is an ordinary blocking socket. Each row is one call',
    'on it: "peek" is recv(fd, buf, 64, MSG_PEEK | MSG_DONTWAIT), "recv" is recv(…, MSG_DONTWAIT).',
    'Recv-Q is FIONREAD right after the call: what is still queued in the kernel.',
    '',
    `  ${'situation'.padEnd(48)} ${'call'.padEnd(5)} ${'returned'.padEnd(14)} Recv-Q`,
  );
  for (const l of [...looks, ...resetLooks])
    out.push(`  ${l.situation.padEnd(48)} ${l.call.padEnd(5)} ${returned(l).padEnd(14)} ${l.recvQ ?? '-'}`);
  const hello = looks.find((l) => l.call === 'peek' && l.returned > 0);
  out.push(
    '',
    `Peeking returned ${hello ? returned(hello) : 'the bytes'} and Recv-Q stayed ${hello?.recvQ}: nothing was taken. A second peek`,
    'saw the same bytes, and the plain recv after it got exactly those and emptied the queue.',
    '',
    'Seed 001\'s check, "recv + MSG_PEEK on a nonblocking socket", read as a verdict:',
  );
  for (const v of verdicts)
    out.push(`  ${v.state.padEnd(36)} → ${(v.code ? `-${v.code}` : String(v.returned)).padEnd(12)} ${v.verdict}`);
  out.push(
    '',
    'It works, with two corrections to the seed:',
    `  - A peer that sent something and then closed still looks alive ("data"): the FIN had arrived`,
    `    (the socket was in ${stateAfterFin}), yet peek returned the unread bytes. The 0 only shows once`,
    '    everything before the FIN has been read: a peek can see the end only when it is next in line.',
    '  - The seed says a 0 comes "with errno 11" and a closed socket gives "-1 with EBADF or ECONNRESET".',
    '    A call that returns 0 does not set errno at all (whatever errno holds is left over from an',
    "    earlier call); EBADF means your *own* fd was closed, never the peer's; ECONNRESET is the",
    '    peer resetting the connection (an RST), reported once, after which the socket reads as closed (0).',
    '',
    `MSG_DONTWAIT made only those calls nonblocking: afterwards F_GETFL still shows the fd ${nonBlockingAfter ? 'NONBLOCKING (unexpected)' : 'blocking'}.`,
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(peek, narrate);
