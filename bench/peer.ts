/**
 * The draining peer: bench/c/drain_peer.c in a child process, one blocking reader thread per
 * connection. All four implementations send to this same program, so the receiver (whose
 * wake-ups a small send pays for) is never a difference between them, and it never runs on the
 * measuring thread.
 * @module
 */
import { LineChild } from './child.js';

/** What the peer counted on one connection. */
export interface PeerConnectionStats {
  /** The sender's local port. */
  port: number;
  /** recv() calls that returned data: for small sends, about how often the reader was woken. */
  recvs: number;
  /** Bytes received. */
  bytes: number;
}

/** A running draining peer on 127.0.0.1:`port`. */
export class DrainPeer {
  private constructor(
    readonly port: number,
    readonly child: LineChild,
  ) {}

  /**
   * Spawns the peer and waits for its port; it kills itself after `deadlineS` seconds. `prefix`
   * runs it under a command (`['taskset', '-c', '1']` pins it to a CPU).
   */
  static async start(binary: string, deadlineS: number, prefix: readonly string[] = []): Promise<DrainPeer> {
    const argv = [...prefix, binary, `deadline=${deadlineS}`];
    const { child, first } = await LineChild.start(argv[0]!, argv.slice(1), 10_000);
    const port = (first as { port?: unknown }).port;
    if (typeof port !== 'number') {
      await child.stop(1000);
      throw new Error(`drain_peer did not report a port: ${JSON.stringify(first)}`);
    }
    return new DrainPeer(port, child);
  }

  /** Per-connection counters so far, keyed by the sender's local port. */
  async stats(): Promise<Map<number, PeerConnectionStats>> {
    const answer = (await this.child.request('stats', 5000)) as { connections?: PeerConnectionStats[] };
    return new Map((answer.connections ?? []).map((c) => [c.port, c]));
  }

  /** Stops the peer; call it after the senders are closed. */
  async stop(): Promise<void> {
    await this.child.stop(3000, 'quit');
  }
}
