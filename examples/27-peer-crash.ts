// E27 peer-crash: the peer process crashes (FIN), the peer host crashes (silence), the peer host
// reboots (RST → ECONNRESET). Two network namespaces made for the run (root, or an unprivileged
// user namespace). Run: npm run lab -- E27   (or npx tsx examples/27-peer-crash.ts)
import { errnoName } from '../lib/constants.js';
import { pollNames } from '../lib/lab/group-b.js';
import { peerCrash, type PeerCrashData } from '../lib/lab/peer-crash.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample, notRunHere } from './narrate.js';

const code = (x: number) => (x < 0 ? errnoName(x) : String(x));

/** E27 in plain words. */
export function narrate(result: ExperimentResult<PeerCrashData>): string {
  const d = result.data;
  if (d.unavailable) return notRunHere(result, d.unavailable);
  const out = [header(result)];
  const a = d.processCrash!;
  const b = d.hostGone!;
  const r = d.reboot!;
  out.push(
    'Two hosts, each a network namespace made for this run: a client 10.200.1.1 and a server host',
    '10.200.1.2 running two server processes, one connection each. Seed 004 asks what the client',
    'sees when "the server dies" — and the answer depends on what died.',
    '',
    `(a) The process crashes (kill -9). The client was asleep in recv (${a.asleep}).`,
    "    The host is fine, and its kernel closes a dead process's sockets like any other: FIN.",
    `    recv returned ${code(a.recv)} ${a.afterKillMs.toFixed(1)} ms after the kill — "the peer closed".`,
    '',
    '(b) The host crashes: its link goes down (ip link set dev s0 down), nobody is left to send',
    `    anything. The client waits with poll(POLLIN|POLLRDHUP, ${b.quietMs} ms): ${b.poll} after ${Math.round(b.elapsedMs)} ms —`,
    `    no FIN, no RST, no error. The connection is still ${b.state}; on an idle connection only`,
    '    keepalive (E26) or a send (E25) can find out.',
    '',
    '(c) The host reboots: the server process is killed while the link is down. It had set',
    '    SO_LINGER {on, 0}, so its kernel discarded the connection instead of keeping it in FIN_WAIT,',
    `    and the RST it sent was lost on the down link; ss finds ${r.serverSockets.length === 0 ? 'no socket' : r.serverSockets.join('; ')} on the port.`,
    '    The link comes back. The client, knowing nothing, sends:',
    `      send → ${code(r.send1)} (queued: send only hands bytes to the kernel)`,
    `      the server host has no socket for that segment and answers RST: poll → ${pollNames(r.revents).join('|')}`,
    `      send → ${code(r.send2)} (the error the RST left, reported once)`,
    `      send → ${code(r.send3)} (the connection is gone; the socket is ${r.state})`,
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(peerCrash, narrate);
