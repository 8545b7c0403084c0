// The quickstart in the README is examples/quickstart.ts; this runs it and checks what it says,
// so the README's claims stay true.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('examples/quickstart.ts', () => {
  it('prints EINPROGRESS, SO_ERROR 0, EAGAIN, the -EAGAIN of the raw layer and EBADF after close', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/quickstart.ts'], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe('connect: EINPROGRESS');
    expect(lines[1]).toBe('SO_ERROR after POLLOUT: 0');
    expect(lines[2]).toBe('recv with no data: EAGAIN');
    expect(lines[3]).toBe('sys.recv === -EAGAIN: true');
    expect(lines[4]).toMatch(/^received 5 bytes: hello \(the server saw the client as 127\.0\.0\.1:\d+\)$/);
    expect(lines[5]).toBe('recv after close: EBADF');
  });
});
