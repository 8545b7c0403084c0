// Every experiment with its narrator, in id order: what `npm run lab` runs.
import { blockingSend } from '../lib/lab/blocking-send.js';
import { nonblockingSend } from '../lib/lab/nonblocking-send.js';
import { blockingRecv } from '../lib/lab/blocking-recv.js';
import { nonblockingRecv } from '../lib/lab/nonblocking-recv.js';
import { setNonblocking } from '../lib/lab/set-nonblocking.js';
import { blockingConnect } from '../lib/lab/blocking-connect.js';
import { nonblockingConnect } from '../lib/lab/nonblocking-connect.js';
import { bindAddress } from '../lib/lab/bind-address.js';
import { clientPort } from '../lib/lab/client-port.js';
import { addrInUse } from '../lib/lab/addr-in-use.js';
import { connectionRefused } from '../lib/lab/connection-refused.js';
import { peerClose } from '../lib/lab/peer-close.js';
import { epipeSigpipe } from '../lib/lab/epipe-sigpipe.js';
import { connectionReset } from '../lib/lab/connection-reset.js';
import { halfClose } from '../lib/lab/half-close.js';
import { shortReads } from '../lib/lab/short-reads.js';
import { peek } from '../lib/lab/peek.js';
import { bufferSizes } from '../lib/lab/buffer-sizes.js';
import { readWriteOrder } from '../lib/lab/read-write-order.js';
import { acceptQueue } from '../lib/lab/accept-queue.js';
import { acceptEmfile } from '../lib/lab/accept-emfile.js';
import { udpConnect } from '../lib/lab/udp-connect.js';
import { timeouts } from '../lib/lab/timeouts.js';
import { unreachable } from '../lib/lab/unreachable.js';
import { networkCut } from '../lib/lab/network-cut.js';
import { deadPeer } from '../lib/lab/dead-peer.js';
import { peerCrash } from '../lib/lab/peer-crash.js';
import { bindOneIp } from '../lib/lab/bind-one-ip.js';
import { slowVariant, type SelectOptions } from '../lib/lab/registry.js';
import type { Experiment } from '../lib/lab/types.js';
import { narrate as narrateE01 } from './01-blocking-send.js';
import { narrate as narrateE02 } from './02-nonblocking-send.js';
import { narrate as narrateE03 } from './03-blocking-recv.js';
import { narrate as narrateE04 } from './04-nonblocking-recv.js';
import { narrate as narrateE05 } from './05-set-nonblocking.js';
import { narrate as narrateE06 } from './06-blocking-connect.js';
import { narrate as narrateE07 } from './07-nonblocking-connect.js';
import { narrate as narrateE08 } from './08-bind-address.js';
import { narrate as narrateE09 } from './09-client-port.js';
import { narrate as narrateE10 } from './10-addr-in-use.js';
import { narrate as narrateE11 } from './11-connection-refused.js';
import { narrate as narrateE12 } from './12-peer-close.js';
import { narrate as narrateE13 } from './13-epipe-sigpipe.js';
import { narrate as narrateE14 } from './14-connection-reset.js';
import { narrate as narrateE15 } from './15-half-close.js';
import { narrate as narrateE16 } from './16-short-reads.js';
import { narrate as narrateE17 } from './17-peek.js';
import { narrate as narrateE18 } from './18-buffer-sizes.js';
import { narrate as narrateE19 } from './19-read-write-order.js';
import { narrate as narrateE20 } from './20-accept-queue.js';
import { narrate as narrateE21 } from './21-accept-emfile.js';
import { narrate as narrateE22 } from './22-udp-connect.js';
import { narrate as narrateE23 } from './23-timeouts.js';
import { narrate as narrateE24 } from './24-unreachable.js';
import { narrate as narrateE25 } from './25-network-cut.js';
import { narrate as narrateE26 } from './26-dead-peer.js';
import { narrate as narrateE27 } from './27-peer-crash.js';
import { narrate as narrateE28 } from './28-bind-one-ip.js';
import type { Narrator } from './narrate.js';

/** An experiment and the example that narrates it. */
export interface NarratedExperiment<D = unknown> {
  experiment: Experiment<D>;
  narrate: Narrator<D>;
}

function entry<D>(experiment: Experiment<D>, narrate: Narrator<D>): NarratedExperiment {
  return { experiment, narrate } as unknown as NarratedExperiment;
}

/** The catalog: the single-host experiments E01–E23, then the two-host ones E24–E28. */
export const catalog: readonly NarratedExperiment[] = [
  entry(blockingSend, narrateE01),
  entry(nonblockingSend, narrateE02),
  entry(blockingRecv, narrateE03),
  entry(nonblockingRecv, narrateE04),
  entry(setNonblocking, narrateE05),
  entry(blockingConnect, narrateE06),
  entry(nonblockingConnect, narrateE07),
  entry(bindAddress, narrateE08),
  entry(clientPort, narrateE09),
  entry(addrInUse, narrateE10),
  entry(connectionRefused, narrateE11),
  entry(peerClose, narrateE12),
  entry(epipeSigpipe, narrateE13),
  entry(connectionReset, narrateE14),
  entry(halfClose, narrateE15),
  entry(shortReads, narrateE16),
  entry(peek, narrateE17),
  entry(bufferSizes, narrateE18),
  entry(readWriteOrder, narrateE19),
  entry(acceptQueue, narrateE20),
  entry(acceptEmfile, narrateE21),
  entry(udpConnect, narrateE22),
  entry(timeouts, narrateE23),
  entry(unreachable, narrateE24),
  entry(networkCut, narrateE25),
  entry(deadPeer, narrateE26),
  entry(peerCrash, narrateE27),
  entry(bindOneIp, narrateE28),
];

/** The catalog with the slow variants (kernel-default timings) in place when `options.slow`. */
export function catalogFor(options: SelectOptions = {}): readonly NarratedExperiment[] {
  if (!options.slow) return catalog;
  return catalog.map((e) => ({ ...e, experiment: slowVariant(e.experiment) }));
}
