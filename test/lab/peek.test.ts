// E17 peek: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/17-peek.js';
import { constants } from '../../lib/index.js';
import { peek, type Look, type PeekData } from '../../lib/lab/peek.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<PeekData>;

beforeAll(async () => {
  result = await peek.run();
}, 20_000);

function at(situation: string): Look {
  const found = [...result.data.looks, ...result.data.resetLooks].find((l) => l.situation === situation);
  if (!found) throw new Error(`no call for "${situation}"`);
  return found;
}

describe('E17 peek', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('peek returns the bytes and leaves them; the next recv returns the same bytes', () => {
    const first = at('after the peer sent "hello"');
    expect(first.call).toBe('peek');
    expect(first.returned).toBe(5);
    expect(first.text).toBe('hello');
    expect(first.recvQ).toBe(5);
    const second = at('peeked once already');
    expect([second.returned, second.text, second.recvQ]).toEqual([5, 'hello', 5]);
    const read = at('peeked twice');
    expect(read.call).toBe('recv');
    expect([read.returned, read.text, read.recvQ]).toEqual([5, 'hello', 0]);
  });

  it('peek|DONTWAIT: -EAGAIN while alive and idle, > 0 with data, 0 once closed', () => {
    for (const s of ['connected, nothing sent yet', 'everything read, peer still connected']) {
      expect(at(s).returned).toBe(-constants.EAGAIN!);
      expect(at(s).code).toBe('EAGAIN');
    }
    expect(at('after the peer sent "hello"').returned).toBeGreaterThan(0);
    expect(at('read everything the closed peer sent').returned).toBe(0);
    expect(at('peeked the end already').returned).toBe(0);
    expect(result.data.verdicts.map((v) => v.verdict)).toEqual([
      'alive, nothing yet',
      'data',
      'data',
      'closed',
      'error',
    ]);
  });

  it('bytes sent before the FIN are seen first: peek returns them although the FIN has arrived', () => {
    expect(result.data.stateAfterFin).toBe('CLOSE_WAIT');
    const l = at('the peer sent "bye" and closed');
    expect([l.returned, l.text]).toEqual([3, 'bye']);
  });

  it('a reset peer: peek gives -ECONNRESET once, then 0', () => {
    const [rst, after] = result.data.resetLooks;
    expect(rst!.returned).toBe(-constants.ECONNRESET!);
    expect(rst!.code).toBe('ECONNRESET');
    expect(after!.returned).toBe(0);
  });

  it('MSG_DONTWAIT leaves the fd blocking', () => {
    expect(result.data.nonBlockingAfter).toBe(false);
  });

  it('the example narrates the real results', () => {
    const text = narrate(result);
    expect(text).toContain('5 "hello"');
    expect(text).toContain('-EAGAIN');
    expect(text).toContain('-ECONNRESET');
    expect(text).toContain('CLOSE_WAIT');
  });
});
