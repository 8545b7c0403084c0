/**
 * The C reference implementation: bench/c/send_bench.c driven one timed repetition per command,
 * so its repetitions can be interleaved with the JavaScript ones.
 * @module
 */
import { LineChild } from './child.js';

/** Loop sizes and socket options shared by every implementation. */
export interface BenchSizes {
  /** Calls per repetition of the 10-byte send. */
  n10: number;
  /** Calls per repetition of the EAGAIN send (and of the EBADF / gettid diagnostics). */
  nagain: number;
  /** Calls per repetition of the 64 KiB send. */
  n64k: number;
  /** TCP_NODELAY on the sending sockets. */
  nodelay: boolean;
}

/** One C repetition's answer. */
export interface CAnswer {
  ns?: number;
  mbps?: number;
  unexpected?: number;
}

/** The commands send_bench understands, one per timed loop. */
export type CCommand = 'send10' | 'eagain' | 'send64k' | 'send0' | 'badf' | 'gettid';

/** A running C reference sender. */
export class CReference {
  private constructor(
    private readonly child: LineChild,
    /** How many fill rounds its EAGAIN connection needed before it stayed full. */
    readonly fillRounds: number,
    /** Local ports of its 10-byte and 64 KiB connections (the peer's stats are keyed by them). */
    readonly ports: { send10: number; send64k: number },
  ) {}

  /** Spawns send_bench against the draining peer on 127.0.0.1:`port` and waits until it is set up. */
  static async start(binary: string, port: number, sizes: BenchSizes, deadlineS: number): Promise<CReference> {
    const args = [
      `port=${port}`,
      `n10=${sizes.n10}`,
      `nagain=${sizes.nagain}`,
      `n64k=${sizes.n64k}`,
      `nodelay=${sizes.nodelay ? 1 : 0}`,
      `deadline=${deadlineS}`,
    ];
    const { child, first } = await LineChild.start(binary, args, 10_000);
    const ready = first as { ready?: boolean; fillRounds?: number; port10?: number; port64k?: number };
    if (ready.ready !== true) {
      await child.stop(1000);
      throw new Error(`send_bench did not get ready: ${JSON.stringify(first)}`);
    }
    return new CReference(child, ready.fillRounds ?? -1, { send10: ready.port10 ?? 0, send64k: ready.port64k ?? 0 });
  }

  /** Runs one timed repetition of `command` in the C process. */
  async run(command: CCommand, timeoutMs: number): Promise<CAnswer> {
    const answer = (await this.child.request(command, timeoutMs)) as CAnswer & { error?: string };
    if (answer.error) throw new Error(`send_bench ${command}: ${answer.error}`);
    return answer;
  }

  /** Closes its sockets and ends the process (SIGKILL if it does not exit in time). */
  async stop(): Promise<void> {
    await this.child.stop(3000, 'quit');
  }
}
