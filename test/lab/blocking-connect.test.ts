// E06 blocking-connect: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/06-blocking-connect.js';
import { constants } from '../../lib/index.js';
import { blockingConnect, type BlockingConnectData } from '../../lib/lab/blocking-connect.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
let result: ExperimentResult<BlockingConnectData>;

beforeAll(async () => {
  result = await blockingConnect.run();
}, 20_000);

describe('E06 blocking-connect', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('a blocking connect to a listener returns 0', () => {
    expect(result.data.toListener.result).toBe(0);
    expect(result.data.toListener.code).toBe('0');
  });

  it('a blocking connect to a closed loopback port returns -ECONNREFUSED', () => {
    expect(result.data.toClosedPort.result).toBe(-constants.ECONNREFUSED!);
    expect(result.data.toClosedPort.code).toBe('ECONNREFUSED');
  });

  it('with the accept queue full, the thread sleeps inside connect on its fd, in SYN_SENT', () => {
    const { where, stateWhileAsleep } = result.data.toFullQueue;
    expect(where.state).toBe('S');
    expect(where.syscall?.name).toBe('connect');
    expect(where.syscall?.number).toBe(constants.SYS_connect);
    expect(stateWhileAsleep).toBe('SYN_SENT');
    // The kernel queues backlog + 1 connections before it drops SYNs (sk_acceptq_is_full uses >).
    expect(result.data.toFullQueue.queue.length).toBe(result.data.toFullQueue.backlog + 1);
  });

  it.runIf(isRoot)('as root, the kernel stack goes through __inet_stream_connect', () => {
    expect(result.data.toFullQueue.where.stack).toContain('__inet_stream_connect');
  });
  if (!isRoot) console.warn('E06: kernel-stack assertion skipped: /proc/<tid>/stack is readable by root only');

  it('SO_SNDTIMEO ends that wait with -EINPROGRESS after about the timeout; the socket stays SYN_SENT', () => {
    const q = result.data.toFullQueue;
    expect(q.result).toBe(-constants.EINPROGRESS!);
    expect(q.ms).toBeGreaterThanOrEqual(q.sndtimeoMs * 0.9);
    expect(q.ms).toBeLessThan(q.sndtimeoMs + 1000);
    expect(q.stateAfter).toBe('SYN_SENT');
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain(`${-constants.ECONNREFUSED!} (ECONNREFUSED)`);
    expect(text).toContain(`127.0.0.1:${result.data.toClosedPort.address.port}`);
    expect(text).toContain(`${result.data.toFullQueue.ms.toFixed(0)} ms`);
    expect(text).toContain('EINPROGRESS');
  });
});
