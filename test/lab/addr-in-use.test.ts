// E10 addr-in-use: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/10-addr-in-use.js';
import { constants } from '../../lib/index.js';
import { addrInUse, type AddrInUseData, type AddrInUseRound } from '../../lib/lab/addr-in-use.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<AddrInUseData>;

beforeAll(async () => {
  result = await addrInUse.run();
}, 20_000);

function round(oldReuseaddr: boolean): AddrInUseRound {
  const found = result.data.rounds.find((r) => r.oldReuseaddr === oldReuseaddr);
  if (!found) throw new Error(`no round with oldReuseaddr=${oldReuseaddr}`);
  return found;
}

describe('E10 addr-in-use', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('while the first listens, a second bind gets -EADDRINUSE, with or without SO_REUSEADDR', () => {
    for (const r of result.data.rounds) {
      expect(r.whileListening.plain).toBe(-constants.EADDRINUSE!);
      expect(r.whileListening.reuseaddr).toBe(-constants.EADDRINUSE!);
    }
  });

  it('the server side, which closed first, is in TIME_WAIT; the client side left no entry', () => {
    for (const r of result.data.rounds) {
      expect(r.serverSide.length).toBeGreaterThan(0);
      for (const e of r.serverSide) {
        expect(e.state).toBe(constants.TCP_TIME_WAIT);
        expect(e.localAddress).toBe('127.0.0.1');
        expect(e.remotePort).toBe(r.clientPort);
      }
      expect(r.clientSide).toEqual([]);
    }
  });

  it('during TIME_WAIT: -EADDRINUSE without SO_REUSEADDR, and with it on the new socket only', () => {
    expect(round(false).afterClose.plain).toBe(-constants.EADDRINUSE!);
    expect(round(false).afterClose.reuseaddr).toBe(-constants.EADDRINUSE!);
    expect(round(false).afterClose.listen).toBeNull();
    expect(round(true).afterClose.plain).toBe(-constants.EADDRINUSE!);
  });

  it('during TIME_WAIT with SO_REUSEADDR on the old and the new socket: bind 0, listen 0', () => {
    expect(round(true).afterClose.reuseaddr).toBe(0);
    expect(round(true).afterClose.listen).toBe(0);
  });

  it('the TIME_WAIT time left, when readable, is positive', () => {
    for (const r of result.data.rounds) if (r.timeWaitLeftMs !== null) expect(r.timeWaitLeftMs).toBeGreaterThan(0);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    for (const r of result.data.rounds) {
      expect(text).toContain(`127.0.0.1:${r.port}`);
      expect(text).toContain(`:${r.clientPort}`);
    }
    expect(text).toContain(`${-constants.EADDRINUSE!} (EADDRINUSE)`);
    expect(text).toContain('TIME_WAIT');
  });
});
