// E28 bind-one-ip: the "must show" of shared/EXPERIMENTS.md, asserted on a real run in network
// namespaces, and that nothing of ours is left afterwards (also after an aborted run).
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/28-bind-one-ip.js';
import { bindOneIp, type BindOneIpData } from '../../lib/lab/bind-one-ip.js';
import { netnsSupport } from '../../lib/lab/netns.js';
import type { ExperimentResult } from '../../lib/lab/types.js';
import { snapshot, type Snapshot } from '../helpers/netns-leftovers.js';

const support = netnsSupport();
if (!support.ok) console.warn(`E28 bind-one-ip skipped: needs network namespaces: ${support.reason}`);

describe.skipIf(!support.ok)('E28 bind-one-ip', () => {
  let before: Snapshot;
  let result: ExperimentResult<BindOneIpData>;

  beforeAll(async () => {
    before = snapshot();
    result = await bindOneIp.run();
  }, 20_000);

  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it("lists the server host's interfaces and addresses: two 10.200 addresses on two interfaces, and lo", () => {
    const names = result.data.serverInterfaces.map((i) => i.ifname).sort();
    expect(names).toEqual(['lo', 's0', 's1']);
    expect(result.data.serverAddresses.sort()).toEqual(['10.200.1.2', '10.200.2.2']);
  });

  it('bound to one address: connect there succeeds, to the other address of the same host ECONNREFUSED', () => {
    const [here, there, anyHere, anyThere] = result.data.attempts;
    expect(result.data.bound.one).toMatch(/^10\.200\.1\.2:\d+$/);
    expect(here).toMatchObject({ listener: 'one', address: '10.200.1.2', code: '0' });
    expect(there).toMatchObject({ listener: 'one', address: '10.200.2.2', code: 'ECONNREFUSED' });
    expect(here!.port).toBe(there!.port);
    expect([anyHere!.code, anyThere!.code]).toEqual(['0', '0']);
    expect(result.data.accepted).toHaveLength(3);
  });

  it('the example narrates the real addresses', () => {
    const text = narrate(result);
    expect(text).toContain('s1   10.200.2.2/24');
    expect(text).toContain(`10.200.2.2:${result.data.attempts[1]!.port}`);
    expect(text).toContain('ECONNREFUSED');
  });

  it('leaves nothing: no namespace, no link, no child process', () => {
    expect(snapshot()).toEqual(before);
  });

  it('aborted once the server listens (RunOptions.signal): nothing left', async () => {
    const controller = new AbortController();
    const run = bindOneIp.run({
      signal: controller.signal,
      progress: (m) => m.startsWith('client:') && controller.abort(new Error('test abort')),
    });
    await expect(run).rejects.toThrow(/test abort/);
    expect(snapshot()).toEqual(before);
  }, 20_000);
});
