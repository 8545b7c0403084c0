// E07 nonblocking-connect: connect on a nonblocking socket, wait for POLLOUT, read SO_ERROR — to a
// listener, to a closed port (the "writable but failed" pitfall), and to a listener whose accept
// queue is full. Run: npm run lab -- E07   (or npx tsx examples/07-nonblocking-connect.ts)
import { constants } from '../lib/constants.js';
import { pollNames, resultName, soErrorName } from '../lib/lab/group-b.js';
import { nonblockingConnect, type NonblockingConnectData } from '../lib/lab/nonblocking-connect.js';
import type { ExperimentResult } from '../lib/lab/types.js';
import { checklist, header, isMain, runExample } from './narrate.js';

/** A small fixed-width table. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => '  ' + r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')).join('\n');
}

/** E07 in plain words. */
export function narrate(result: ExperimentResult<NonblockingConnectData>): string {
  const { toListener: l, toClosedPort: f, unanswered: u } = result.data;
  const out = [header(result)];
  out.push(
    'A nonblocking connect returns at once; the program then waits for the socket to become',
    "writable (poll POLLOUT here; select's write set in the seeds) and reads SO_ERROR to learn how it",
    'went. Three targets on loopback:',
    '',
    table([
      ['target', 'connect', 'poll(POLLOUT) revents', 'SO_ERROR', 'connect again'],
      [
        `listener :${l.address.port}`,
        resultName(l.connect),
        l.reventNames.join('|') || '0',
        soErrorName(l.soError),
        `${resultName(l.secondConnect)}, then ${resultName(l.thirdConnect)}`,
      ],
      [
        `closed port :${f.address.port}`,
        resultName(f.connect),
        f.revents === null ? '(not polled)' : f.reventNames.join('|') || '0',
        `${soErrorName(f.soError)}, then ${soErrorName(f.soErrorAgain)}`,
        f.reconnect === null ? '-' : resultName(f.reconnect),
      ],
      [
        `full queue :${u.address.port}`,
        u.connect === null ? '-' : resultName(u.connect),
        u.revents === null ? '-' : `${pollNames(u.revents).join('|') || 'nothing'} in ${u.pollWaitMs} ms`,
        soErrorName(u.soError),
        u.secondConnect === null ? '-' : resultName(u.secondConnect),
      ],
    ]),
    '',
    `To the listener: ${resultName(l.connect)}, then POLLOUT and SO_ERROR ${soErrorName(l.soError)} — connected (${l.state}).`,
    `Calling connect again returned ${resultName(l.secondConnect)}, and only the call after that gave ${resultName(l.thirdConnect)}:`,
    'Linux notes "connected" on the socket the next time connect is called, so the catalog\'s',
    `"0 or -EISCONN" is "0 first, then EISCONN". A blocking socket gave ${resultName(l.blocking.connect)} and then`,
    `${resultName(l.blocking.secondConnect)} straight away.`,
    '',
  );
  if (f.revents !== null)
    out.push(
      `To the closed port: ${resultName(f.connect)} too, and then poll said ${f.reventNames.join('|')} (revents ${f.revents}).`,
      'That POLLOUT is the pitfall seed 001 hit with select(): the socket is reported writable',
      'although the connection failed, because the kernel reports a finished attempt — success or',
      `failure — as writable, and adds POLLERR (${constants.POLLERR}) and POLLHUP (${constants.POLLHUP}) for the failure. select() folds`,
      'POLLERR into its read and write sets (its "exceptional" set is for urgent data only), so the',
      'seed\'s select saw just "writable" and printed "connected". Only SO_ERROR tells: it was',
      `${soErrorName(f.soError)} (${f.soError}), and reading it cleared it: the second read gave ${f.soErrorAgain}. Read it once and keep it.`,
      `(Calling connect again on that socket afterwards gave ${f.reconnect === null ? '-' : resultName(f.reconnect)}: the error was already consumed.`,
      'For a new attempt, use a new socket.)',
      '',
    );
  else
    out.push(
      `To the closed port the kernel failed the call itself (${resultName(f.connect)}): nothing was pending to poll for.`,
      '',
    );
  out.push(
    `To a listener whose accept queue is full (backlog ${u.backlog}, ${u.queue.length} connection waiting, never accepted),`,
    `the kernel drops the SYN: the connect stayed in ${u.state ?? '?'}, connect again gave ${u.secondConnect === null ? '-' : resultName(u.secondConnect)}, and poll`,
    `reported ${u.revents === 0 ? 'nothing' : pollNames(u.revents ?? 0).join('|')} for ${u.pollWaitMs} ms. This corrects the seed's explanation: on Linux a socket`,
    'whose connect is still in progress is *not* writable; it becomes "writable" when the attempt',
    'ends, and that includes failing. Hence the rule both seeds arrive at: after POLLOUT, check SO_ERROR.',
    '',
    checklist(result),
  );
  return out.join('\n');
}

if (isMain(import.meta.url)) await runExample(nonblockingConnect, narrate);
