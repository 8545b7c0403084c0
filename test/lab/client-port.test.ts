// E09 client-port: the "must show" of shared/EXPERIMENTS.md, asserted on a real run.
import { beforeAll, describe, expect, it } from 'vitest';
import { narrate } from '../../examples/09-client-port.js';
import { constants } from '../../lib/index.js';
import { clientPort, type ClientCase, type ClientPortData } from '../../lib/lab/client-port.js';
import type { ExperimentResult } from '../../lib/lab/types.js';

let result: ExperimentResult<ClientPortData>;

beforeAll(async () => {
  result = await clientPort.run();
}, 20_000);

function byVariant(variant: ClientCase['variant']): ClientCase {
  const found = result.data.cases.find((c) => c.variant === variant);
  if (!found) throw new Error(`no case ${variant}`);
  return found;
}

/** Inside net.ipv4.ip_local_port_range as the experiment read it (a relation, not a fixed number). */
function ephemeral(port: number): boolean {
  const range = result.data.range;
  return range ? port >= range[0] && port <= range[1] : port > 0;
}

describe('E09 client-port', () => {
  it('every claim held', () => {
    expect(result.claims.filter((c) => !c.held)).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('without bind: port 0 before connect, an ephemeral port after; the server sees that port', () => {
    const c = byVariant('no bind');
    expect(c.beforeConnect.port).toBe(0);
    expect(c.connect).toBe(0);
    expect(ephemeral(c.afterConnect.port)).toBe(true);
    expect(c.serverSaw).toEqual(c.afterConnect);
  });

  it('bind port 0: an ephemeral port already after bind, kept by connect; the server sees it', () => {
    const c = byVariant('bind port 0');
    expect(ephemeral(c.beforeConnect.port)).toBe(true);
    expect(c.afterConnect).toEqual(c.beforeConnect);
    expect(c.serverSaw).toEqual(c.afterConnect);
  });

  it('a fixed port: the server sees exactly it; a second bind to it gives -EADDRINUSE', () => {
    const c = byVariant('bind a fixed port');
    expect(result.data.fixedPort).toBeGreaterThan(0);
    expect(c.beforeConnect.port).toBe(result.data.fixedPort);
    expect(c.serverSaw?.port).toBe(result.data.fixedPort);
    expect(result.data.secondBind).toBe(-constants.EADDRINUSE!);
  });

  it('SO_REUSEADDR on both: bind 0; connect to the same server -EADDRNOTAVAIL; to another server 0', () => {
    const r = result.data.reuseBoth;
    expect(r.bind).toBe(0);
    expect(r.connectSameServer).toBe(-constants.EADDRNOTAVAIL!);
    expect(r.otherBind).toBe(0);
    expect(r.connectOtherServer).toBe(0);
    expect(r.otherPort).toBe(r.port);
  });

  it('every port in the sequences is ephemeral and distinct', () => {
    const all = [...result.data.sequence.connectPicked, ...result.data.sequence.bindPicked];
    expect(all.every(ephemeral)).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  it('the example narrates the real numbers', () => {
    const text = narrate(result);
    expect(text).toContain(`127.0.0.1:${byVariant('no bind').afterConnect.port}`);
    expect(text).toContain(`${result.data.fixedPort}`);
    expect(text).toContain(`${-constants.EADDRINUSE!}`);
    expect(text).toContain(result.data.sequence.connectPicked.join(', '));
  });
});
