// E19 read-write-order: read first or write first, on each side of a connection (seed 003 §06).
// Run: npm run lab -- E19   (or npx tsx examples/19-read-write-order.ts)
import { PAIRINGS, readWriteOrder, type PairingRun, type ReadWriteOrderData } from '../lib/lab/read-write-order.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

const lengths = (r: PairingRun) =>
  `r${r.server.lengths.read}/w${r.server.lengths.write}  r${r.client.lengths.read}/w${r.client.lengths.write}`;

/** E19 in plain words. */
export function narrate(result: ExperimentResult<ReadWriteOrderData>): string {
  const { runs, windowMs } = result.data;
  const out = [header(result)];
  out.push(
    'A server and a client, each on its own worker thread with blocking sockets, loop forever: one',
    'recv of up to R bytes and one send of W bytes per round, either read first or write first.',
    `Each pairing runs for ${windowMs} ms with each of the seed's length combinations ("rR/wW" per side).`,
    '',
  );
  const deadlocked = runs.filter((r) => r.asleep !== null);
  const d = deadlocked[0];
  const ends = deadlocked.flatMap((r) => [r.server.end, r.client.end]);
  if (d?.asleep) {
    const s = d.asleep.server;
    out.push(
      `${PAIRINGS[0].seed}, both sides read first: nothing at all happens. This thread looked at both threads in /proc:`,
      `  server thread: state ${s.state}, inside ${s.syscall?.name}(fd ${s.syscall?.fd}), waiting in ${s.wchan ?? '(wchan unavailable)'}`,
      `  client thread: state ${d.asleep.client.state}, inside ${d.asleep.client.syscall?.name}(fd ${d.asleep.client.syscall?.fd})`,
    );
    if (s.stack) out.push(`  kernel stack: ${s.stack.slice(0, 4).join(' ← ')}`);
    out.push(
      '  Each waits for data only the other would send after its own recv returns: a deadlock. The same',
      `  for all ${deadlocked.length} length combinations, as the seed found ("whatever the lengths").`,
      `  SO_RCVTIMEO (${windowMs} ms) on both sockets is what broke it: the ${ends.length} recvs returned`,
      `  ${[...new Set(ends.map((e) => `-${e.code}`))].join(', ')} after ${Math.min(...ends.map((e) => e.afterMs)).toFixed(0)}–` +
        `${Math.max(...ends.map((e) => e.afterMs)).toFixed(0)} ms, with 0 bytes exchanged.`,
      '  Without a timeout (or a shutdown from elsewhere) they would sleep for ever.',
      '',
    );
  }
  out.push(
    `Rounds completed in ${windowMs} ms (a round = one recv + one send on that side):`,
    '',
    `  ${'seed'.padEnd(5)} ${'server'.padEnd(12)} ${'client'.padEnd(12)} ${'lengths (server  client)'.padEnd(26)} ${'server'.padStart(8)} ${'client'.padStart(8)}  bytes server→client`,
  );
  for (const r of runs)
    out.push(
      `  ${r.seed.padEnd(5)} ${r.server.order.padEnd(12)} ${r.client.order.padEnd(12)} ${lengths(r).padEnd(26)} ` +
        `${String(r.server.rounds).padStart(8)} ${String(r.client.rounds).padStart(8)}  ${r.server.bytesWritten}`,
    );
  const mismatched = runs.find((r) => r.asleep === null && r.server.rounds !== r.client.rounds);
  out.push(
    '',
    'Every pairing in which at least one side writes first keeps going, as the seed concluded: a side',
    "that writes first gives the other side's recv something to return, and from then on each recv is",
    'answered by the send the other side makes right after its own recv.',
  );
  if (mismatched)
    out.push(
      `With unequal lengths (${lengths(mismatched)}) the rounds stop being in lockstep: the server did`,
      `${mismatched.server.rounds} and the client ${mismatched.client.rounds}. TCP is a byte stream: a recv returns whatever is queued, up`,
      `to its length, so a ${mismatched.client.lengths.read}-byte reader needs ${(mismatched.server.lengths.write / mismatched.client.lengths.read).toFixed(2)} recvs per ` +
        `${mismatched.server.lengths.write}-byte send (here ${(mismatched.client.rounds / mismatched.server.rounds).toFixed(2)}) — the`,
      "sender's message boundaries do not exist for the receiver.",
    );
  out.push('', checklist(result));
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(readWriteOrder, narrate);
