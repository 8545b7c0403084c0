// E08 bind-address: a listener bound to 127.0.0.1 versus one bound to 0.0.0.0, dialled through
// 127.0.0.1 and through another local address, 127.0.0.2. Run: npm run lab -- E08
// (or npx tsx examples/08-bind-address.ts)
import { formatAddress } from '../lib/address.js';
import { constants } from '../lib/constants.js';
import { bindAddress, type BindAddressData, type BoundListener } from '../lib/lab/bind-address.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

function describe(l: BoundListener): string[] {
  const lines = [`bind(${l.requested}) → getsockname says ${formatAddress(l.bound)}:`];
  for (const d of l.dials)
    lines.push(
      d.result === 0
        ? `  connect to ${d.via.padEnd(16)} → 0, connected; the accepted socket's local address is ${d.acceptedLocal}` +
            ` (the client's is ${d.clientLocal})`
        : `  connect to ${d.via.padEnd(16)} → ${d.result} (${d.code}): refused`,
    );
  return lines;
}

/** What the clients' own addresses were: the kernel picks the source address from the route. */
function clientSources(l: BoundListener): string[] {
  const sources = new Set(l.dials.map((d) => d.clientLocal?.split(':')[0] ?? '?'));
  if (sources.size === 1)
    return [
      `Note the client side: whichever 127.x address it dialled, its own source address was ${[...sources][0]}`,
      '(the kernel picks the source address from the route, and the route for 127.0.0.0/8 prefers 127.0.0.1).',
    ];
  return [`Note the client side: its own source addresses were ${[...sources].join(', ')}, picked from the route.`];
}

/** E08 in plain words. */
export function narrate(result: ExperimentResult<BindAddressData>): string {
  const { loopbackOnly, wildcard, holder } = result.data;
  const out = [header(result)];
  out.push(
    'One machine, two of its own addresses: 127.0.0.1 and 127.0.0.2. Linux treats the whole',
    '127.0.0.0/8 block as local (one route sends all of it to the loopback interface), so 127.0.0.2',
    "works without any setup — it stands in for the second network card of seed 001's example",
    '(a LAN address next to a public one).',
    '',
    ...describe(loopbackOnly),
    `  (${formatAddress(holder)} was held by a bound, non-listening socket, so nobody else could listen there.)`,
    '',
    ...describe(wildcard),
    '',
    'What the seed said, checked: binding 127.0.0.1 makes a service reachable from this machine',
    'through that one address only — a connect to the same port on another address of the same',
    `machine is refused (ECONNREFUSED, errno ${constants.ECONNREFUSED}: no socket listens on that address:port pair,`,
    'so the kernel answers the SYN with a reset). Binding 0.0.0.0 (INADDR_ANY) accepts on every',
    'local address, and getsockname of each accepted connection tells which address the client',
    'actually used — the way a wildcard server finds out which of its addresses was dialled.',
    ...clientSources(wildcard),
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(bindAddress, narrate);
