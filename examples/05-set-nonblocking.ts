// E05 set-nonblocking: every way to make a socket nonblocking, read back with F_GETFL and tried
// with a recv; and the accept() trap. Run: npm run lab -- E05   (or npx tsx examples/05-set-nonblocking.ts)
import { constants as c } from '../lib/constants.js';
import { outcome } from '../lib/lab/group-a.js';
import { setNonblocking, type SetNonBlockingData } from '../lib/lab/set-nonblocking.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** E05 in plain words. */
export function narrate(result: ExperimentResult<SetNonBlockingData>): string {
  const d = result.data;
  const hex = (n: number) => `0x${n.toString(16)}`;
  const flags = (before: { flags: number } | null, after: { flags: number }) =>
    before ? `${hex(before.flags)} → ${hex(after.flags)}` : `${hex(after.flags)} from birth`;
  const rows: [string, string, string][] = [
    ['fcntl(F_SETFL, F_GETFL | O_NONBLOCK)', flags(d.fcntl.before, d.fcntl.after), d.fcntl.recvCode],
    ['socket(…, SOCK_STREAM | SOCK_NONBLOCK)', flags(null, d.socketFlag.after), d.socketFlag.recvCode],
    ['ioctl(FIONBIO, 1)', flags(d.ioctl.before, d.ioctl.after), d.ioctl.recvCode],
    ['accept4(…, SOCK_NONBLOCK)', flags(null, d.accept4.after), d.accept4.recvCode],
    [
      'accept() from a nonblocking listener',
      hex(d.accept.accepted.flags),
      d.accept.plainRecvWhere.state === 'S'
        ? `sleeps in ${d.accept.plainRecvWhere.syscall?.name}: blocking`
        : `state ${d.accept.plainRecvWhere.state}`,
    ],
  ];
  const w = Math.max(...rows.map((r) => r[0].length));
  const w2 = Math.max(...rows.map((r) => r[1].length), 'F_GETFL'.length);
  const out = [header(result)];
  out.push(
    `O_NONBLOCK is ${hex(d.oNonBlock)} in the flags fcntl(F_GETFL) returns` +
      (c.O_RDWR !== undefined ? ` (${hex(c.O_RDWR)} is O_RDWR, a socket's access mode).` : '.'),
    'Each socket below was made nonblocking one way, read back with F_GETFL, and tried with a recv',
    'when nothing was there to read:',
    '',
    `  ${'way'.padEnd(w)}  ${'F_GETFL'.padEnd(w2)}  recv with no data`,
    ...rows.map(([way, f, r]) => `  ${way.padEnd(w)}  ${f.padEnd(w2)}  ${r}`),
    '',
    `ioctl(FIONBIO, 0) cleared it again (${hex(d.ioctl.cleared.flags)}): FIONBIO and fcntl set one and the same flag,`,
    'which is what seed 001 means by "ioctl works the same way as fcntl".',
    '',
    `The socket created with SOCK_NONBLOCK was nonblocking before connect, so connect returned`,
    d.socketFlag.connect === 0
      ? '0 at once.'
      : `${d.socketFlag.connectCode}; poll reported ${hex(d.socketFlag.pollRevents ?? 0)} and SO_ERROR was ${d.socketFlag.soError}.`,
    'That is why seed 000 sets O_NONBLOCK only after connect: a nonblocking connect needs the',
    'EINPROGRESS + poll + SO_ERROR dance of E07.',
    '',
    `The trap: the listener was nonblocking (F_GETFL ${hex(d.accept.listener.flags)}; accept with nothing queued gave`,
    `${d.accept.emptyAcceptCode}), yet the socket accept() returned had F_GETFL ${hex(d.accept.accepted.flags)} — blocking. A recv on it`,
    `slept in ${d.accept.plainRecvWhere.syscall?.name} (state ${d.accept.plainRecvWhere.state}) until the client sent a byte, then returned ${outcome(d.accept.plainRecvReturned)}.`,
    'On Linux the accepted socket never inherits O_NONBLOCK; an event loop that assumes it does',
    'freezes on its first recv. Seed 001 presents accept4(…, SOCK_NONBLOCK) as the same as accept +',
    'fcntl: it is, in one syscall and with no moment where the new socket is blocking.',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(setNonblocking, narrate);
