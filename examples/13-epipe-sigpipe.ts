// E13 epipe-sigpipe: sending on a connection the peer has closed — EPIPE, and the SIGPIPE that
// kills a process whose SIGPIPE is at its default. Run: npm run lab -- E13   (or npx tsx examples/13-epipe-sigpipe.ts)
import { epipeSigpipe, type ChildRun, type EpipeSigpipeData } from '../lib/lab/epipe-sigpipe.js';
import { rawResult } from '../lib/lab/group-c.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

function ending(run: ChildRun): string {
  return run.exit.signal
    ? `killed by ${run.exit.signal} (signal ${run.signalNumber}); its second send never returned`
    : `second send → ${run.secondSend === null ? 'none' : rawResult(run.secondSend)}, exit code ${run.exit.code}`;
}

/** E13 in plain words. */
export function narrate(result: ExperimentResult<EpipeSigpipeData>): string {
  const d = result.data;
  const p = d.inProcess;
  const dc = d.defaultChild;
  const ic = d.ignoringChild;
  const out = [header(result)];
  out.push(
    'The server closes its end of a connection (an orderly close: a FIN). The client goes on sending.',
    '',
    `In this process: the FIN put the client in ${p.stateAfterFin}. Its first send returned ${p.firstSend} — the bytes`,
    'were accepted. A FIN only says "I will send no more"; the client cannot know the server will',
    `not read either. The server's kernel answers the data with RST, and the client went to ${p.stateAfterRst}`,
    `(poll: ${p.revents}). The next send returned ${rawResult(p.secondSendNoSignal)}, with MSG_NOSIGNAL.`,
    '',
    '  client                                      server (closed)',
    '    ◄──────────────── FIN ────────────────────',
    `    send → ${p.firstSend}  ─── data ──────────────►   nobody will read it`,
    '    ◄──────────────── RST ────────────────────',
    `    send → ${rawResult(p.secondSendNoSignal)}  (and SIGPIPE, unless MSG_NOSIGNAL or SIG_IGN)`,
    '',
    `Node ignores SIGPIPE: in this process /proc/self/status says signal ${d.sigpipe} (SIGPIPE) is ${p.sigpipe}`,
    '— Node sets SIG_IGN at startup. So one more send, without MSG_NOSIGNAL, also returned just',
    `${rawResult(p.thirdSendPlain)}, and this process lived on. A C program keeps the default disposition, and the`,
    'default action of SIGPIPE is to terminate the process — the surprise seed 001 warns about.',
    '',
    'To see that in Node, a child process first put SIGPIPE back to its default with sys.signal(SIGPIPE,',
    `'default') (sigaction SIG_DFL; it returned ${dc.signalResult}): /proc/<pid>/status went from ${dc.sigpipeBefore} to ${dc.sigpipeAfter}.`,
    `Then it did the same: first send → ${dc.firstSend}, the RST arrived (poll: ${dc.revents}), second send:`,
    `  ${ending(dc)}.`,
    `A control child that kept Node's disposition (${ic.sigpipeAfter}) did exactly the same:`,
    `  first send → ${ic.firstSend}, ${ending(ic)}.`,
    '',
    `A TCP socket that never connected: send → ${rawResult(d.neverConnected.send)}, recv → ${rawResult(d.neverConnected.recv)}.`,
    '',
    'What the seeds said, checked: 001 — "send to a disconnected socket raises SIGPIPE, whose default',
    'action ends the process; ignore it with signal(SIGPIPE, SIG_IGN)" — confirmed, with a correction:',
    'not the first send after the peer closed, but the one after the RST. 001 also says send may',
    'return 0 when the connection is gone: it never did here — a send returns bytes or an error; 0',
    'is what recv returns at end of stream. 004 — the server process dies, the client ignores the FIN',
    'and keeps sending, and gets EPIPE — confirmed: data, RST, then EPIPE.',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(epipeSigpipe, narrate);
