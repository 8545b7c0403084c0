// E16 short-reads: read 20 bytes while the peer writes them 2 at a time, tens of ms apart.
// Run: npm run lab -- E16   (or npx tsx examples/16-short-reads.ts)
import asciichart from 'asciichart';
import { shortReads, type ShortReadsData, type ShortReadsRun } from '../lib/lab/short-reads.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

const ms = (x: number) => `${x.toFixed(2)} ms`;

/**
 * Bytes written by the writer and bytes handed to the reader, both cumulative, against time
 * (one column per `stepMs` from the first send). Byte counts are small, so this draws its own
 * axis in bytes instead of narrate.ts's megabytes.
 */
function bytesOverTime(run: ShortReadsRun, stepMs: number): string {
  const t0 = run.pieces[0]!.startedAt;
  const last = Math.max(run.pieces.at(-1)!.at, ...run.reads.map((r) => r.at));
  const columns = Math.ceil((last - t0) / stepMs) + 2;
  const written: number[] = [];
  const returned: number[] = [];
  for (let i = 0; i < columns; i++) {
    const t = t0 + i * stepMs;
    written.push(run.pieces.filter((p) => p.startedAt <= t).reduce((s, p) => s + Math.max(p.returned, 0), 0));
    returned.push(run.reads.filter((r) => r.at <= t).reduce((s, r) => s + Math.max(r.returned, 0), 0));
  }
  const plot = asciichart.plot([written, returned], {
    height: 10,
    min: 0,
    colors: [asciichart.blue, asciichart.green],
    format: (x: number) => `${x.toFixed(0).padStart(4)} B`,
  });
  // The labels take 7 columns ("  20 B "); the first point is drawn on the axis itself, column 8.
  const left = '0 ms';
  const right = `${((columns - 1) * stepMs).toFixed(0)} ms`;
  const axis = `${left} ${'─'.repeat(Math.max(columns - left.length - right.length - 2, 1))} ${right}`;
  return (
    `${plot}\n${' '.repeat(7)}${axis}` +
    `\n${' '.repeat(8)}${asciichart.blue}━━${asciichart.reset} written by the peer   ` +
    `${asciichart.green}━━${asciichart.reset} returned to the reader by recv (drawn on top where they coincide)`
  );
}

/** E16 in plain words. */
export function narrate(result: ExperimentResult<ShortReadsData>): string {
  const { runs, gapMs, lastGapMs, text, pieceBytes } = result.data;
  const [plain, waitAll, atEof] = runs;
  const out = [header(result)];
  out.push(
    `A client writes "${text}" (${text.length} bytes) ${pieceBytes} bytes at a time, pausing ${gapMs} ms`,
    'between writes (the seed paused 1 s). The server side asks for 20 bytes with one recv, on',
    'a worker thread; this thread made sure it was asleep in recvfrom before the first byte went.',
    '',
  );
  if (plain) {
    const first = plain.reads[0]!;
    const p1 = plain.pieces[0]!;
    const p2 = plain.pieces[1];
    out.push(
      'recv(fd, buf, 20, 0) — what read() does too:',
      `  it returned ${first.returned} bytes ("${first.text}") ${ms(first.at - p1.startedAt)} after the first send began,`,
      `  ${p2 ? `${ms(p2.startedAt - first.at)} before the second piece was even written` : 'before the second piece'}. A stream socket returns`,
      '  whatever is there as soon as anything is there; "20" is only the most it may return.',
      `  Getting all 20 took ${plain.reads.length} recv calls: ${plain.reads.map((r) => r.returned).join(' + ')}.`,
      '  Seed 003 §04 saw the same (its read got one 2-byte character and the server hung up).',
      '',
    );
  }
  if (waitAll) {
    const r = waitAll.reads[0]!;
    const first = waitAll.pieces[0]!;
    const lastPiece = waitAll.pieces.at(-1)!;
    out.push(
      'recv(fd, buf, 20, MSG_WAITALL):',
      `  one call, returned ${r.returned} bytes ("${r.text}") ${ms(r.at - lastPiece.startedAt)} after the last piece's send`,
      `  began, ${ms(r.at - first.startedAt)} after the first. The writer paused ${lastGapMs} ms before its last piece so`,
      '  we could look inside while 18 bytes were there:',
    );
    if (waitAll.midway) {
      const w = waitAll.midway.where;
      out.push(
        `  the reader was in state ${w.state}, inside ${w.syscall?.name}(fd ${w.syscall?.fd}), waiting in ${w.wchan ?? '(wchan unavailable)'},`,
        `  and the server's Recv-Q read ${waitAll.midway.recvQ}: Linux had already copied the 18 bytes into the`,
        "  caller's buffer; MSG_WAITALL just keeps the call from returning until the count is complete.",
      );
      if (w.stack) out.push(`  Kernel stack: ${w.stack.slice(0, 4).join(' ← ')}.`);
    }
    out.push('  This is what seed 003 §04 found (recv with MSG_WAITALL returned only after all 20 were sent).', '');
  }
  if (atEof) {
    const r = atEof.reads[0]!;
    out.push(
      'MSG_WAITALL when the peer stops early:',
      `  the writer sent ${atEof.pieces.length * pieceBytes} bytes and then shutdown(SHUT_WR). recv(20, MSG_WAITALL) returned ${r.returned}`,
      `  ("${r.text}"), a short count, and the next recv returned ${atEof.reads[1]?.returned ?? '(none)'}: end of stream. MSG_WAITALL`,
      '  is "wait for the count unless the stream ends, an error or a signal comes, or SO_RCVTIMEO',
      '  expires" — a caller must still check the count (the seed did not try this case).',
      '',
    );
  }
  if (plain && waitAll) {
    out.push(`Bytes over time without MSG_WAITALL (one column per 10 ms):`, bytesOverTime(plain, 10), '');
    out.push(`The same with MSG_WAITALL:`, bytesOverTime(waitAll, 10), '');
  }
  out.push(checklist(result));
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(shortReads, narrate);
