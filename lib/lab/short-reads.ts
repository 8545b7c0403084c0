/**
 * E16 short-reads: a reader asks for 20 bytes while the peer writes them 2 bytes at a time, a few
 * tens of milliseconds apart. Seed 003 §04 (there with read/recv and 1 s gaps).
 *
 * What it proves, from inside the program, with a blocking reader on one worker thread and the
 * paced writer on another (the writer's pacing is the experiment's input; every wait of this
 * thread is on a message, a /proc observation or a bounded readiness check):
 * - recv(20) returns as soon as the first 2 bytes arrive — before the second piece is even
 *   written — so "read 20 bytes" needs a loop (the seed's tcp_server4-1);
 * - recv(20, MSG_WAITALL) stays asleep inside recvfrom while 18 bytes are already there (and, on
 *   Linux, already copied into its buffer: Recv-Q reads 0), and returns all 20 only after the
 *   last piece was written (compared on one monotonic clock with the writer's timestamps);
 * - at end of stream MSG_WAITALL returns a short count, then recv returns 0.
 * @module
 */
import { constants as c } from '../constants.js';
import type { Socket } from '../socket.js';
import type { Claims } from './claims.js';
import { defineExperiment } from './define.js';
import { deferJoin, nowMs } from './group-d.js';
import { tcpConnection } from './loopback.js';
import type { Scope } from './scope.js';
import { startThread, type ThreadBody, type ThreadHandle } from './thread.js';
import { waitUntilAsleepIn, whereIs, type ThreadWhere } from './where.js';

/** The 20 bytes the writer sends, 2 at a time. */
export const TEXT = 'ABCDEFGHIJKLMNOPQRST';
/** Bytes per write. */
export const PIECE = 2;
/** The writer's pause between pieces, ms (the seed paused 1 s). */
export const GAP_MS = 30;
/**
 * The MSG_WAITALL run pauses longer before the last piece, so that this thread has time to look
 * at the reader while 18 of the 20 bytes are there (a longer input gap, not a synchronisation).
 */
export const LAST_GAP_MS = 250;
/** Bound on every blocking recv of the reader (SO_RCVTIMEO): nothing can hang. */
const RECV_TIMEOUT_MS = 3000;

/**
 * One write of the writer: its number (1-based), what send returned, and when the call started
 * and returned (monotonic ms). On loopback the data reaches the reader *during* send, so a reader
 * can wake before the writer's send has returned: the start of the call is what counts.
 */
export interface PieceWritten {
  piece: number;
  returned: number;
  startedAt: number;
  at: number;
}

/** One recv of the reader: what it returned, the bytes, when it returned (monotonic ms). */
export interface ReadReturn {
  /** The byte count, 0 at end of stream, or -errno. */
  returned: number;
  /** The length asked for. */
  asked: number;
  text: string;
  at: number;
}

/** The measurements of one variant. */
export interface ShortReadsRun {
  variant: 'recv(20)' | 'recv(20, MSG_WAITALL)' | 'recv(20, MSG_WAITALL) at EOF';
  /** The recv flags used. */
  flags: number;
  /** The fd the reader used (the server's side of the connection). */
  readerFd: number;
  /** Where the reader was before the first byte was written, and when it was seen there. */
  asleepBefore: ThreadWhere;
  asleepSeenAt: number;
  pieces: PieceWritten[];
  /** When the writer's shutdown(SHUT_WR) was called (the EOF run), monotonic ms. */
  finAt: number | null;
  reads: ReadReturn[];
  /**
   * MSG_WAITALL run: a look at the reader after piece 9 was written and before piece 10 was:
   * where it was, the server's Recv-Q, and when (monotonic ms).
   */
  midway: { where: ThreadWhere; recvQ: number; at: number } | null;
}

/** What E16 returns. */
export interface ShortReadsData {
  text: string;
  pieceBytes: number;
  gapMs: number;
  lastGapMs: number;
  runs: ShortReadsRun[];
}

interface WriterArg {
  fd: number;
  text: string;
  piece: number;
  pieces: number;
  gapMs: number;
  lastGapMs: number;
  /** SHUT_WR after the last piece, or null to keep the connection open. */
  shutWr: number | null;
}

/**
 * The paced writer (a worker thread; self-contained). It sleeps between pieces with
 * Atomics.wait on a private cell nobody notifies: a plain timed pause, which is the input of
 * the experiment, not a way to wait for anything.
 */
const writer: ThreadBody<WriterArg, { ok: boolean }> = (sys, arg, post) => {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const bytes = Buffer.from(arg.text, 'latin1');
  for (let i = 0; i < arg.pieces; i++) {
    if (i > 0) Atomics.wait(pause, 0, 0, i === arg.pieces - 1 ? arg.lastGapMs : arg.gapMs);
    const startedAt = now();
    const returned = sys.send(arg.fd, bytes, i * arg.piece, arg.piece, 0);
    post({ kind: 'piece', piece: i + 1, returned, startedAt, at: now() });
    if (returned !== arg.piece) return { ok: false };
  }
  if (arg.shutWr !== null) {
    const startedAt = now();
    const returned = sys.shutdown(arg.fd, arg.shutWr);
    post({ kind: 'fin', returned, startedAt, at: now() });
    if (returned !== 0) return { ok: false };
  }
  return { ok: true };
};

interface ReaderArg {
  fd: number;
  want: number;
  flags: number;
  maxCalls: number;
}

/**
 * The blocking reader (a worker thread; self-contained): recv into a `want`-byte buffer, each
 * call asking for what is still missing, until it is full, the stream ends, an error comes, or
 * `maxCalls` calls were made.
 */
const reader: ThreadBody<ReaderArg, ReadReturn[]> = (sys, arg) => {
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  const buf = Buffer.alloc(arg.want);
  const reads: { returned: number; asked: number; text: string; at: number }[] = [];
  let got = 0;
  for (let i = 0; i < arg.maxCalls && got < arg.want; i++) {
    const asked = arg.want - got;
    const returned = sys.recv(arg.fd, buf, got, asked, arg.flags);
    const at = now();
    reads.push({ returned, asked, at, text: returned > 0 ? buf.toString('latin1', got, got + returned) : '' });
    if (returned <= 0) break;
    got += returned;
  }
  return reads;
};

interface Message {
  kind: 'piece' | 'fin';
  piece?: number;
  returned: number;
  startedAt: number;
  at: number;
}

async function runVariant(scope: Scope, claims: Claims, variant: ShortReadsRun['variant']): Promise<ShortReadsRun> {
  const waitAll = variant !== 'recv(20)';
  const eof = variant === 'recv(20, MSG_WAITALL) at EOF';
  const flags = waitAll ? c.MSG_WAITALL! : 0;
  const pieces = eof ? 3 : TEXT.length / PIECE;
  const { client, server } = tcpConnection(scope);
  server.setOption('SO_RCVTIMEO', RECV_TIMEOUT_MS);

  const readerThread = await startThread(reader, {
    fd: server.fd,
    want: TEXT.length,
    flags,
    // recv(20): a loop of plain recvs (at most one per piece, plus one); MSG_WAITALL: one call,
    // and at EOF one more to see the 0.
    maxCalls: waitAll ? (eof ? 2 : 1) : pieces + 1,
  });
  // Whichever thread still sleeps in a syscall is woken by shutdown, then joined.
  deferJoin(scope, [server, client], [readerThread]);

  // The reader must be asleep in recvfrom before the first byte is written.
  const asleepBefore = await waitUntilAsleepIn(readerThread.tid, 'recvfrom', server.fd, 2000);
  const asleepSeenAt = nowMs();
  const writerThread = await startThread(writer, {
    fd: client.fd,
    text: TEXT,
    piece: PIECE,
    pieces,
    gapMs: GAP_MS,
    lastGapMs: waitAll && !eof ? LAST_GAP_MS : GAP_MS,
    shutWr: eof ? c.SHUT_WR! : null,
  });
  deferJoin(scope, [server, client], [writerThread]);

  const written: PieceWritten[] = [];
  let finAt: number | null = null;
  let midway: ShortReadsRun['midway'] = null;
  const expected = pieces + (eof ? 1 : 0);
  for (let i = 0; i < expected; i++) {
    const m = (await writerThread.next(2000, `the writer's message ${i + 1}`)) as Message;
    if (m.kind === 'fin') finAt = m.startedAt;
    else written.push({ piece: m.piece!, returned: m.returned, startedAt: m.startedAt, at: m.at });
    if (waitAll && !eof && m.kind === 'piece' && m.piece === pieces - 1)
      midway = await lookMidway(readerThread, server);
  }
  const reads = await readerThread.done;
  await writerThread.done;

  const label = `[${variant}]`;
  // When piece n's send started and returned.
  const start = (piece: number) => written[piece - 1]?.startedAt ?? Number.NaN;
  const end = (piece: number) => written[piece - 1]?.at ?? Number.NaN;
  claims.check(
    `${label} before anything was written, the reader slept inside recvfrom on the server fd`,
    asleepBefore.state === 'S' && asleepBefore.syscall?.fd === server.fd && asleepSeenAt < start(1),
    `${describeWhere(asleepBefore)}; seen ${ms(start(1) - asleepSeenAt)} before the first send`,
  );
  if (asleepBefore.stack)
    claims.check(
      `${label} its kernel stack goes through sk_wait_data (waiting for data to arrive)`,
      asleepBefore.stack.includes('sk_wait_data'),
      asleepBefore.stack.slice(0, 4).join(' ← '),
    );
  claims.check(
    `${label} the writer's ${pieces} sends each returned ${PIECE}`,
    written.length === pieces && written.every((p) => p.returned === PIECE),
    written.map((p) => p.returned).join(' '),
  );
  const first = reads[0];
  if (!waitAll) {
    claims.equal(
      `${label} the first recv(20) returned ${PIECE} bytes: the first piece, not 20`,
      first?.returned ?? null,
      PIECE,
    );
    claims.check(
      `${label} it returned before the writer wrote the second piece`,
      first !== undefined && first.at >= start(1) && first.at < start(2),
      first
        ? `${ms(first.at - start(1))} after piece 1's send began, ${ms(start(2) - first.at)} before piece 2's`
        : 'no recv returned',
    );
    claims.equal(
      `${label} a loop of recvs got all ${TEXT.length} bytes, in order`,
      reads.map((r) => r.text).join(''),
      TEXT,
    );
  } else if (!eof) {
    claims.check(
      `${label} with 18 of 20 bytes written, the reader still slept inside recvfrom (seen between piece 9 and piece 10)`,
      midway !== null &&
        midway.where.state === 'S' &&
        midway.where.syscall?.name === 'recvfrom' &&
        midway.at > end(pieces - 1) &&
        midway.at < start(pieces),
      midway
        ? `${describeWhere(midway.where)}, ${ms(midway.at - end(pieces - 1))} after piece 9, ${ms(start(pieces) - midway.at)} before piece 10`
        : 'not observed',
    );
    claims.equal(
      `${label} meanwhile the 18 bytes were no longer queued: recv had copied them into its buffer (Recv-Q 0)`,
      midway?.recvQ ?? null,
      0,
    );
    claims.check(
      `${label} one recv returned all ${TEXT.length} bytes, only after the last piece was written`,
      reads.length === 1 && first?.returned === TEXT.length && first.text === TEXT && first.at >= start(pieces),
      first
        ? `returned ${first.returned} ("${first.text}") ${ms(first.at - start(pieces))} after piece ${pieces}'s send began, ${ms(first.at - start(1))} after piece 1's`
        : 'no recv returned',
    );
  } else {
    const sent = pieces * PIECE;
    claims.check(
      `${label} after ${sent} bytes and a FIN, recv(20, MSG_WAITALL) returned a short count: ${sent}`,
      first?.returned === sent && first.text === TEXT.slice(0, sent) && finAt !== null && first.at >= finAt,
      first
        ? `returned ${first.returned} ("${first.text}")${finAt !== null ? ` ${ms(first.at - finAt)} after shutdown(SHUT_WR) was called` : ''}`
        : 'no recv returned',
    );
    claims.equal(`${label} the next recv returned 0: end of stream`, reads[1]?.returned ?? null, 0);
  }
  return { variant, flags, readerFd: server.fd, asleepBefore, asleepSeenAt, pieces: written, finAt, reads, midway };
}

/**
 * Looks at the reader right after piece 9 was written: waits (bounded by the writer's long pause)
 * until /proc shows it asleep in recvfrom, and reads the server's Recv-Q at that moment.
 */
async function lookMidway(
  thread: ThreadHandle<unknown>,
  server: Socket,
): Promise<NonNullable<ShortReadsRun['midway']>> {
  let where: ThreadWhere;
  try {
    where = await waitUntilAsleepIn(thread.tid, 'recvfrom', server.fd, LAST_GAP_MS / 2);
  } catch {
    where = whereIs(thread.tid);
  }
  return { where, recvQ: server.recvQueue(), at: nowMs() };
}

function describeWhere(w: ThreadWhere): string {
  const stack = w.stack ? `, stack ${w.stack.slice(0, 3).join(' ← ')}` : '';
  return `state ${w.state}, ${w.syscall ? `${w.syscall.name}(${w.syscall.fd})` : 'no syscall'}${w.wchan ? `, wchan ${w.wchan}` : ''}${stack}`;
}

function ms(x: number): string {
  return `${x.toFixed(2)} ms`;
}

/** E16: the experiment. */
export const shortReads = defineExperiment<ShortReadsData>(
  {
    id: 'E16',
    slug: 'short-reads',
    title: 'Reading 20 bytes while the peer writes 2 at a time',
    shows: 'recv(20) returns the first 2 bytes at once; MSG_WAITALL waits for all 20; at EOF it returns short',
    seeds: '003 §04',
  },
  async ({ claims, scope, note, progress, headline }) => {
    progress('recv(20) while 2-byte pieces arrive');
    const plain = await runVariant(scope, claims, 'recv(20)');
    progress('recv(20, MSG_WAITALL) while 2-byte pieces arrive');
    const waitAll = await runVariant(scope, claims, 'recv(20, MSG_WAITALL)');
    progress('recv(20, MSG_WAITALL) when the peer closes after 6 bytes');
    const atEof = await runVariant(scope, claims, 'recv(20, MSG_WAITALL) at EOF');
    const stackNote = plain.asleepBefore.unavailable.find((u) => u.startsWith('stack'));
    if (stackNote) note(`kernel stack not shown: ${stackNote} (run as root to see sk_wait_data)`);
    const p = plain.reads[0];
    const w = waitAll.reads[0];
    const lastPiece = waitAll.pieces.at(-1);
    headline(
      `recv(20) returned ${p?.returned} B ${p ? ms(p.at - plain.pieces[0]!.startedAt) : '?'} after the first piece; ` +
        `MSG_WAITALL returned ${w?.returned} B ${w && lastPiece ? ms(w.at - lastPiece.startedAt) : '?'} after the last; ` +
        `at EOF ${atEof.reads[0]?.returned} B`,
    );
    return { text: TEXT, pieceBytes: PIECE, gapMs: GAP_MS, lastGapMs: LAST_GAP_MS, runs: [plain, waitAll, atEof] };
  },
);
