// lib/lab/report.ts runWithProgress: when the progress lines come (fake timers, no real waiting).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runWithProgress } from '../../lib/lab/report.js';
import type { Experiment, ExperimentResult, RunOptions } from '../../lib/lab/types.js';

afterEach(() => {
  vi.useRealTimers();
});

/** An experiment that runs until `finish()`, reporting progress through `say`. */
function controllable(): { experiment: Experiment; say: (m: string) => void; finish: () => void } {
  let progress: RunOptions['progress'];
  let finish = () => {};
  const experiment: Experiment = {
    id: 'E00',
    slug: 'test',
    title: 'a test double',
    shows: '',
    seeds: '',
    run: (options) =>
      new Promise<ExperimentResult>((resolve) => {
        progress = options?.progress;
        finish = () =>
          resolve({
            id: 'E00',
            slug: 'test',
            title: '',
            ok: true,
            claims: [],
            data: null,
            headline: '',
            notes: [],
            durationMs: 0,
            skipped: null,
          });
      }),
  };
  return { experiment, say: (m) => progress?.(m), finish: () => finish() };
}

describe('runWithProgress', () => {
  it('a line after one second, then only when the message changes or every 30 s', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const lines: string[] = [];
    const { experiment, say, finish } = controllable();
    const running = runWithProgress(experiment, (line) => lines.push(line));
    say('waiting for keepalive');
    vi.advanceTimersByTime(999);
    expect(lines).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(lines).toEqual(['  … E00 waiting for keepalive (1 s)']);
    vi.advanceTimersByTime(20_000); // the same message: nothing new
    expect(lines).toHaveLength(1);
    say('cut the link');
    vi.advanceTimersByTime(1000);
    expect(lines.at(-1)).toBe('  … E00 cut the link (22 s)');
    vi.advanceTimersByTime(29_000);
    expect(lines).toHaveLength(2);
    vi.advanceTimersByTime(1000); // 30 s of the same message: said again
    expect(lines.at(-1)).toBe('  … E00 cut the link (52 s)');
    finish();
    await running;
    vi.advanceTimersByTime(60_000); // the interval is gone with the run
    expect(lines).toHaveLength(3);
  });
});
