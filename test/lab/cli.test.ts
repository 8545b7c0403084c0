// syssock-lab: list, run <id>, --json, exit codes. Run as the user runs it (a child process).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { experiments } from '../../lib/lab/registry.js';

function lab(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'lib/lab/cli.ts', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('syssock-lab', () => {
  it('list names every experiment of the registry with its id and slug', () => {
    const run = lab('list');
    expect(run.status).toBe(0);
    for (const e of experiments) expect(run.stdout).toContain(`${e.id}  ${e.slug}`);
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

  it('an unknown experiment exits 2 with a message', () => {
    const run = lab('run', 'E99');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('no experiment E99');
  });

  it('no command prints the usage and exits 2', () => {
    const run = lab();
    expect(run.status).toBe(2);
    expect(run.stdout).toContain('usage: syssock-lab list');
  });
});
