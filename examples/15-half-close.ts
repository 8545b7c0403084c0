// E15 half-close: shutdown(SHUT_WR) ends one direction of a connection and keeps the other.
// Run: npm run lab -- E15   (or npx tsx examples/15-half-close.ts)
import { rawResult } from '../lib/lab/group-c.js';
import { halfClose, type HalfCloseData } from '../lib/lab/half-close.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** One line of the sequence chart: client column, arrow, server column. */
function row(client: string, arrow: string, server: string): string[] {
  return [`     ${client.padEnd(22)}${arrow.padStart(16).padEnd(20)}${server}`.trimEnd()];
}

/** E15 in plain words. */
export function narrate(result: ExperimentResult<HalfCloseData>): string {
  const d = result.data;
  const w = d.whereBeforeShutdown;
  const s = d.states;
  const lines = d.request.trimEnd().split('\n');
  const out = [header(result)];
  out.push(
    'The server is like `tac`: it reads the whole request, then answers with the lines in reverse',
    'order. It runs on a worker thread with a blocking recv loop, and it cannot answer before it',
    'knows the request is complete — the only way a byte stream can say "complete" is end of stream.',
    '',
    `The client sent ${lines.length} lines (${d.request.length} bytes: ${JSON.stringify(d.request)}). The server read them all`,
    `(Recv-Q ${d.serverRecvQBeforeShutdown}) and was then asleep again in ${w.syscall?.name}(fd ${w.syscall?.fd}) (state ${w.state},`,
    `${w.wchan ?? 'wchan unavailable'}): it has everything, but cannot know that. close() would end the wait, but`,
    'would also throw away the answer. shutdown(SHUT_WR) ends only our sending direction:',
    '',
    ...row('client', '', 'server (thread)'),
    ...row(s.before.client, '', s.before.server),
    ...row(
      `send ×${lines.length}`,
      `${d.request.length} bytes ─►`,
      `recv → ${d.serverReads.slice(0, -1).join(', ')}, then asleep`,
    ),
    ...row('shutdown(SHUT_WR)', 'FIN ─►', `recv → ${d.serverReads.at(-1)} (end of stream)`),
    ...row(s.afterClientShutWr.client, '', `${s.afterClientShutWr.server}  (poll: ${d.serverRevents})`),
    ...row(`send → ${rawResult(d.ownSendAfterShutWr)}`, '', ''),
    ...row(`recv → ${d.clientReads.slice(0, -1).join(', ')}`, '◄─ the answer', `send → ${d.replySent}`),
    ...row(`recv → ${d.clientReads.at(-1)}`, '◄─ FIN', 'shutdown(SHUT_WR)'),
    ...row(`fd ${s.end.client}`, '', `fd ${s.end.server}`),
    ...row(`kernel: ${s.end.kernel.join(', ') || 'nothing listed'}`, '', ''),
    '',
    `After the FIN the server's recv returned ${d.serverReads.at(-1)}, so it answered: ${JSON.stringify(d.reply)}. The client could`,
    `still receive all of it, and then 0 when the server shut down its own side. The client's own send`,
    `after SHUT_WR returned ${rawResult(d.ownSendAfterShutWr)}: it promised to send no more, and the kernel holds it to that.`,
    `At the end both fds read ${s.end.client}/${s.end.server}; the TIME_WAIT of the side that sent the first FIN lives on`,
    "in the kernel (it is listed in /proc/net/tcp) though the program's fd no longer shows it.",
    '',
    'What the seeds said, checked: 002 — "FIN means I will send no more; close() means I will neither',
    'send nor receive" — confirmed: after SHUT_WR the client still received the whole answer. 001',
    'uses close() only; shutdown(SHUT_WR) is what a client needs when the server reads to end of',
    'stream before answering (`nc -N` does exactly this when its input ends).',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(halfClose, narrate);
