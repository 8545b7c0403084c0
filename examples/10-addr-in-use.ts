// E10 addr-in-use: bind on a busy port, and a server restarted while its old connection is in
// TIME_WAIT, with and without SO_REUSEADDR. Run: npm run lab -- E10   (or npx tsx examples/10-addr-in-use.ts)
import { constants } from '../lib/constants.js';
import { addrInUse, type AddrInUseData, type AddrInUseRound } from '../lib/lab/addr-in-use.js';
import { resultName } from '../lib/lab/group-b.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { tcpStateName } from '../lib/tcp-info.js';
import { checklist, header, isMain, runExample } from './narrate.js';

const r = (n: number | null) => (n === null ? '-' : n === 0 ? '0 (ok)' : `${n} (${resultName(n)})`);

function roundText(x: AddrInUseRound): string[] {
  const tw = x.serverSide[0];
  return [
    `Old listener ${x.oldReuseaddr ? 'WITH' : 'WITHOUT'} SO_REUSEADDR, on 127.0.0.1:${x.port}:`,
    `  while it listens, a second bind:         plain ${r(x.whileListening.plain)}, with SO_REUSEADDR ${r(x.whileListening.reuseaddr)}`,
    `  after the server closed first, the client second, the listener last, /proc/net/tcp showed`,
    `    ${tw ? `${tw.localAddress}:${tw.localPort} ↔ ${tw.remoteAddress}:${tw.remotePort} ${tcpStateName(tw.state)}` : 'nothing'}` +
      (x.timeWaitLeftMs !== null ? `, ${(x.timeWaitLeftMs / 1000).toFixed(1)} s left` : '') +
      ` — and nothing for the client's side (:${x.clientPort}).`,
    `  then a new server's bind:                 plain ${r(x.afterClose.plain)}, with SO_REUSEADDR ${r(x.afterClose.reuseaddr)}` +
      (x.afterClose.listen !== null ? `, listen ${r(x.afterClose.listen)}` : ''),
  ];
}

/** E10 in plain words. */
export function narrate(result: ExperimentResult<AddrInUseData>): string {
  const [without, withIt] = result.data.rounds;
  const out = [header(result)];
  out.push(
    'Seed 003 ran its server twice on port 4000 and got "Address already in use (error 98)"; then it',
    'killed the server, restarted it at once, and got the same error. Both, re-created on loopback:',
    '',
  );
  for (const x of [without, withIt]) if (x) out.push(...roundText(x), '');
  const left = without?.timeWaitLeftMs;
  out.push(
    `The error is EADDRINUSE, errno ${constants.EADDRINUSE} on this machine too. A listening socket owns its port outright:`,
    'even with SO_REUSEADDR on both, a second bind fails (sharing a listening port is what SO_REUSEPORT is for).',
    '',
    'After the restart, what holds the port is not the old process (it is gone) but its connection:',
    'the side that closes first goes to TIME_WAIT, here the server — which is why restarting a server',
    'hits this and restarting a client does not.',
    left != null
      ? `The kernel keeps TIME_WAIT for ${(left / 1000).toFixed(0)} s here (Linux's TCP_TIMEWAIT_LEN); the seed's "two minutes" is the RFC's 2 × MSL.`
      : 'The seed says a port waits "two minutes" (the RFC\'s 2 × MSL); the time left was not readable here.',
    '',
    'SO_REUSEADDR lets a new socket bind next to TIME_WAIT connections, but only if the old socket',
    'had the flag too: the TIME_WAIT entry inherits it from the listener, and bind allows the share',
    `only when both sides carry it. With the flag on the new socket only: ${resultName(without?.afterClose.reuseaddr ?? 0)}.`,
    `With it on both: bind ${resultName(withIt?.afterClose.reuseaddr ?? -1)}, listen ${withIt?.afterClose.listen === null ? '-' : resultName(withIt?.afterClose.listen ?? -1)}. That is why servers set SO_REUSEADDR before their first bind.`,
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(addrInUse, narrate);
