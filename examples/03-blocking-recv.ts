// E03 blocking-recv: recv on a blocking socket with nothing to read, then the server sends;
// and the same with SO_RCVTIMEO. Run: npm run lab -- E03   (or npx tsx examples/03-blocking-recv.ts)
import { blockingRecv, type BlockingRecvData } from '../lib/lab/blocking-recv.js';
import { outcome } from '../lib/lab/group-a.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** E03 in plain words. */
export function narrate(result: ExperimentResult<BlockingRecvData>): string {
  const d = result.data;
  const w = d.where;
  const t = d.timeout;
  const out = [header(result)];
  out.push(
    'The client calls recv on an ordinary (blocking) socket while the server has sent nothing.',
    'The recv runs on a worker thread; this thread watches it from outside through /proc.',
    '',
    `While nothing had arrived, /proc said the thread was in state ${w.state}, inside ${w.syscall?.name}(fd ${w.syscall?.fd}),`,
    `waiting in ${w.wchan ?? '(wchan unavailable)'}.`,
  );
  if (w.stack) {
    out.push(`Its kernel stack: ${w.stack.slice(0, 5).join(' ← ')}.`);
    if (d.stackFrames?.skWaitData && d.stackFrames.waitWoken)
      out.push(
        'TCP found the receive queue empty and called sk_wait_data, which sleeps in wait_woken until',
        'a packet arrives (or a signal, or the timeout).',
      );
  } else out.push('(The kernel stack needs root; as root it shows sk_wait_data and wait_woken.)');
  out.push(
    '',
    `Then the server sent "${d.message}" (${d.sentBytes} bytes). The recv, which had offered a ${d.bufferSize}-byte`,
    `buffer, returned ${outcome(d.received.returned)}: "${d.received.text}" — exactly what was sent, at once; it does not`,
    `wait to fill the buffer (about ${d.received.wokeAfterSendMs.toFixed(1)} ms after the send, measured across two threads' clocks).`,
    '',
    `With SO_RCVTIMEO = ${t.setMs} ms (it reads back ${t.readBackMs} ms) and nothing to read, the same recv returned`,
    `${t.returned} = -${t.code} after ${t.elapsedMs.toFixed(1)} ms. The claim allows ${t.earlyMs} ms early (the kernel counts the timeout`,
    `in clock ticks) and ${t.lateMs} ms late (timer batching, scheduling).`,
    '',
    'What the seeds said, checked: seed 000 stopped its program in gdb and saw it "stuck in recv()";',
    'here the same is seen from inside the program, down to the kernel function it sleeps in.',
    'Seed 001 defines blocking as waiting "until the condition is met or a timeout expires": that',
    'timeout is SO_RCVTIMEO (none by default), and when it expires recv returns EAGAIN — the same',
    'code a nonblocking recv returns at once (E04), so the caller cannot tell "timed out" from',
    '"would block" by the code alone.',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(blockingRecv, narrate);
