// E06 blocking-connect: connect(2) on a blocking socket — to a listener, to a closed port, and to
// a listener whose accept queue is full. Run: npm run lab -- E06   (or npx tsx examples/06-blocking-connect.ts)
import { constants } from '../lib/constants.js';
import { blockingConnect, type BlockingConnectData } from '../lib/lab/blocking-connect.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

const ms = (n: number) => (n < 10 ? `${n.toFixed(3)} ms` : `${n.toFixed(0)} ms`);

/** E06 in plain words. */
export function narrate(result: ExperimentResult<BlockingConnectData>): string {
  const { toListener, toClosedPort, toFullQueue } = result.data;
  const w = toFullQueue.where;
  const out = [header(result)];
  out.push(
    'Three blocking connects, each made for real on a worker thread while this thread watches.',
    '',
    `1. To a listener on 127.0.0.1:${toListener.address.port}: connect returned ${toListener.code} after ${ms(toListener.ms)}.`,
    '   The whole handshake (SYN, SYN-ACK, ACK) happened on loopback before the call returned.',
    `2. To 127.0.0.1:${toClosedPort.address.port}, a port a socket holds bound but not listening: connect returned`,
    `   ${toClosedPort.result} (${toClosedPort.code}) after ${ms(toClosedPort.ms)}. The kernel answered the SYN with a reset`,
    '   (E11 shows that segment), so the answer came back inside the call. Seed 003 saw the same',
    `   "Connection refused (errno ${constants.ECONNREFUSED})" between two machines.`,
    `3. To a listener whose accept queue is full (listen backlog ${toFullQueue.backlog}; the queue held ${toFullQueue.queue.length}`,
    `   connection${toFullQueue.queue.length === 1 ? '' : 's'}, and a probe connect after that stayed in SYN_SENT): the kernel drops the SYN, nobody`,
    '   answers, and connect has nothing to return. /proc shows the thread',
    `   in state ${w.state}, inside ${w.syscall?.name}(fd ${w.syscall?.fd}), waiting in ${w.wchan ?? '(wchan unavailable)'}` +
      (w.stack ? `; kernel stack ${w.stack.slice(0, 3).join(' ← ')}.` : '.'),
    `   The socket was in ${toFullQueue.stateWhileAsleep} meanwhile. SO_SNDTIMEO (${toFullQueue.sndtimeoMs} ms) bounds the`,
    `   wait: connect returned ${toFullQueue.result} (${toFullQueue.code}) after ${ms(toFullQueue.ms)}, and the socket was still in`,
    `   ${toFullQueue.stateAfter} afterwards — the kernel keeps retransmitting the SYN; only the call gave up.`,
    '',
    'What the seeds said, checked: seed 001 says a blocking connect returns only once the outcome is',
    'known (success or failure), which can take seconds — confirmed: with no answer the thread sleeps in',
    'the kernel. One correction worth knowing: when SO_SNDTIMEO expires, a *blocking* connect reports',
    'EINPROGRESS (not ETIMEDOUT), and the connection attempt goes on in the background.',
    '',
    checklist(result),
  );
  if (!w.stack) out.push('(The kernel stack needs root; run as root to see __inet_stream_connect.)');
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(blockingConnect, narrate);
