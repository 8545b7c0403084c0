// sys.signal: sigaction(2) with SIG_DFL/SIG_IGN. The process-wide change is made only in child
// processes, never in the test process itself.
import { spawnSync } from 'node:child_process';
import { constants as os } from 'node:os';
import { describe, expect, it } from 'vitest';
import { constants as c, sys } from '../lib/index.js';

describe('sys.signal', () => {
  it('rejects a disposition other than default/ignore with ERR_INVALID_ARG_VALUE', () => {
    expect(() => sys.signal(os.signals.SIGPIPE, 'handler' as 'default')).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }),
    );
  });

  it('returns -EINVAL for SIGKILL, whose disposition cannot change', () => {
    expect(sys.signal(os.signals.SIGKILL, 'default')).toBe(-c.EINVAL);
  });

  it('with SIGPIPE back at its default, a send on a reset connection kills the process with SIGPIPE', () => {
    // The child makes a connected AF_UNIX pair, closes one end, restores SIGPIPE and sends.
    const script = `
      const { sys, constants: c } = await import(${JSON.stringify(new URL('../lib/index.ts', import.meta.url).href)});
      const sv = new Int32Array(2);
      if (sys.socketpair(c.AF_UNIX, c.SOCK_STREAM, 0, sv) !== 0) process.exit(3);
      sys.close(sv[1]);
      if (sys.signal((await import('node:os')).constants.signals.SIGPIPE, 'default') !== 0) process.exit(4);
      const r = sys.send(sv[0], Buffer.from('x'), 0, 1, 0);
      console.log('survived', r);
      process.exit(5);`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.stdout).toBe('');
    expect(run.signal).toBe('SIGPIPE');
  });
});
