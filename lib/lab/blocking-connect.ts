/**
 * E06 blocking-connect: connect(2) on a blocking socket, run for real on a worker thread. Seeds
 * 001 ("a blocking connect returns only once the outcome is known"), 003 §01 (Connection refused,
 * errno 111).
 *
 * What it proves, from inside the program: to a listener the call returns 0, to a loopback port
 * nobody listens on it returns -ECONNREFUSED, both within the call (loopback answers at once).
 * To show that the call really waits for the outcome, a third connect goes to a listener whose
 * accept queue is full (the kernel drops the SYN): the thread is then seen asleep inside connect
 * (/proc, and as root the kernel stack through __inet_stream_connect), SO_SNDTIMEO ends the
 * wait with -EINPROGRESS, and the socket stays in SYN_SENT: the handshake goes on.
 * @module
 */
import type { InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import { defineExperiment } from './define.js';
import {
  backlogListener,
  closedPort,
  connectOnThread,
  fillAcceptQueue,
  resultName,
  tcpSocket,
  within,
  type ThreadConnect,
} from './group-b.js';
import { tcpListener } from './loopback.js';
import { waitUntilAsleepIn, type ThreadWhere } from './where.js';

/** One blocking connect and what it returned. */
export interface ConnectOutcome {
  /** Where it connected to. */
  address: InetAddress;
  /** connect's raw result (0 or -errno) and its name ('0', 'ECONNREFUSED', 'EINPROGRESS'). */
  result: number;
  code: string;
  /** How long the call took on the thread (ms). */
  ms: number;
}

/** What E06 returns. */
export interface BlockingConnectData {
  /** To a listener: 0. */
  toListener: ConnectOutcome;
  /** To a closed port (bound, not listening): -ECONNREFUSED. */
  toClosedPort: ConnectOutcome;
  /** To a listener whose accept queue is full, bounded by SO_SNDTIMEO. */
  toFullQueue: ConnectOutcome & {
    /** SO_SNDTIMEO as read back (ms). */
    sndtimeoMs: number;
    /** Where the thread was while the call waited. */
    where: ThreadWhere;
    /** The socket's TCP state while the thread slept, and after the call returned. */
    stateWhileAsleep: string;
    stateAfter: string;
    /** The listener's queue (length/limit) and the backlog it was given. */
    queue: { length: number; max: number };
    backlog: number;
  };
}

/** SO_SNDTIMEO for the connect that cannot complete: long enough to see it asleep, short enough to stay fast. */
const CONNECT_TIMEOUT_MS = 500;

/** E06: the experiment. */
export const blockingConnect = defineExperiment<BlockingConnectData>(
  {
    id: 'E06',
    slug: 'blocking-connect',
    title: 'Blocking connect: 0, ECONNREFUSED, or asleep until the outcome is known',
    shows:
      'blocking connect gives 0 to a listener, -ECONNREFUSED to a closed port; it sleeps in connect while the SYN is unanswered',
    seeds: '001, 003 §01',
  },
  async ({ claims, scope, note, progress, headline }) => {
    const listener = tcpListener(scope);
    const closed = closedPort(scope);

    progress('blocking connects on a worker thread: to a listener, to a closed port');
    const a = tcpSocket(scope);
    const b = tcpSocket(scope);
    const quick = await connectOnThread(scope, [
      { socket: a, address: listener.address },
      { socket: b, address: closed },
    ]);
    const [r1, r2] = await within<ThreadConnect[]>(quick.done, 5000, 'the blocking connects');
    const toListener = outcome(listener.address, r1!);
    const toClosedPort = outcome(closed, r2!);
    claims.equal('a blocking connect to a listener returns 0', toListener.result, 0);
    claims.equal(
      'a blocking connect to a closed loopback port returns -ECONNREFUSED',
      toClosedPort.result,
      -c.ECONNREFUSED!,
    );

    progress('a blocking connect to a listener whose accept queue is full');
    // backlog 0: the kernel queues one connection (it drops a SYN only when the queue length
    // exceeds the backlog); the fill stops at the first client left in SYN_SENT.
    const full = fillAcceptQueue(scope, backlogListener(scope, 0), 0);
    claims.check(
      'precondition: the accept queue is full (a nonblocking probe connect stays in SYN_SENT)',
      full.stuck !== null,
      `${full.attempts.map((x) => x.state).join(', ')}; queue ${full.queue.length}/${full.queue.max}`,
    );
    const sleeper = tcpSocket(scope);
    sleeper.setOption('SO_SNDTIMEO', CONNECT_TIMEOUT_MS);
    const slow = await connectOnThread(scope, [{ socket: sleeper, address: full.address }]);
    const where = await waitUntilAsleepIn(slow.tid, 'connect', sleeper.fd, 3000);
    const stateWhileAsleep = sleeper.tcpInfo().stateName;
    const [r3] = await within<ThreadConnect[]>(slow.done, CONNECT_TIMEOUT_MS + 5000, 'the timed-out connect');
    const toFullQueue = {
      ...outcome(full.address, r3!),
      sndtimeoMs: sleeper.getOption('SO_SNDTIMEO'),
      where,
      stateWhileAsleep,
      stateAfter: sleeper.tcpInfo().stateName,
      queue: full.queue,
      backlog: full.backlog,
    };
    claims.check(
      'while the SYN is unanswered, the thread sleeps inside connect on that fd',
      where.state === 'S' && where.syscall?.name === 'connect' && where.syscall.fd === sleeper.fd,
      `state ${where.state}, ${where.syscall?.name}(${where.syscall?.fd}), wchan ${where.wchan}; socket ${stateWhileAsleep}`,
    );
    if (where.stack)
      claims.check(
        'its kernel stack is inside the connect wait (__inet_stream_connect)',
        where.stack.includes('__inet_stream_connect'),
        where.stack.slice(0, 3).join(' ← '),
      );
    else
      note(
        `kernel stack not shown: ${where.unavailable.find((u) => u.startsWith('stack')) ?? 'unavailable'} (run as root)`,
      );
    claims.check(
      `SO_SNDTIMEO (${CONNECT_TIMEOUT_MS} ms) ends the wait with -EINPROGRESS after about that long`,
      toFullQueue.result === -c.EINPROGRESS! &&
        toFullQueue.ms >= CONNECT_TIMEOUT_MS * 0.9 &&
        toFullQueue.ms < CONNECT_TIMEOUT_MS + 1000,
      `${toFullQueue.code} after ${toFullQueue.ms.toFixed(0)} ms`,
    );
    claims.equal(
      'the handshake goes on after the timeout: the socket is still in SYN_SENT',
      toFullQueue.stateAfter,
      'SYN_SENT',
    );

    headline(
      `listener 0 (${toListener.ms.toFixed(2)} ms), closed port ${toClosedPort.code} (${toClosedPort.ms.toFixed(2)} ms), ` +
        `full queue: asleep in connect, ${toFullQueue.code} after ${toFullQueue.ms.toFixed(0)} ms`,
    );
    return { toListener, toClosedPort, toFullQueue };
  },
);

function outcome(address: InetAddress, r: ThreadConnect): ConnectOutcome {
  return { address, result: r.result, code: resultName(r.result), ms: r.ms };
}
