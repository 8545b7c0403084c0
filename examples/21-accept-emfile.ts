// E21 accept-emfile: accept in a process that has run out of file descriptors — EMFILE, the
// busy loop it causes, and the reserve-fd trick. Run: npm run lab -- E21   (or npx tsx examples/21-accept-emfile.ts)
import { acceptEmfile, type AcceptEmfileData } from '../lib/lab/accept-emfile.js';
import { rawResult } from '../lib/lab/group-c.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** The child's fd table as a bar: what was open, what the dups took. */
function fdTable(d: AcceptEmfileData, width = 64): string[] {
  const { limit, openBefore, dups } = d.exhaustion;
  const scale = (n: number) => Math.round((n * width) / limit);
  const open = scale(openBefore);
  const dup = Math.max(0, scale(openBefore + dups) - open);
  return [
    `     0${' '.repeat(Math.max(0, open - 1))}${openBefore}${' '.repeat(Math.max(0, width - open - String(openBefore).length))}${limit}`,
    `     ${'█'.repeat(open)}${'▒'.repeat(dup)}${'·'.repeat(Math.max(0, width - open - dup))}  → F_DUPFD: ${rawResult(d.exhaustion.dupResult)}`,
    `     █ already open (${openBefore}: Node's own, stdio, IPC, the listener, the spare)   ▒ F_DUPFD × ${dups}`,
  ];
}

/** E21 in plain words. */
export function narrate(result: ExperimentResult<AcceptEmfileData>): string {
  const d = result.data;
  const b = d.busy;
  const out = [header(result)];
  out.push(
    `A child process runs under \`${d.prefix.join(' ')}\`: at most ${d.exhaustion.limit} open fds. It is handed our`,
    'listening socket (nonblocking), keeps one spare fd in reserve (a dup of the listener), and then',
    'dups the listener with fcntl(F_DUPFD) until the kernel refuses:',
    '',
    ...fdTable(d),
    '',
    `/proc/<pid>/fd then showed ${d.exhaustion.slotsInUse} of the ${d.exhaustion.limit} slots in use. We connected ${d.clients} clients: connect`,
    `returned ${d.connects.join(', ')} and they are ${[...new Set(d.clientStatesWhileQueued)].join('/')} — the kernel completes the handshake`,
    'and queues the connection; accept only takes it off the queue.',
    '',
    `In the child, accept returned ${rawResult(b.firstAccept)}: no free slot for the new fd. The connection is not`,
    `dropped — the listener's accept queue (TCP_INFO, read from outside) still held ${d.queuedDuringBusyLoop}. So the`,
    'listener stays readable, and an event loop that waits for readability and then accepts spins:',
    '',
    `     ${b.iterations} × (poll(POLLIN, ${b.pollTimeoutMs} ms) → accept) in ${b.totalMs.toFixed(1)} ms` +
      ` (${Math.round((b.iterations / b.totalMs) * 1000)} per second)`,
    `     POLLIN ${b.pollReady}/${b.iterations}   EMFILE ${b.emfile}/${b.iterations}   longest poll ${b.maxPollMs.toFixed(3)} ms`,
    '',
    `Every poll came back at once although each could have waited ${b.pollTimeoutMs} ms: 100% CPU, no progress.`,
    `(The loop was bounded at ${b.maxIterations} iterations or ${b.maxMs} ms; a real server spins until a fd frees up.)`,
    '',
    'The reserve-fd trick: close the spare (one slot frees), accept, close the accepted connection',
    '(the client at least learns it was turned away, instead of hanging), reopen the spare:',
  );
  for (const r of d.rounds)
    out.push(
      `     accept ${rawResult(r.accept)} → close(spare) ${r.closeSpare} → accept ${r.acceptWithSlot} → close ${r.closeAccepted} → spare = ${r.reopenSpare}`,
    );
  out.push(
    '',
    d.rounds[0]?.acceptWithSlot === d.exhaustion.spare
      ? `The accepted fd got number ${d.exhaustion.spare}, the slot the spare had just freed. After ${d.rounds.length} rounds poll said ${d.reventsAfterDrain}`
      : `After ${d.rounds.length} rounds poll said ${d.reventsAfterDrain}`,
    `(not readable), the accept queue held ${d.queuedAfterDrain}, and each client's recv returned ${d.clientRecvs.join(', ')} (end of stream).`,
    '',
    'What the seeds said, checked: seed 001 raises "how to handle accept returning EMFILE" (its answer',
    'is a picture, not in the text). The usual answer, the reserve fd, works as shown, and the reason',
    'it is needed is shown too: with a level-triggered poll/epoll the queued connection keeps the',
    'listener readable, so ignoring EMFILE is not harmless — it is a busy loop.',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(acceptEmfile, narrate);
