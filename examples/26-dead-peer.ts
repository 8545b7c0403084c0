// E26 dead-peer: an idle connection whose peer host vanished. Without keepalive the blocked recv
// never learns; with SO_KEEPALIVE + TCP_KEEPIDLE/KEEPINTVL/KEEPCNT it fails -ETIMEDOUT. Two
// network namespaces made for the run (root, or an unprivileged user namespace).
// Run: npm run lab -- E26   (or npx tsx examples/26-dead-peer.ts)
// npm run lab -- --slow E26 (or SYSSOCK_LAB_SLOW=1) uses the kernel's default keepalive: over two hours.
import { deadPeer, type DeadPeerData } from '../lib/lab/dead-peer.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample, notRunHere } from './narrate.js';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** E26 in plain words. */
export function narrate(result: ExperimentResult<DeadPeerData>): string {
  const d = result.data;
  if (d.unavailable) return notRunHere(result, d.unavailable);
  const out = [header(result)];
  const plain = d.clients.find((x) => x.name === 'plain')!;
  const kept = d.clients.find((x) => x.name === 'keepalive')!;
  const ka = d.keepalive;
  out.push(
    'Two hosts, each a network namespace made for this run: the client 10.200.1.1 opens two idle',
    'connections to the server 10.200.1.2, which accepts them and never says a word.',
    `  plain:     no keepalive (SO_KEEPALIVE ${plain.options.keepalive})`,
    d.slow
      ? `  keepalive: SO_KEEPALIVE alone: the kernel's defaults, ${ka.idle} s idle, then ${ka.cnt} probes ${ka.intvl} s apart (slow mode)`
      : `  keepalive: SO_KEEPALIVE, TCP_KEEPIDLE ${ka.idle} s, TCP_KEEPINTVL ${ka.intvl} s, TCP_KEEPCNT ${ka.cnt}`,
    '',
    'Right after they connect, the server host vanishes: nothing it sends reaches the client and',
    'nothing reaches it (a permanent neighbour entry to a MAC nobody owns, on both sides — a silent',
    'drop). Both clients then call a blocking recv; /proc shows each asleep in it:',
    `  plain: ${plain.asleep}    keepalive: ${kept.asleep}`,
    '',
    `With keepalive, after ${ka.idle} s of silence the kernel sends a probe, then one every ${ka.intvl} s; when ${ka.cnt}`,
    `have gone unanswered it gives up: the blocked recv returned ${kept.code} ${seconds(kept.sinceConnectMs)} after connect`,
    `(idle + intvl × cnt = ${seconds(d.verdictMs)} after the last packet received), and the socket is ${kept.state};`,
    `the next recv returns ${kept.recvAgain}.`,
    '',
    `Without keepalive nothing is ever sent on an idle connection, so nothing can fail: the recv would`,
    `sleep forever. Only this experiment's own budget (SO_RCVTIMEO ${seconds(plain.rcvTimeoutMs)}, longer than the`,
    `keepalive verdict on purpose) ended it: ${plain.code} ${seconds(plain.sinceCutMs)} after the cut — and the connection`,
    `to a host that no longer exists is still ${plain.state} (tcpi_probes ${plain.probes}). Seed 004: an idle`,
    'peer that vanished is found only by someone sending — keepalive, or the application itself.',
  );
  if (!d.slow)
    out.push(
      '',
      'Keepalive on kernel defaults (tcp_keepalive_time 7200 s, 9 probes 75 s apart) takes over two',
      'hours: npm run lab -- --slow E26 waits for that.',
    );
  out.push('', checklist(result));
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(deadPeer, narrate);
