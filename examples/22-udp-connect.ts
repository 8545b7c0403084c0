// E22 udp-connect: what connect() changes for a UDP socket (seed 001).
// Run: npm run lab -- E22   (or npx tsx examples/22-udp-connect.ts)
import { constants as c } from '../lib/constants.js';
import { udpConnect, type Outcome, type UdpConnectData } from '../lib/lab/udp-connect.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

const show = (o: Outcome) => (o.code ? `-${o.code}` : String(o.returned));

/** poll revents as names: "POLLERR", "POLLIN|POLLERR", "nothing". */
function events(revents: number): string {
  const names = (['POLLIN', 'POLLOUT', 'POLLERR', 'POLLHUP'] as const).filter((n) => (revents & (c[n] ?? 0)) !== 0);
  return names.length > 0 ? names.join('|') : 'nothing';
}

/** E22 in plain words. */
export function narrate(result: ExperimentResult<UdpConnectData>): string {
  const { connected, refused, unconnected, truncation } = result.data;
  const out = [header(result)];
  out.push(
    'UDP sockets on 127.0.0.1, all nonblocking; every wait is a poll with a 2 s bound.',
    '',
    'connect() on UDP sends nothing on the wire. It records a default peer, so that:',
    `  - send/recv work without an address (send "ping" → ${show(connected.send)}, the peer's recv → ${show(connected.recv)} "${connected.recv.text}");`,
    `    without it, send has nowhere to go: ${show(connected.unconnectedSend)};`,
    '  - the socket accepts datagrams from that peer only (see the closed port below);',
    `  - connect(AF_UNSPEC) forgets the peer again (send → ${show(connected.afterUnspec)}), as seed 001 says.`,
    '',
    `The "closed port" ${refused.port} is held by a socket bound there and connected to itself: it takes`,
    "datagrams from itself only, so everyone else's get an ICMP port-unreachable back, and nobody else",
    'can take the port while the experiment runs.',
    '',
    'Connected to that closed port:',
    `  send → ${show(refused.send)}: accepted, UDP has no handshake to fail.`,
    `  The ICMP answer came back at once; poll(POLLIN) reported ${events(refused.revents)}.`,
    `  recv → ${show(refused.recv)}; the recv after it → ${show(refused.recvAgain)}: the error is reported once.`,
    `  It is reported to whatever call comes next: another send (${show(refused.sendThenSend.first)}), ${events(refused.sendThenSend.revents)},`,
    `  and the send after it → ${show(refused.sendThenSend.second)} — an error about an earlier datagram.`,
    `  The socket holding the port, connected to itself, got none of these datagrams: recv → ${show(refused.holderRecv)}.`,
    '',
    'Not connected, sending to the same port with sendto:',
    `  sendto → ${show(unconnected.sendto)}, and then nothing: poll shows ${events(unconnected.revents)}, SO_ERROR ${unconnected.soError}, recv → ${show(unconnected.recv)}.`,
    `  The ICMP did come: a connected witness that sent afterwards had ${events(unconnected.witness.revents)} and SO_ERROR ${unconnected.witness.soError === c.ECONNREFUSED ? 'ECONNREFUSED' : unconnected.witness.soError},`,
  );
  if (unconnected.recvErr)
    out.push(
      `  and an unconnected socket with IP_RECVERR set got ${events(unconnected.recvErr.revents)} and recv → ${show(unconnected.recvErr.recv)}.`,
      '  Linux passes the ICMP error to an unconnected UDP socket only if it asked (IP_RECVERR):',
      '  a socket that talks to many peers could not tell which of them the error was about.',
    );
  out.push(
    '',
    'A datagram is consumed by one recv, whatever the buffer size:',
    `  "${truncation.sent}" (${truncation.sent.length} bytes) into a 4-byte buffer → ${show(truncation.recv)} "${truncation.recv.text}";`,
    `  the next recv → ${show(truncation.next)}: the other ${truncation.sent.length - Math.max(truncation.recv.returned, 0)} bytes are gone, not left for later as TCP would.`,
    `  With MSG_TRUNC the same recv returns ${show(truncation.withTrunc)}, the real length (still copying "${truncation.withTrunc.text}"),`,
    `  and the following datagram arrives separately → ${show(truncation.following)} "${truncation.following.text}".`,
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(udpConnect, narrate);
