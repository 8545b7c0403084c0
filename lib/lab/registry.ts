/**
 * The catalog: every experiment, in id order (shared/EXPERIMENTS.md).
 * @module
 */
import { blockingSend } from './blocking-send.js';
import { nonblockingSend } from './nonblocking-send.js';
import { blockingRecv } from './blocking-recv.js';
import { nonblockingRecv } from './nonblocking-recv.js';
import { setNonblocking } from './set-nonblocking.js';
import { blockingConnect } from './blocking-connect.js';
import { nonblockingConnect } from './nonblocking-connect.js';
import { bindAddress } from './bind-address.js';
import { clientPort } from './client-port.js';
import { addrInUse } from './addr-in-use.js';
import { connectionRefused } from './connection-refused.js';
import { peerClose } from './peer-close.js';
import { epipeSigpipe } from './epipe-sigpipe.js';
import { connectionReset } from './connection-reset.js';
import { halfClose } from './half-close.js';
import { shortReads } from './short-reads.js';
import { peek } from './peek.js';
import { bufferSizes } from './buffer-sizes.js';
import { readWriteOrder } from './read-write-order.js';
import { acceptQueue } from './accept-queue.js';
import { acceptEmfile } from './accept-emfile.js';
import { udpConnect } from './udp-connect.js';
import { timeouts } from './timeouts.js';
import { unreachable, unreachableWith } from './unreachable.js';
import { networkCut, networkCutWith } from './network-cut.js';
import { deadPeer, deadPeerWith } from './dead-peer.js';
import { peerCrash, peerCrashWith } from './peer-crash.js';
import { bindOneIp } from './bind-one-ip.js';
import type { Experiment } from './types.js';

/** Every experiment, in id order. */
export const experiments: readonly Experiment[] = [
  blockingSend as Experiment,
  nonblockingSend as Experiment,
  blockingRecv as Experiment,
  nonblockingRecv as Experiment,
  setNonblocking as Experiment,
  blockingConnect as Experiment,
  nonblockingConnect as Experiment,
  bindAddress as Experiment,
  clientPort as Experiment,
  addrInUse as Experiment,
  connectionRefused as Experiment,
  peerClose as Experiment,
  epipeSigpipe as Experiment,
  connectionReset as Experiment,
  halfClose as Experiment,
  shortReads as Experiment,
  peek as Experiment,
  bufferSizes as Experiment,
  readWriteOrder as Experiment,
  acceptQueue as Experiment,
  acceptEmfile as Experiment,
  udpConnect as Experiment,
  timeouts as Experiment,
  unreachable as Experiment,
  networkCut as Experiment,
  deadPeer as Experiment,
  peerCrash as Experiment,
  bindOneIp as Experiment,
];

/**
 * The slow variants (`--slow`): the two-host experiments that tune kernel timers short by default,
 * run with the kernel's own timings instead — E24 ~2 min (SYN retries), E25 ~15 min
 * (tcp_retries2), E26 over 2 h (keepalive defaults), E27 a one-minute quiet wait. Never in npm test.
 */
export const slowVariants: readonly Experiment[] = [
  unreachableWith({ slow: true }) as Experiment,
  networkCutWith({ slow: true }) as Experiment,
  deadPeerWith({ slow: true }) as Experiment,
  peerCrashWith({ slow: true }) as Experiment,
];

/** Selecting experiments: `slow` swaps in the {@link slowVariants}. */
export interface SelectOptions {
  slow?: boolean;
}

/** Every experiment in id order, with the slow variants in place when `options.slow`. */
export function experimentsFor(options: SelectOptions = {}): readonly Experiment[] {
  return experiments.map((e) => (options.slow ? slowVariant(e) : e));
}

/** The slow variant of `experiment`, or the experiment itself when it has none. */
export function slowVariant<E extends Experiment>(experiment: E): E {
  return (slowVariants.find((s) => s.id === experiment.id) as E | undefined) ?? experiment;
}

/**
 * The experiment with this id (`'E01'`, case-insensitive) or slug (`'blocking-send'`); its slow
 * variant when `options.slow`.
 */
export function findExperiment(key: string, options: SelectOptions = {}): Experiment | undefined {
  const k = key.toLowerCase();
  return experimentsFor(options).find((e) => e.id.toLowerCase() === k || e.slug === k);
}
