// E28 bind-one-ip: a server bound to one address of a host that has several — reachable through
// that address only. Two network namespaces made for the run (root, or an unprivileged user
// namespace). Run: npm run lab -- E28   (or npx tsx examples/28-bind-one-ip.ts)
import { bindOneIp, type BindOneIpData } from '../lib/lab/bind-one-ip.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample, notRunHere } from './narrate.js';

/** E28 in plain words. */
export function narrate(result: ExperimentResult<BindOneIpData>): string {
  const d = result.data;
  if (d.unavailable) return notRunHere(result, d.unavailable);
  const out = [header(result)];
  out.push(
    'The server host (a network namespace made for this run) has these interfaces (ip -j addr):',
    ...d.serverInterfaces.map(
      (i) => `  ${i.ifname.padEnd(4)} ${i.addresses.map((a) => `${a.local}/${a.prefixlen}`).join('  ')}`,
    ),
    '',
    `One listener is bound to a single address (${d.bound.one}), another to every address (${d.bound.any}).`,
    "The client, on another host cabled to both of the server's interfaces, connects to each port",
    'through each address:',
    '',
    ...d.attempts.map(
      (a) =>
        `  ${`${a.address}:${a.port}`.padEnd(22)} (listener bound to ${a.listener === 'one' ? d.bound.one.split(':')[0] : '0.0.0.0'})  →  ${a.code === '0' ? `connected, from ${a.local}` : a.code}`,
    ),
    '',
    'Seed 003 §03: a socket bound to one IP receives connections for that IP only. The SYN to the',
    "host's other address reaches the same kernel and the same port number, but no socket listens on",
    'that address:port pair, so the kernel answers RST and the client gets ECONNREFUSED — exactly as',
    'for a port nobody listens on. Bound to 0.0.0.0 (INADDR_ANY), the listener takes both.',
    `The server accepted ${d.accepted.length}: ${d.accepted.join(', ')}.`,
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(bindOneIp, narrate);
