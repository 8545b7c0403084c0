// Rows for Poller (the libuv poll handle's owner) and pollHandleCount. Pollers are made on pool
// fds, tracked in the batch, and closed at its end — before the pool's fds are closed.
import { Poller, pollHandleCount, type ReventsSource } from '../../../lib/index.js';
import type { Gen } from '../gen.js';
import { FuzzSentinel } from '../values.js';
import { call, invoke, read, type Call, type Row } from './common.js';
import { waitEvents } from './shapes.js';

/** A Poller of this batch, a fresh one on a pool socket, or a closed one. */
function poller(g: Gen): Poller {
  const { pollers, pool } = g.ctx;
  if (pollers.length > 0 && g.rng.chance(0.8)) return g.rng.pick(pollers);
  const sockets = pool.entries.filter((e) => e.isSocket);
  const made = new Poller(g.rng.pick(sockets).fd);
  track(g, made);
  if (g.rng.chance(0.1)) made.close();
  return made;
}

function track(g: Gen, made: Poller): void {
  g.ctx.pollers.push(made);
  g.ctx.atBatchEnd.push(() => made.close());
}

const row = (name: string, make: (g: Gen) => Call, weight = 1): Row => ({ name: `Poller#${name}`, weight, make });

/** The name a Poller puts in its errors: a string (undefined: the default), or (marked bad) something else. */
function syscallName(g: Gen): unknown {
  const name = g.string('syscall', ['poll', 'recv', 'accept4', ''], 'type', 0.85);
  if (name === undefined && g.bad.at(-1) === 'syscall') g.bad.pop();
  return name;
}

export const pollerRows: Row[] = [
  {
    name: 'new Poller',
    make: (g) => {
      const args: unknown[] = [g.fd()];
      if (g.rng.chance(0.5)) args.push(syscallName(g));
      if (args.length === 2 && g.rng.chance(0.3)) {
        if (g.rng.chance(0.8)) args.push(g.rng.pick([undefined, {}, g.ctx.pool.socketAt(0)]));
        else {
          g.bad.push('owner');
          args.push(g.rng.pick([5, 'owner', null, Symbol('o')]));
        }
      }
      return {
        args,
        run: () => Reflect.construct(Poller, args),
        after: (result) => void (result instanceof Poller && track(g, result)),
      };
    },
  },
  row('closed', (g) => read(poller(g), 'closed'), 0.3),
  row('waiting', (g) => read(poller(g), 'waiting'), 0.3),
  row('handleState', (g) => read(poller(g), 'handleState'), 0.3),
  row('armed', (g) => read(poller(g), 'armed'), 0.3),
  row('watching', (g) => read(poller(g), 'watching'), 0.3),
  row(
    'wait',
    (g) => {
      const target = poller(g);
      const args: unknown[] = [waitEvents(g), g.waitOptions()];
      if (g.rng.chance(0.4)) args.push(syscallName(g));
      if (args.length === 3 && g.rng.chance(0.5)) {
        if (g.rng.chance(0.8)) args.push(g.rng.pick([undefined, 5, 1000, Infinity]));
        else {
          g.bad.push('reportedTimeout');
          args.push(g.rng.pick(['5', null, Symbol('t'), {}]));
        }
      }
      if (args.length === 4 && g.rng.chance(0.5)) args.push(revents(g));
      return invoke(target, 'wait', args);
    },
    3,
  ),
  row('watch', (g) => {
    const target = poller(g);
    let listener: unknown = () => undefined;
    if (g.rng.chance(0.15)) {
      g.bad.push('listener');
      listener = g.rng.pick([null, undefined, 5, 'listener', {}]);
    }
    return invoke(target, 'watch', [waitEvents(g), listener]);
  }),
  row('unwatch', (g) => invoke(poller(g), 'unwatch', [])),
  row('close', (g) => {
    const target = poller(g);
    let reason: unknown;
    const r = g.rng.int(10);
    if (r < 4) reason = undefined;
    else if (r < 8) reason = () => new FuzzSentinel();
    else {
      g.bad.push('reason');
      reason = g.rng.pick([5, 'reason', null, {}]);
    }
    return invoke(target, 'close', reason === undefined && g.rng.chance(0.5) ? [] : [reason]);
  }),
  row('ref', (g) => invoke(poller(g), 'ref', []), 0.3),
  row('unref', (g) => invoke(poller(g), 'unref', []), 0.3),
  row('hasRef', (g) => invoke(poller(g), 'hasRef', []), 0.3),
  { name: 'pollHandleCount', weight: 0.3, make: () => call([], pollHandleCount) },
];

/** The `revents` source of a wait: 'kernel', 'libuv', or anything else (which means 'kernel'). */
function revents(g: Gen): ReventsSource | unknown {
  if (g.rng.chance(0.8)) return g.rng.pick(['kernel', 'libuv', undefined]);
  return g.rng.pick(['Kernel', '', 5, null]);
}
