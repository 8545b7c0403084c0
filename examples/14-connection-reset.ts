// E14 connection-reset: a close that sends RST instead of FIN — SO_LINGER {on, 0}, and closing
// with data unread. Run: npm run lab -- E14   (or npx tsx examples/14-connection-reset.ts)
import { connectionReset, type ConnectionResetData } from '../lib/lab/connection-reset.js';
import { rawResult } from '../lib/lab/group-c.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** E14 in plain words. */
export function narrate(result: ExperimentResult<ConnectionResetData>): string {
  const { linger: l, unreadData: u } = result.data;
  const w = l.where;
  const out = [header(result)];
  out.push(
    'A normal close sends FIN: "I am done sending", and the peer reads 0 (end of stream). A RST',
    'says "this connection no longer exists", and the peer gets an error instead. Two ways to cause one:',
    '',
    `1. SO_LINGER {onoff: true, linger: 0} (read back as {onoff: ${l.linger.onoff}, linger: ${l.linger.linger}}), then close.`,
    `   On the other side a worker thread was asleep in ${w.syscall?.name}(fd ${w.syscall?.fd}) (state ${w.state}, ${w.wchan ?? 'wchan unavailable'}).`,
  );
  if (w.stack) out.push(`   Kernel stack: ${w.stack.slice(0, 4).join(' ← ')}.`);
  else out.push('   (The kernel stack needs root; as root it shows sk_wait_data and wait_woken.)');
  out.push(
    '',
    '     closer (linger 0)                 reader thread',
    '       close() ──────── RST ─────────►  recv (asleep) → ' + rawResult(l.blockedRecv),
    `                                         recv → ${rawResult(l.secondRecv)}`,
    `                                         send → ${rawResult(l.send)}`,
    '',
    `   The blocked recv woke ${l.msAfterClose.toFixed(2)} ms after close(2) with ${rawResult(l.blockedRecv)}. The error is reported`,
    `   once: the next recv returned ${rawResult(l.secondRecv)} (the connection is over, state ${l.state}), and a send`,
    `   gave ${rawResult(l.send)}.`,
    '',
    `2. close() with ${u.unread} bytes still unread in the closer's receive buffer. close means "I will neither`,
    '   send nor receive" (seed 002), so the kernel will not pretend those bytes were delivered: it',
    `   sends RST. The other side went straight to ${u.state} — with a FIN it would have been CLOSE_WAIT —`,
    `   and poll said ${u.revents}. Its recv returned ${rawResult(u.recvFirst.recv)}, then ${rawResult(u.recvFirst.recvAgain)}, then send`,
    `   ${rawResult(u.recvFirst.send)}. On a second such connection the program called send first, and the send got the`,
    `   reset instead: ${rawResult(u.sendFirst.send)}, and recv then ${rawResult(u.sendFirst.recv)}. Whichever call comes first receives`,
    '   the pending error; after that the connection is simply closed.',
    '',
    'What the seeds said, checked: 002 lists SO_LINGER 0 and close-with-unread-data as causes of RST —',
    'both confirmed, and the peer sees ECONNRESET exactly once. Seed 001 says "for a socket closed by',
    'us, recv returns -1 with EBADF or ECONNRESET": the two belong to different sides. ECONNRESET is',
    `what the peer of a reset gets; EBADF is what the closer gets for using its own closed socket`,
    `(here: ${l.ownRecvAfterClose} — syssock's Socket refuses it without a syscall, since the fd number may`,
    'already belong to another file).',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(connectionReset, narrate);
