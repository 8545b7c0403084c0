// E08 bind-address: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/08-bind-address.js';
import { constants } from '../../lib/index.js';
import { bindAddress, type BindAddressData } from '../../lib/lab/bind-address.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<BindAddressData>;

beforeAll(async () => {
  result = await bindAddress.run();
}, 20_000);

describe('E08 bind-address', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('bound to 127.0.0.1: getsockname says so; reachable via 127.0.0.1, 127.0.0.2 → -ECONNREFUSED', () => {
    const { bound, dials } = result.data.loopbackOnly;
    expect(bound.address).toBe('127.0.0.1');
    expect(bound.port).toBeGreaterThan(0);
    const [viaOne, viaOther] = dials;
    expect(viaOne!.via).toBe(`127.0.0.1:${bound.port}`);
    expect(viaOne!.result).toBe(0);
    expect(viaOne!.acceptedLocal).toBe(`127.0.0.1:${bound.port}`);
    expect(viaOther!.via).toBe(`127.0.0.2:${bound.port}`);
    expect(viaOther!.result).toBe(-constants.ECONNREFUSED!);
    expect(viaOther!.code).toBe('ECONNREFUSED');
    expect(viaOther!.acceptedLocal).toBeNull();
    expect(result.data.holder).toEqual({ family: constants.AF_INET, address: '127.0.0.2', port: bound.port });
  });

  it('bound to 0.0.0.0: getsockname says so; reachable via both; accepted local address = the one dialled', () => {
    const { bound, dials } = result.data.wildcard;
    expect(bound.address).toBe('0.0.0.0');
    expect(dials.map((d) => d.result)).toEqual([0, 0]);
    expect(dials.map((d) => d.acceptedLocal)).toEqual([`127.0.0.1:${bound.port}`, `127.0.0.2:${bound.port}`]);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    const { loopbackOnly, wildcard } = result.data;
    expect(text).toContain(`127.0.0.2:${loopbackOnly.bound.port}`);
    expect(text).toContain(`${-constants.ECONNREFUSED!} (ECONNREFUSED)`);
    expect(text).toContain(`0.0.0.0:${wildcard.bound.port}`);
    expect(text).toContain(`127.0.0.2:${wildcard.bound.port}`);
  });
});
