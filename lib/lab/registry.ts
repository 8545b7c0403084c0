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
];

/** The experiment with this id (`'E01'`, case-insensitive) or slug (`'blocking-send'`). */
export function findExperiment(key: string): Experiment | undefined {
  const k = key.toLowerCase();
  return experiments.find((e) => e.id.toLowerCase() === k || e.slug === k);
}
