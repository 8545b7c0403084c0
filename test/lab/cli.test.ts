// syssock-lab: list, run <id>, --json, exit codes. Run as the user runs it (a child process).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { experiments, experimentsFor, findExperiment, slowVariants } from '../../lib/lab/registry.js';

function lab(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'lib/lab/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('syssock-lab', () => {
  it('an experiment that cannot run here is skipped with the reason, fails no claim, and exits 0', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'lib/lab/cli.ts', 'run', 'E28', '--json'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, SYSSOCK_LAB_NO_NETNS: '1' },
    });
    expect(run.status, run.stderr).toBe(0);
    const [result] = JSON.parse(run.stdout) as { id: string; ok: boolean; skipped: string | null; claims: unknown[] }[];
    expect(result).toMatchObject({
      id: 'E28',
      ok: false,
      skipped: 'needs network namespaces: disabled by SYSSOCK_LAB_NO_NETNS=1',
      claims: [],
    });
    const text = spawnSync(process.execPath, ['--import', 'tsx', 'lib/lab/cli.ts', 'run', 'E28'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, SYSSOCK_LAB_NO_NETNS: '1' },
    });
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('– E28 bind-one-ip');
    expect(text.stdout).toContain('0 of 0 experiments that ran held every claim; 1 could not run here (–).');
  });

  it('list names every experiment of the registry with its id and slug', () => {
    const run = lab('list');
    expect(run.status).toBe(0);
    for (const e of experiments) expect(run.stdout).toContain(`${e.id}  ${e.slug}`);
  });

  it('the registry holds E01–E28 in id order, the two-host experiments included', () => {
    expect(experiments.map((e) => e.id)).toEqual(
      Array.from({ length: 28 }, (_, i) => `E${String(i + 1).padStart(2, '0')}`),
    );
    expect(experiments.slice(23).map((e) => e.slug)).toEqual([
      'unreachable',
      'network-cut',
      'dead-peer',
      'peer-crash',
      'bind-one-ip',
    ]);
  });

  it('list marks the experiments that have a --slow variant (E24–E27), and only those', () => {
    const run = lab('list');
    expect(run.status).toBe(0);
    const marked = run.stdout
      .split('\n')
      .flatMap((line, i, lines) => (lines[i + 2]?.includes('--slow:') ? [line.slice(0, 3)] : []));
    expect(marked).toEqual(['E24', 'E25', 'E26', 'E27']);
  });

  it('--slow swaps in the slow variants (same ids and order), by id and by slug; the usage names it', () => {
    const fast = experimentsFor();
    const slow = experimentsFor({ slow: true });
    expect(slow.map((e) => e.id)).toEqual(fast.map((e) => e.id));
    const swapped = slow.filter((e, i) => e !== fast[i]).map((e) => e.id);
    expect(swapped).toEqual(slowVariants.map((e) => e.id));
    expect(swapped).toEqual(['E24', 'E25', 'E26', 'E27']);
    expect(findExperiment('network-cut', { slow: true })).toBe(slowVariants[1]);
    expect(findExperiment('E25')).toBe(fast[24]);
    expect(findExperiment('E01', { slow: true })).toBe(fast[0]);
    const help = lab('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--slow');
  });

  it('run E01 --json prints one JSON array with id, title, ok, claims and data, and exits 0', () => {
    const run = lab('run', 'E01', '--json');
    expect(run.status).toBe(0);
    const results = JSON.parse(run.stdout) as {
      id: string;
      title: string;
      ok: boolean;
      claims: unknown[];
      data: unknown;
    }[];
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ id: 'E01', title: expect.any(String), ok: true, data: expect.any(Object) });
    expect(results[0]!.claims.length).toBeGreaterThan(0);
  });

  it('run by slug prints the claims and the findings summary', () => {
    const run = lab('run', 'blocking-send');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('✓ E01 blocking-send');
    expect(run.stdout).toContain('1 of 1 experiments held every claim.');
  });

  it('an unknown experiment exits 2 with a message, with --slow too', () => {
    for (const args of [
      ['run', 'E99'],
      ['run', 'E99', '--slow'],
    ]) {
      const run = lab(...args);
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('no experiment E99');
    }
  });

  it('no command prints the usage and exits 2', () => {
    const run = lab();
    expect(run.status).toBe(2);
    expect(run.stdout).toContain('usage: syssock-lab list');
  });
});
