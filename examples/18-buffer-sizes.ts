// E18 buffer-sizes: what SO_SNDBUF / SO_RCVBUF really do on Linux.
// Run: npm run lab -- E18   (or npx tsx examples/18-buffer-sizes.ts)
import { bufferSizes, CLIENT_RCVBUF, type BufferSizesData } from '../lib/lab/buffer-sizes.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { bytes, checklist, header, isMain, runExample } from './narrate.js';

/** E18 in plain words. */
export function narrate(result: ExperimentResult<BufferSizesData>): string {
  const d = result.data;
  const out = [header(result)];
  const sys = d.sysctls;
  out.push(
    'Every number below is setsockopt followed by getsockopt on a fresh TCP socket, unless said otherwise.',
    `This machine: net.core.wmem_max ${sys.wmemMax ?? '?'}, rmem_max ${sys.rmemMax ?? '?'}; ` +
      `tcp_wmem ${sys.tcpWmem?.join(' ') ?? '?'}; tcp_rmem ${sys.tcpRmem?.join(' ') ?? '?'}.`,
    '',
    `  ${'option'.padEnd(10)} ${'set'.padStart(11)} ${'read back'.padStart(11)}   why`,
  );
  const row = (option: string, set: number, readBack: number, why: string) =>
    out.push(`  ${option.padEnd(10)} ${String(set).padStart(11)} ${String(readBack).padStart(11)}   ${why}`);
  for (const r of d.doubling) row(r.option, r.set, r.readBack, 'doubled (the seed saw 8192 → 16384, 10240 → 20480)');
  for (const r of d.floor) row(r.option, r.set, r.readBack, 'the floor: never less than this');
  for (const r of d.aboveFloor) row(r.option, r.set, r.readBack, 'above the floor, doubled again');
  for (const r of d.ceiling)
    row(r.option, r.set, r.readBack, `the ceiling: 2 × net.core.${r.option === 'SO_SNDBUF' ? 'wmem_max' : 'rmem_max'}`);
  if (d.force) {
    if (d.force.readBack !== null)
      row('…FORCE', d.force.set, d.force.readBack, 'SO_SNDBUFFORCE as root (CAP_NET_ADMIN): past the ceiling');
    else out.push(`  SO_SNDBUFFORCE ${d.force.set}: ${d.force.code} (needs CAP_NET_ADMIN)`);
  }
  out.push(
    '',
    'Linux doubles the value you ask for because it counts its own bookkeeping (struct sk_buff and',
    'friends) against the buffer too; getsockopt reports the doubled figure. Seed 003 §05-3 saw the',
    'doubling and called it "some kernel algorithm": it is that, and it is clamped on both sides.',
    `A fresh socket starts at ${d.fresh.sndbuf}/${d.fresh.rcvbuf} (tcp_wmem[1]/tcp_rmem[1], not doubled), and a connected`,
    `client that never set SO_SNDBUF read ${d.connectedSndbuf}: Linux autotunes buffers nobody set (setting one`,
    'turns its autotuning off for good).',
    '',
    'Inheritance (the seed: "set the server’s buffers before listen, accept copies them"):',
    `  listener set to ${d.inherit.listener.rcvbuf}/${d.inherit.listener.sndbuf} (SO_RCVBUF/SO_SNDBUF) before listen → accepted socket ` +
      `${d.inherit.accepted.rcvbuf}/${d.inherit.accepted.sndbuf}.`,
    `  A listener left alone → its accepted socket has SO_RCVBUF ${d.inherit.untouched.rcvbuf}.`,
    `  Set after listen(), before the client connected → accepted ${d.inherit.afterListen.acceptedRcvbuf}: also inherited. The rule`,
    '  is really "before the handshake completes" (that is when Linux clones the accepted socket from',
    '  the listener); before listen() is simply the safe place to do it.',
    '',
    'The client (the seed: "set before connect, the handshake announces the window"), with',
    `SO_RCVBUF = ${CLIENT_RCVBUF}; "announced" is the window the server saw right after accept (its TCP_INFO snd_wnd):`,
  );
  for (const h of d.handshake)
    out.push(
      `  ${h.variant.padEnd(26)} client SO_RCVBUF ${String(h.clientRcvbuf).padStart(7)}, announced window ${h.announcedWindow}`,
    );
  const after = d.handshake.find((h) => h.variant === 'SO_RCVBUF after connect');
  out.push(
    `  Set after connect, the buffer reads ${after?.clientRcvbuf} but the peer was already told ${after?.announcedWindow}: the seed is right.`,
    '  (The window scale is fixed in the handshake too; a later, smaller buffer cannot take back a',
    '  window already offered.)',
    '',
    'Smaller buffers fill sooner: a client sends 64 KiB chunks with MSG_DONTWAIT to a server that never',
    'reads, until send says EAGAIN even with everything acknowledged and at rest:',
  );
  for (const f of d.fills)
    out.push(
      `  ${f.variant.padEnd(16)} SO_SNDBUF ${String(f.sndbuf).padStart(8)}, server SO_RCVBUF ${String(f.rcvbuf).padStart(8)}: ` +
        `${bytes(f.accepted)} accepted = Send-Q ${f.sendQ} + Recv-Q ${f.recvQ}, then ${f.lastCode}`,
    );
  const [big, small] = d.fills;
  if (big && small)
    out.push(
      `  ${(big.accepted / small.accepted).toFixed(0)}× fewer bytes with the small buffers (E01 saw the same with blocking sends;`,
      '  the seed measured 21696 bytes with these sizes on its VMs).',
      `  The seed was puzzled that its client's Send-Q (8688) went past "100%" of the 8192 it had set:`,
      `  the real buffer was twice that. Here Send-Q reached ${small.sendQ} with SO_SNDBUF reading ${small.sndbuf}.`,
    );
  out.push('', checklist(result));
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(bufferSizes, narrate);
