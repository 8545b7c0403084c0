// E12 peer-close: a peer process killed with `kill -9` still closes its connections, because
// the kernel closes a dying process's fds. Run: npm run lab -- E12   (or npx tsx examples/12-peer-close.ts)
import { peerClose, type PeerCloseData } from '../lib/lab/peer-close.js';
import { rawResult } from '../lib/lab/group-c.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** E12 in plain words. */
export function narrate(result: ExperimentResult<PeerCloseData>): string {
  const d = result.data;
  const w = d.blocked.whereBeforeKill;
  const ms = d.blocked.msAfterKill.toFixed(2);
  const out = [header(result)];
  out.push(
    `A child process (pid ${d.child.pid}) connected to us three times and then sat idle. We kept the`,
    'three accepted ends:',
    '  A — a worker thread of ours is blocked in recv on it;',
    '  B — nobody reads it;',
    '  C — we will send on it next.',
    '',
    `Right before the kill, /proc said the reader thread was in state ${w.state}, inside ${w.syscall?.name}(fd ${w.syscall?.fd}),`,
    `waiting in ${w.wchan ?? '(wchan unavailable)'} (seen asleep there for ${d.blocked.asleepMsBeforeKill.toFixed(1)} ms).`,
  );
  if (w.stack) out.push(`Kernel stack: ${w.stack.slice(0, 4).join(' ← ')}.`);
  else out.push('(The kernel stack needs root; as root it shows sk_wait_data and wait_woken.)');
  out.push(
    '',
    `Then we sent the child SIGKILL (signal ${d.sigkill}). A process cannot catch or ignore it, so the child ran`,
    `no more code — no close(), no goodbye. It ended "${d.child.exit.signal}". But the kernel closes every`,
    'fd of a dying process, and closing a TCP socket sends a FIN, exactly as a close() would have.',
    '',
    '  time ─►   child process             kernel                          this process',
    '            kill -9 ──────────────►  closes its fds: FIN, FIN, FIN ─►  A: recv returns 0',
    `                                                                         (${ms} ms after kill)`,
    `                                                                      B: ${d.idle.stateBefore} → ${d.idle.stateAfterKill}, no call made`,
    `                                                                      C: ${d.sending.stateBefore} → ${d.sending.stateAfterKill}, no call made`,
    `            (gone; its kernel still    ◄── data ─────────────────────  C: send → ${d.sending.firstSend} (accepted)`,
    `             holds the connection)     ── RST ───────────────────────► C: now ${d.sending.stateAfterAnswer}`,
    `                                                                      C: recv → ${d.sending.recv}, send → ${rawResult(d.sending.secondSend)}`,
    '',
    `A: the blocked recv returned ${d.blocked.returned} (end of stream) ${ms} ms after kill(2) — the time the kernel took to`,
    '   tear the process down. 0 means "the peer closed", not an error: the FIN is a normal close.',
    `B: the kernel knew at once (state ${d.idle.stateAfterKill}; a poll would have said ${d.idle.revents}), but a program that`,
    `   does not ask is told nothing. Its next recv returned ${d.idle.recv}: only then did it learn.`,
    `C: its next send returned ${d.sending.firstSend} — success! A FIN only says "I will send no more", not "I will`,
    `   read no more", so the kernel accepts the data. The dead peer's kernel answers it with RST`,
    `   (our socket went to ${d.sending.stateAfterAnswer}). A recv then returned ${d.sending.recv}, and the send after that failed`,
    `   with ${rawResult(d.sending.secondSend)} (we pass MSG_NOSIGNAL; without it a C program would also get SIGPIPE — see E13).`,
    '',
    'What the seeds said, checked: seed 003 §01 found that when the client is killed (Ctrl-C or',
    'kill -9) the server notices at once (recv 0) — confirmed, that is A. When the server is killed,',
    'the client "only notices after sending a message: the reply is empty" — confirmed to the',
    'letter, that is C: the send succeeds, the recv returns 0. It is not that the client is slow to',
    'notice: its kernel knew at once (B), the program simply was not reading. Seed 004 says a crashed',
    'process still says goodbye because its kernel closes the connection — confirmed even for kill -9;',
    'only a crashed host or a cut cable leaves the other side with nothing (E26, E27).',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(peerClose, narrate);
