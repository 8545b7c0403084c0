/**
 * E07 nonblocking-connect: connect(2) on a nonblocking socket, then wait for POLLOUT and read
 * SO_ERROR — and the Linux pitfall the seed hit with select(). Seeds 001 (the async connect and
 * its Linux fix), 004 (select + getsockopt(SO_ERROR)).
 *
 * Three targets, all on loopback:
 * - a listener: -EINPROGRESS, poll reports POLLOUT, SO_ERROR 0, the socket is ESTABLISHED; a
 *   second connect returns 0 and a third -EISCONN (a blocking socket gives -EISCONN at once);
 * - a closed port: -EINPROGRESS, then poll reports POLLOUT *with* POLLERR|POLLHUP — "writable"
 *   although the connect failed — and SO_ERROR is ECONNREFUSED, once (read-and-clear);
 * - a listener whose accept queue is full, so its SYN is dropped: the connect stays in progress,
 *   a second connect gives -EALREADY, and poll does **not** report it writable meanwhile.
 * @module
 */
import type { InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import type { RawAddress } from '../native.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import {
  backlogListener,
  boundedConnect,
  closedPort,
  fillAcceptQueue,
  pollNames,
  resultName,
  soErrorName,
  tcpSocket,
  type FillAttempt,
} from './group-b.js';
import { tcpListener } from './loopback.js';

/** A nonblocking connect to a listener. */
export interface ToListener {
  address: InetAddress;
  /** connect's raw result: -EINPROGRESS. */
  connect: number;
  /** poll(POLLOUT)'s revents and their names. */
  revents: number;
  reventNames: string[];
  /** SO_ERROR after POLLOUT: 0. */
  soError: number;
  /** TCP state after POLLOUT. */
  state: string;
  /** connect again after success (0 on Linux: it marks the socket connected), and once more (-EISCONN). */
  secondConnect: number;
  thirdConnect: number;
  /** The same on a blocking socket: connect 0, then -EISCONN at once. */
  blocking: { connect: number; secondConnect: number };
}

/** A nonblocking connect to a closed port. */
export interface ToClosedPort {
  address: InetAddress;
  /** connect's raw result: -EINPROGRESS, or -ECONNREFUSED when the kernel fails it inside the call. */
  connect: number;
  /** poll(POLLOUT)'s revents (null when connect failed at once). */
  revents: number | null;
  reventNames: string[];
  /** SO_ERROR read twice: ECONNREFUSED, then 0 (null when connect failed at once). */
  soError: number | null;
  soErrorAgain: number | null;
  /** TCP state after the failure (CLOSE). */
  state: string;
  /** connect again on the same socket after SO_ERROR was read (a new attempt or its error). */
  reconnect: number | null;
}

/** A nonblocking connect whose SYN is never answered (the listener's accept queue is full). */
export interface Unanswered {
  address: InetAddress;
  backlog: number;
  /** The listener's accept queue when the SYN was dropped. */
  queue: { length: number; max: number };
  attempts: FillAttempt[];
  /** connect's result (-EINPROGRESS), the state after it (SYN_SENT), and the second connect (-EALREADY). */
  connect: number | null;
  state: string | null;
  secondConnect: number | null;
  /** poll(POLLOUT) for `pollWaitMs`: 0 — not writable while in progress. */
  revents: number | null;
  pollWaitMs: number;
  /** SO_ERROR meanwhile: 0, nothing pending. */
  soError: number | null;
}

/** What E07 returns. */
export interface NonblockingConnectData {
  toListener: ToListener;
  toClosedPort: ToClosedPort;
  unanswered: Unanswered;
}

/** Bound on every poll that waits for an answer loopback gives at once. */
const POLL_BOUND_MS = 2000;
/** How long to look for POLLOUT on the connect that cannot complete (the SYN retransmits at ~1 s). */
const UNANSWERED_POLL_MS = 100;

/** E07: the experiment. */
export const nonblockingConnect = defineExperiment<NonblockingConnectData>(
  {
    id: 'E07',
    slug: 'nonblocking-connect',
    title: 'Nonblocking connect: EINPROGRESS, POLLOUT, SO_ERROR — and the "writable but failed" pitfall',
    shows:
      '-EINPROGRESS; POLLOUT + SO_ERROR 0 → connected; a closed port is POLLOUT|POLLERR|POLLHUP with SO_ERROR ECONNREFUSED (read-and-clear); -EISCONN / -EALREADY',
    seeds: '001, 004',
  },
  async ({ claims, scope, note, progress, headline }) => {
    progress('nonblocking connect to a listener');
    const listener = tcpListener(scope);
    const client = tcpSocket(scope, c.SOCK_NONBLOCK!);
    const connect = sys.connect(client.fd, listener.address as RawAddress);
    const revents = client.poll(c.POLLOUT, POLL_BOUND_MS);
    const soError = client.getOption('SO_ERROR');
    const state = client.tcpInfo().stateName;
    const secondConnect = sys.connect(client.fd, listener.address as RawAddress);
    const thirdConnect = sys.connect(client.fd, listener.address as RawAddress);
    const blockingClient = tcpSocket(scope);
    const blockingFirst = boundedConnect(blockingClient, listener.address);
    const blockingSecond = sys.connect(blockingClient.fd, listener.address as RawAddress);
    const toListener: ToListener = {
      address: listener.address,
      connect,
      revents,
      reventNames: pollNames(revents),
      soError,
      state,
      secondConnect,
      thirdConnect,
      blocking: { connect: blockingFirst, secondConnect: blockingSecond },
    };
    claims.equal('to a listener: connect returns -EINPROGRESS', connect, -c.EINPROGRESS!);
    claims.check(
      'poll(POLLOUT) then reports POLLOUT, without POLLERR or POLLHUP',
      (revents & c.POLLOUT) !== 0 && (revents & (c.POLLERR | c.POLLHUP)) === 0,
      toListener.reventNames.join('|') || '0',
    );
    claims.check(
      'SO_ERROR == 0 → connected (the socket is ESTABLISHED)',
      soError === 0 && state === 'ESTABLISHED',
      `SO_ERROR ${soError}, ${state}`,
    );
    claims.equal(
      'connect again after success: 0 (Linux marks the socket connected only now), then -EISCONN',
      `${resultName(secondConnect)}, ${resultName(thirdConnect)}`,
      '0, EISCONN',
    );
    claims.equal(
      'on a blocking socket the connect after success gives -EISCONN at once',
      `${resultName(blockingFirst)}, ${resultName(blockingSecond)}`,
      '0, EISCONN',
    );

    progress('nonblocking connect to a closed port');
    const closed = closedPort(scope);
    const failing = tcpSocket(scope, c.SOCK_NONBLOCK!);
    const failConnect = sys.connect(failing.fd, closed as RawAddress);
    const toClosedPort: ToClosedPort = {
      address: closed,
      connect: failConnect,
      revents: null,
      reventNames: [],
      soError: null,
      soErrorAgain: null,
      state: '',
      reconnect: null,
    };
    claims.check(
      'to a closed port: connect returns -EINPROGRESS (or fails at once with -ECONNREFUSED)',
      failConnect === -c.EINPROGRESS! || failConnect === -c.ECONNREFUSED!,
      resultName(failConnect),
    );
    if (failConnect === -c.EINPROGRESS!) {
      const r = failing.poll(c.POLLOUT, POLL_BOUND_MS);
      toClosedPort.revents = r;
      toClosedPort.reventNames = pollNames(r);
      toClosedPort.soError = failing.getOption('SO_ERROR');
      toClosedPort.soErrorAgain = failing.getOption('SO_ERROR');
      claims.check(
        'the pitfall: poll reports POLLOUT ("writable", what select shows) although the connect failed, with POLLERR|POLLHUP',
        (r & c.POLLOUT) !== 0 && (r & c.POLLERR) !== 0 && (r & c.POLLHUP) !== 0,
        toClosedPort.reventNames.join('|') || '0',
      );
      claims.equal('SO_ERROR == ECONNREFUSED', toClosedPort.soError, c.ECONNREFUSED!);
      claims.equal('SO_ERROR is read-and-clear: a second read gives 0', toClosedPort.soErrorAgain, 0);
    } else {
      note(
        `connect to the closed port failed inside the call (${resultName(failConnect)}): there was no pending error to poll for`,
      );
    }
    toClosedPort.state = failing.tcpInfo().stateName;
    // Not a claim, an observation: with the error already read, connect on the same socket again.
    toClosedPort.reconnect = sys.connect(failing.fd, closed as RawAddress);

    progress('nonblocking connect whose SYN is never answered (accept queue full)');
    const full = fillAcceptQueue(scope, backlogListener(scope, 0), 0);
    const unanswered: Unanswered = {
      address: full.address,
      backlog: full.backlog,
      queue: full.queue,
      attempts: full.attempts,
      connect: full.stuckConnect,
      state: null,
      secondConnect: null,
      revents: null,
      pollWaitMs: UNANSWERED_POLL_MS,
      soError: null,
    };
    claims.check(
      'with the accept queue full, a nonblocking connect stays in progress: -EINPROGRESS, state SYN_SENT',
      full.stuck !== null && full.stuckConnect === -c.EINPROGRESS!,
      full.attempts.map((a) => `${resultName(a.connect)}→${a.state}`).join(', ') +
        `; queue ${full.queue.length}/${full.queue.max}`,
    );
    if (full.stuck) {
      unanswered.state = full.stuck.tcpInfo().stateName;
      unanswered.secondConnect = sys.connect(full.stuck.fd, full.address as RawAddress);
      unanswered.revents = full.stuck.poll(c.POLLOUT, UNANSWERED_POLL_MS);
      unanswered.soError = full.stuck.getOption('SO_ERROR');
      claims.equal(
        'while the SYN is unanswered, connect again gives -EALREADY',
        resultName(unanswered.secondConnect),
        'EALREADY',
      );
      claims.check(
        `meanwhile poll(POLLOUT) does not report it writable (nothing within ${UNANSWERED_POLL_MS} ms), SO_ERROR 0`,
        unanswered.revents === 0 && unanswered.soError === 0 && unanswered.state === 'SYN_SENT',
        `revents ${unanswered.revents}, SO_ERROR ${unanswered.soError}, ${unanswered.state}`,
      );
    }

    headline(
      `listener: ${resultName(connect)} → ${toListener.reventNames.join('|')}, SO_ERROR ${soError}; ` +
        `closed port: ${toClosedPort.reventNames.join('|') || resultName(failConnect)}, ` +
        `SO_ERROR ${soErrorName(toClosedPort.soError)} then ${soErrorName(toClosedPort.soErrorAgain)}; ` +
        `unanswered SYN: ${resultName(unanswered.secondConnect ?? 0)}`,
    );
    return { toListener, toClosedPort, unanswered };
  },
);
