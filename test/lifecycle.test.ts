// Lifecycle edges the async tests leave open: close while writable / acceptAsync / connectAsync
// waits are pending, a hundred waits on one socket, closing (and reusing the number of) a socket
// that is ready in the same epoll batch as the one whose wake-up closes it; a Socket dropped
// without close() (the finalizer closes it and warns once); the addon in 8 worker_threads that
// all leave with sockets and poll handles open; the process exiting with waits pending. The last
// three run in child processes (`node --import tsx`), so an abort cannot take the runner down.
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, SocketError, constants as c, pollHandleCount } from '../lib/index.js';
import { loopTurn, rejection } from './helpers/async.js';
import { runFixture, type FixtureResult } from './helpers/fixture.js';
import { listener, Sockets } from './helpers/peers.js';
import { WAIT_MS, expectCode, nonBlockingPair } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

const CHILD_LIMIT_MS = 20_000;
/** What an abort or a crash of node or libuv prints. */
const CRASH = /uv_loop_close|Assertion|FATAL|Segmentation|AddressSanitizer|runtime error|core dumped/;

/** Runs a fixture (see helpers/fixture.ts), killed after the limit. */
const runChild = (fixture: string, args: string[] = [], nodeArgs: string[] = []) =>
  runFixture(fixture, { args, nodeArgs, limitMs: CHILD_LIMIT_MS });

/** The JSON of the child's "RESULT …" line. */
function resultOf<T>(r: FixtureResult): T {
  const line = r.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  expect(line, `no RESULT line; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBeDefined();
  return JSON.parse(line!.slice('RESULT '.length)) as T;
}

describe('close while waits are pending', () => {
  it('a writable() wait on a full send buffer rejects with ECANCELED', async () => {
    const [client] = nonBlockingPair(sockets);
    client.setOption('SO_SNDBUF', 4096);
    // Fill the send buffer (the peer reads nothing): bounded by the buffer sizes.
    for (let i = 0; i < 10_000; i++) {
      try {
        client.send(Buffer.alloc(64 * 1024));
      } catch (e) {
        expectCode(e as SocketError, 'EAGAIN', 'send');
        break;
      }
    }
    const waiting = rejection(client.writable());
    await loopTurn();
    client.close();
    expectCode((await waiting) as SocketError, 'ECANCELED', 'poll');
  });

  it('a pending acceptAsync rejects with ECANCELED naming accept4', async () => {
    const { socket: server } = listener(sockets, { nonBlocking: true });
    const waiting = rejection(server.acceptAsync());
    await loopTurn();
    server.close();
    expectCode((await waiting) as SocketError, 'ECANCELED', 'accept4');
  });

  it('a pending connectAsync (the accept queue is full, so the handshake waits) rejects with ECANCELED', async () => {
    // backlog 0: the queue holds one connection (backlog + 1, E20); the next SYN is dropped and
    // only retransmitted a second later, so that connect stays in progress meanwhile.
    const { address } = listener(sockets, { nonBlocking: true, backlog: 0 });
    const first = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!));
    await first.connectAsync(address, { timeout: WAIT_MS });
    const stuck = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!));
    const pending = Symbol('pending');
    const waiting = rejection(stuck.connectAsync(address));
    await loopTurn();
    expect(await Promise.race([waiting, loopTurn().then(() => pending)])).toBe(pending);
    stuck.close();
    expectCode((await waiting) as SocketError, 'ECANCELED', 'connect');
  });

  it('a hundred waits of every kind on one socket all reject with ECANCELED, and the handle is freed', async () => {
    // Handles of earlier tests (closed in afterEach) are freed within a few loop turns.
    for (let i = 0; i < 20 && pollHandleCount() > 0; i++) await loopTurn();
    const [a] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s));
    const handles = pollHandleCount();
    const waits: Promise<unknown>[] = [];
    for (let i = 0; i < 25; i++) {
      waits.push(rejection(a!.readable()));
      waits.push(rejection(a!.readable({ timeout: WAIT_MS })));
      waits.push(rejection(a!.recvSome(Buffer.alloc(8))));
      waits.push(rejection(a!.readable({ signal: new AbortController().signal })));
    }
    await loopTurn();
    expect(pollHandleCount()).toBe(handles + 1); // one handle per fd, whatever the number of waits
    a!.close();
    const errors = (await Promise.all(waits)) as SocketError[];
    expect(errors.map((e) => e.code)).toEqual(waits.map(() => 'ECANCELED'));
    for (let i = 0; i < 20 && pollHandleCount() > handles; i++) await loopTurn();
    expect(pollHandleCount()).toBe(handles);
  });

  it('a wake-up that closes another socket ready in the same loop turn, and reuses its number: no stale wake-up reaches the new owner', async () => {
    const [a, aPeer] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s));
    const [b, bPeer] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s));
    const bNumber = b!.fd;
    const bWait = rejection(b!.readable());
    let reused: Socket | undefined;
    let reusedPeer: Socket | undefined;
    const wakeUps: number[] = [];
    const aWait = a!.readable().then(() => {
      // Inside a's wake-up; b's event may be in the same batch of epoll events.
      b!.close();
      const [x, y] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s));
      [reused, reusedPeer] = x!.fd === bNumber ? [x!, y!] : [y!, x!];
      // A watch passes libuv's events through as they come, with no poll(2) to filter them: a
      // stale event of b's number, left in the batch, would reach this listener.
      reused.watch(c.POLLIN!, (revents) => wakeUps.push(revents));
    });
    await loopTurn(); // both handles registered with epoll
    aPeer!.send('a');
    bPeer!.send('b'); // both ready before the loop polls again
    await aWait;
    expectCode((await bWait) as SocketError, 'ECANCELED', 'poll');
    expect(reused!.fd).toBe(bNumber);
    // The new owner has nothing to read: no wake-up reaches its watch over a few loop turns, and
    // a wait on it times out (no stale readiness of b's)…
    for (let i = 0; i < 5; i++) await loopTurn();
    expect(wakeUps).toEqual([]);
    expectCode((await rejection(reused!.readable({ timeout: 50 }))) as SocketError, 'ETIMEDOUT', 'poll');
    // …and then sees exactly its own data, through the watch (which works: the control).
    reusedPeer!.send('new');
    for (let i = 0; i < 50 && wakeUps.length === 0; i++) await loopTurn();
    reused!.unwatch();
    expect(wakeUps.length).toBeGreaterThan(0);
    expect(wakeUps[0]! & c.POLLIN!).toBe(c.POLLIN!);
    const buf = Buffer.alloc(16);
    const n = await reused!.recvSome(buf, { timeout: WAIT_MS });
    expect(buf.subarray(0, n).toString()).toBe('new');
  });
});

describe('a Socket dropped without close()', () => {
  it(
    'is closed by the finalizer after garbage collection (poll handle first), with one warning for all; a pending wait holds its socket until it ends',
    async () => {
      const r = await runChild('lifecycle-dropped.ts', [], ['--expose-gc']);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.code, r.stderr).toBe(0);
      const result = resultOf<{
        dropped: number;
        waiting: number;
        handlesBefore: number;
        stillOpen: number[];
        rounds: number;
        waitingOpenAfterGc: number;
        woken: number;
        waitingStillOpen: number[];
        wokenRounds: number;
        warnings: { code?: string; message: string }[];
        pollHandles: number;
        epollRegistrations: number;
        releasedIntact: boolean;
        netIntact: boolean;
        netData: string;
        closedControl: number;
      }>(r);
      console.log(
        `${result.dropped} dropped Sockets (30 with idle poll handles) closed after ${result.rounds} gc() rounds; ` +
          `${result.waitingOpenAfterGc} of ${result.waiting} with a wait pending still open then, closed ` +
          `${result.wokenRounds} rounds after their waits ended; warnings: ${result.warnings.length}`,
      );
      // 30 plain sockets, 30 pairs whose wait had ended (one idle handle each), 30 with a wait pending.
      expect([result.dropped, result.waiting, result.handlesBefore]).toEqual([90, 30, 60]);
      expect(result.stillOpen).toEqual([]);
      // A pending wait holds its socket: none of those was collected while it waited…
      expect(result.waitingOpenAfterGc).toBe(result.waiting);
      // …and once the waits resolved, they were garbage like the rest.
      expect(result.woken).toBe(result.waiting);
      expect(result.waitingStillOpen).toEqual([]);
      expect(result.pollHandles).toBe(0);
      expect(result.epollRegistrations).toBe(0);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]!.code).toBe('SYSSOCK_UNCLOSED_SOCKET');
      expect(result.warnings[0]!.message).toMatch(/^Closing socket fd \d+ on garbage collection/);
      // stderr carries that one warning, nothing else of ours.
      expect(r.stderr.match(/SYSSOCK_UNCLOSED_SOCKET/g)).toHaveLength(1);
      expect(r.stderr).not.toMatch(CRASH);
      // The controls: release() and toNetSocket() gave the fd away; the finalizer left it alone.
      expect(result.releasedIntact).toBe(true);
      expect(result.netIntact).toBe(true);
      expect(result.netData).toBe('through net');
      expect(result.closedControl).toBe(-1);
    },
    CHILD_LIMIT_MS + 5000,
  );
});

describe('8 worker_threads at once, each leaving with sockets and poll handles open', () => {
  it(
    'by process.exit, terminate(), an uncaught exception and running dry: no abort; their teardown closes their sockets',
    async () => {
      const r = await runChild('lifecycle-workers.ts');
      expect(r.signal, `child killed by ${r.signal}; stderr:\n${r.stderr}`).toBeNull();
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(CRASH);
      const result = resultOf<{
        workers: { mode: string; code: number; handles: number; fds: number }[];
        threads: number;
        exitMs: number;
        mainData: string;
        mainHandles: number;
        mainHandlesAfter: number;
        workerSockets: number;
        workerSocketsOpen: number;
        leftOver: [number, string][];
        finalAdded: [number, string][];
      }>(r);
      console.log(
        `8 workers left with ${result.workers.reduce((n, w) => n + w.handles, 0)} poll handles open in ${result.exitMs.toFixed(0)} ms; ` +
          `${result.workerSockets} socket fds of theirs closed by their teardown; ${result.workerSocketsOpen} outlived them`,
      );
      expect(result.threads).toBe(8);
      expect(result.workers.map((w) => [w.mode, w.code])).toEqual([
        ['exit', 0],
        ['terminate', 1],
        ['throw', 1],
        ['natural', 0],
        ['exit', 0],
        ['terminate', 1],
        ['throw', 1],
        ['natural', 0],
      ]);
      // 20 pairs with a wait on each end, a listener's acceptAsync and a raw Poller: 42 handles.
      for (const w of result.workers) expect([w.handles, w.fds]).toEqual([42, 43]);
      // The main thread's own wait and handle were not disturbed.
      expect(result.mainData).toBe('main thread still here');
      expect(result.mainHandlesAfter).toBe(result.mainHandles);
      // fds are the process's, and no JavaScript ran to close the workers' sockets: the addon's
      // environment teardown closed every fd their Sockets owned (8 × 43), and their loops'
      // epoll, eventfd and pipe fds are gone with the loops.
      expect(result.workerSockets).toBe(8 * 43);
      expect(result.workerSocketsOpen).toBe(0);
      expect(result.leftOver).toEqual([]);
      expect(result.finalAdded).toEqual([]);
    },
    CHILD_LIMIT_MS + 5000,
  );
});

describe('the process exits with waits pending', () => {
  const modes: [string, number, RegExp | null][] = [
    ['exit', 0, null],
    ['exit-in-wakeup', 7, null],
    ['throw', 1, /Error: uncaught, with waits pending/],
  ];
  it.each(modes)(
    "%s: ends at once with code %i, no abort (400 ref'd waits that would never end)",
    async (mode, code, stderr) => {
      const r = await runChild('lifecycle-exit.ts', [mode]);
      expect(r.signal, r.stderr).toBeNull();
      expect(r.code, r.stderr).toBe(code);
      expect(Number(/^ready (\d+)$/m.exec(r.stdout)?.[1])).toBeGreaterThanOrEqual(402);
      if (stderr === null) expect(r.stderr).toBe('');
      else expect(r.stderr).toMatch(stderr);
      expect(r.stderr).not.toMatch(CRASH);
      // Bounded: far below the child limit (it takes ~0.5 s, mostly node and tsx starting).
      expect(r.ms).toBeLessThan(CHILD_LIMIT_MS / 2);
    },
    CHILD_LIMIT_MS + 5000,
  );
});

describe('after all of the above', () => {
  it('every poll handle of this file has been freed', async () => {
    sockets.closeAll();
    for (let i = 0; i < 20 && pollHandleCount() > 0; i++) await loopTurn();
    expect(pollHandleCount()).toBe(0);
  });
});
