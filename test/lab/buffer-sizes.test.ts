// E18 buffer-sizes: the "must show" of shared/EXPERIMENTS.md, asserted on a real run. Sizes that
// depend on this machine's sysctls are compared with the sysctls, read here from /proc.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/18-buffer-sizes.js';
import { bufferSizes, HUGE, SEED_RCVBUF, SEED_SNDBUF, type BufferSizesData } from '../../lib/lab/buffer-sizes.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

const isRoot = process.getuid?.() === 0;
const sysctl = (name: string) => Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8').trim());
let result: ExperimentResult<BufferSizesData>;

beforeAll(async () => {
  result = await bufferSizes.run();
}, 30_000);

describe('E18 buffer-sizes', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('set N, read back 2N', () => {
    expect(result.data.doubling).toEqual([
      { option: 'SO_SNDBUF', set: SEED_SNDBUF, readBack: 2 * SEED_SNDBUF },
      { option: 'SO_RCVBUF', set: SEED_RCVBUF, readBack: 2 * SEED_RCVBUF },
    ]);
    for (const r of result.data.aboveFloor) expect(r.readBack).toBe(2 * r.set);
  });

  it('the floor: tiny values read back one fixed minimum, above 2N', () => {
    for (const option of ['SO_SNDBUF', 'SO_RCVBUF']) {
      const [one, sixtyFour] = result.data.floor.filter((r) => r.option === option);
      expect([one!.set, sixtyFour!.set]).toEqual([1, 64]);
      expect(one!.readBack).toBe(sixtyFour!.readBack);
      expect(one!.readBack).toBeGreaterThan(2 * 64);
    }
  });

  it('the ceiling: a huge value reads back 2 × net.core.wmem_max / rmem_max', () => {
    const [snd, rcv] = result.data.ceiling;
    expect(snd!.set).toBe(HUGE);
    expect(snd!.readBack).toBe(2 * Math.min(HUGE, sysctl('wmem_max')));
    expect(rcv!.readBack).toBe(2 * Math.min(HUGE, sysctl('rmem_max')));
    expect(result.data.sysctls.wmemMax).toBe(sysctl('wmem_max'));
  });

  // Exactly two outcomes, by privilege: root (CAP_NET_ADMIN) passes the ceiling, others get EPERM.
  it(`SO_SNDBUFFORCE: ${isRoot ? 'as root, passes the ceiling' : 'without root, EPERM'}`, () => {
    const force = result.data.force!;
    if (isRoot) {
      expect(force.code).toBeNull();
      expect(force.readBack).toBe(2 * force.set);
      expect(force.readBack).toBeGreaterThan(2 * sysctl('wmem_max'));
    } else {
      expect(force.code).toBe('EPERM');
      expect(force.readBack).toBeNull();
    }
  });

  it('an accepted socket inherits the listener’s sizes', () => {
    const { listener, accepted, afterListen, untouched } = result.data.inherit;
    expect(listener).toEqual({ rcvbuf: 2 * SEED_RCVBUF, sndbuf: 2 * SEED_SNDBUF });
    expect(accepted).toEqual(listener);
    expect(untouched.rcvbuf).not.toBe(accepted.rcvbuf);
    expect(afterListen.acceptedRcvbuf).toBe(afterListen.listenerRcvbuf);
  });

  it('the client must set SO_RCVBUF before connect: the handshake window follows it only then', () => {
    const [dflt, before, after] = result.data.handshake;
    expect(before!.announcedWindow).not.toBeNull();
    expect(before!.announcedWindow!).toBeLessThanOrEqual(before!.clientRcvbuf);
    expect(before!.announcedWindow!).toBeLessThan(dflt!.announcedWindow!);
    expect(after!.announcedWindow).toBe(dflt!.announcedWindow);
    expect(after!.clientRcvbuf).toBe(before!.clientRcvbuf);
  });

  it('smaller buffers: far fewer bytes before EAGAIN; accepted == Send-Q + Recv-Q at rest', () => {
    const [big, small] = result.data.fills;
    for (const f of [big!, small!]) {
      expect(f.lastCode).toBe('EAGAIN');
      expect(f.sendQ + f.recvQ).toBe(f.accepted);
    }
    expect(small!.sndbuf).toBe(2 * SEED_SNDBUF);
    expect(small!.rcvbuf).toBe(2 * SEED_RCVBUF);
    expect(small!.accepted * 10).toBeLessThan(big!.accepted);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const [big, small] = result.data.fills;
    expect(text).toContain(`${small!.accepted} bytes`);
    expect(text).toContain(`${big!.accepted} bytes`);
    expect(text).toContain(String(result.data.ceiling[0]!.readBack));
    expect(text).toContain(`announced window ${result.data.handshake[1]!.announcedWindow}`);
  });
});
