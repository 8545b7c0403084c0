// E09 client-port: which local port a client gets — without bind, with bind(port 0), with a fixed
// port — and what the server sees. Run: npm run lab -- E09   (or npx tsx examples/09-client-port.ts)
import { formatAddress } from '../lib/address.js';
import { constants } from '../lib/constants.js';
import { clientPort, type ClientPortData } from '../lib/lab/client-port.js';
import { resultName } from '../lib/lab/group-b.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

const parity = (ports: number[]) =>
  ports.every((p) => p % 2 === 0) ? 'all even' : ports.every((p) => p % 2 === 1) ? 'all odd' : 'mixed parity';
const steps = (ports: number[]) => ports.slice(1).map((p, i) => p - ports[i]!);

/** E09 in plain words. */
export function narrate(result: ExperimentResult<ClientPortData>): string {
  const { range, cases, fixedPort, secondBind, reuseBoth, sequence } = result.data;
  const out = [header(result)];
  out.push(
    "A server on 127.0.0.1 accepts clients made three ways; each row shows the client's own address",
    "before and after connect, and the peer address the server's accept returned.",
    '',
  );
  for (const c of cases)
    out.push(
      `  ${c.variant.padEnd(18)} before connect ${formatAddress(c.beforeConnect).padEnd(16)} after ${formatAddress(c.afterConnect).padEnd(16)}` +
        ` server saw ${c.serverSaw ? formatAddress(c.serverSaw) : 'nothing'}`,
    );
  out.push(
    '',
    `Without bind the socket has port 0 until connect picks one from ip_local_port_range (${range ? `${range[0]}–${range[1]}` : 'unreadable'}`,
    'here); bind with port 0 picks one at bind time. Seed 001 says "binding port 0 is the same as not',
    'binding" — true for the port the server sees, but the moment differs, and so does the way the',
    'kernel chooses:',
    `  ${sequence.connectPicked.length} connects without bind got ${sequence.connectPicked.join(', ')} (${parity(sequence.connectPicked)}, steps ${steps(sequence.connectPicked).join(', ')})`,
    `  ${sequence.bindPicked.length} bind(port 0) calls got   ${sequence.bindPicked.join(', ')} (${parity(sequence.bindPicked)})`,
    "  Linux tries ports of the parity of the range's low end first for connect and the other parity",
    '  for bind(0), so the two seldom compete. For one destination, connect walks upward from a',
    '  per-destination starting point. Seed 003 (a 2017 kernel) saw its server print 56916, 56918,',
    '  56920, 56922: steps of exactly 2. Since Linux 5.18 (2022) the kernel adds a small random even',
    steps(sequence.connectPicked).every((d) => d === 2)
      ? '  step each time, so that the next port cannot be guessed (this run happened to get steps of 2).'
      : '  step each time, so that the next port cannot be guessed — hence the uneven steps above.',
    '',
    `With a fixed port (${fixedPort}, one the kernel had just reported free, rather than the seed's 20000,`,
    `which might be taken here) the server saw exactly that port, and a second client binding it got ${secondBind}`,
    `(${resultName(secondBind)}, errno ${constants.EADDRINUSE}) — the seed's "bind socket error".`,
    '',
    `The finer point: that error comes from bind's default rule. With SO_REUSEADDR on both clients, the`,
    `second bind to port ${reuseBoth.port} returned ${resultName(reuseBoth.bind)}; what may not repeat is the connection itself, the 4-tuple`,
    `(source address:port, destination address:port). Connecting it to the same server gave`,
    `${resultName(reuseBoth.connectSameServer)}; a third client on that port connected to another server: ${resultName(reuseBoth.connectOtherServer)}.`,
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(clientPort, narrate);
