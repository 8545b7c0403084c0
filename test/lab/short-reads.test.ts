// E16 short-reads: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/16-short-reads.js';
import { constants } from '../../lib/index.js';
import { shortReads, TEXT, type ShortReadsData, type ShortReadsRun } from '../../lib/lab/short-reads.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<ShortReadsData>;

beforeAll(async () => {
  result = await shortReads.run();
}, 30_000);

function run(variant: ShortReadsRun['variant']): ShortReadsRun {
  const found = result.data.runs.find((r) => r.variant === variant);
  if (!found) throw new Error(`no run ${variant}`);
  return found;
}

describe('E16 short-reads', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('in every run the reader slept inside recvfrom before the first byte was written', () => {
    for (const r of result.data.runs) {
      expect(r.asleepBefore.state).toBe('S');
      expect(r.asleepBefore.syscall?.name).toBe('recvfrom');
      expect(r.asleepBefore.syscall!.number).toBe(constants.SYS_recvfrom);
      expect(r.asleepBefore.syscall?.fd).toBe(r.readerFd);
      expect(r.pieces.every((p) => p.returned === 2)).toBe(true);
      expect(r.asleepSeenAt).toBeLessThan(r.pieces[0]!.startedAt);
    }
  });

  it.runIf(isRoot)('as root, the sleeping reader is in sk_wait_data', () => {
    for (const r of result.data.runs) expect(r.asleepBefore.stack).toContain('sk_wait_data');
  });
  if (!isRoot) console.warn('E16: kernel-stack assertion skipped: /proc/<tid>/stack is readable by root only');

  it('recv(20) returns the first 2 bytes before the second piece is written', () => {
    const r = run('recv(20)');
    expect(r.flags).toBe(0);
    const first = r.reads[0]!;
    expect(first.asked).toBe(20);
    expect(first.returned).toBe(2);
    expect(first.text).toBe(TEXT.slice(0, 2));
    expect(first.at).toBeGreaterThanOrEqual(r.pieces[0]!.startedAt);
    expect(first.at).toBeLessThan(r.pieces[1]!.startedAt);
    expect(r.reads.map((x) => x.text).join('')).toBe(TEXT);
  });

  it('recv(20, MSG_WAITALL) sleeps with 18 bytes written and returns all 20 only after the last piece', () => {
    const r = run('recv(20, MSG_WAITALL)');
    expect(r.flags).toBe(constants.MSG_WAITALL);
    expect(r.pieces).toHaveLength(10);
    const last = r.pieces.at(-1)!;
    expect(r.midway).not.toBeNull();
    expect(r.midway!.where.state).toBe('S');
    expect(r.midway!.where.syscall?.name).toBe('recvfrom');
    expect(r.midway!.where.syscall?.fd).toBe(r.readerFd);
    expect(r.midway!.at).toBeGreaterThan(r.pieces[8]!.at);
    expect(r.midway!.at).toBeLessThan(last.startedAt);
    expect(r.midway!.recvQ).toBe(0);
    expect(r.reads).toHaveLength(1);
    expect(r.reads[0]!.returned).toBe(20);
    expect(r.reads[0]!.text).toBe(TEXT);
    expect(r.reads[0]!.at).toBeGreaterThanOrEqual(last.startedAt);
  });

  it('at EOF, MSG_WAITALL returns a short count (6), then recv returns 0', () => {
    const r = run('recv(20, MSG_WAITALL) at EOF');
    expect(r.flags).toBe(constants.MSG_WAITALL);
    expect(r.finAt).not.toBeNull();
    expect(r.reads.map((x) => x.returned)).toEqual([6, 0]);
    expect(r.reads[0]!.text).toBe(TEXT.slice(0, 6));
    expect(r.reads[0]!.at).toBeGreaterThanOrEqual(r.finAt!);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const waitAll = run('recv(20, MSG_WAITALL)');
    expect(text).toContain(`returned ${run('recv(20)').reads[0]!.returned} bytes`);
    expect(text).toContain(`returned ${waitAll.reads[0]!.returned} bytes ("${TEXT}")`);
    expect(text).toContain(`recv(20, MSG_WAITALL) returned 6`);
    expect(text).toContain(`Recv-Q read ${waitAll.midway!.recvQ}`);
  });
});
