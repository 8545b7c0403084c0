// fd hygiene under numbers: 100,000 open/close cycles leave no fd behind (the kernel hands out the
// lowest free number, so a single leak would move every later number); 10,000 cycles with an
// async wait pending leave no poll handle and no epoll registration behind; sockets made by
// Socket.create / pair / accept are not inherited by a spawned child (the child lists its own
// /proc/self/fd), while the raw twins are (the control); and under pressure — many tasks closing
// and opening sockets concurrently, so fd numbers are recycled all the time — a closed Socket
// never touches the number's new owner, and every owner receives exactly its own bytes.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, SocketError, constants as c, pollHandleCount, sys } from '../lib/index.js';
import { addon } from '../lib/native.js';
import { loopTurn, rejection } from './helpers/async.js';
import { epollRegistrations } from './helpers/epoll.js';
import { listener, Sockets } from './helpers/peers.js';
import { WAIT_MS, expectCode, waitAcceptable } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

const CYCLES = 100_000;
const ASYNC_CYCLES = 10_000;
/** Generous for a loaded 2-core machine: one cycle takes ~7 µs here. */
const CYCLES_LIMIT_MS = 10_000;
const NO_SYSCALL = 'no syscall was made';

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Targets of every fd of this process, readlink'ed (for the inode of a socket). */
function targetOf(fd: number): string {
  return readlinkSync(`/proc/self/fd/${fd}`);
}

describe(`${CYCLES.toLocaleString('en')} open/close cycles`, () => {
  const cycles: [string, () => number][] = [
    [
      'Socket.create / close',
      () => {
        const s = Socket.create(c.AF_INET!, c.SOCK_STREAM!);
        const fd = s.fd;
        s.close();
        return fd;
      },
    ],
    [
      'sys.socket / sys.close',
      () => {
        const fd = sys.socket(c.AF_INET!, c.SOCK_STREAM!, 0);
        return fd >= 0 && sys.close(fd) === 0 ? fd : -1;
      },
    ],
    [
      'Socket.pair / close both',
      () => {
        const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!);
        const fd = a!.fd;
        a!.close();
        b!.close();
        return fd;
      },
    ],
  ];

  it.each(cycles)('%s leaks no fd, and the same number comes back every time', (name, cycle) => {
    const before = fdCount();
    const numbers = new Set<number>();
    let failures = 0;
    const started = performance.now();
    for (let i = 0; i < CYCLES; i++) {
      const fd = cycle();
      if (fd < 0) failures++;
      else numbers.add(fd);
    }
    const ms = performance.now() - started;
    console.log(`${name}: ${CYCLES} cycles in ${ms.toFixed(0)} ms, fd numbers used: ${[...numbers].join(', ')}`);
    expect(failures).toBe(0);
    expect(fdCount()).toBe(before);
    // Nothing else runs while this synchronous loop does: close(2) frees the number and socket(2)
    // takes the lowest free one, so one leaked fd anywhere would have moved every later number.
    expect(numbers.size).toBe(1);
    expect(ms).toBeLessThan(CYCLES_LIMIT_MS);
  });

  it(`${ASYNC_CYCLES.toLocaleString('en')} cycles with a wait pending at close leave no fd, poll handle or epoll registration`, async () => {
    const fds = fdCount();
    const handles = pollHandleCount();
    const registrations = epollRegistrations().length;
    const codes = new Map<string, number>();
    const started = performance.now();
    for (let i = 0; i < ASYNC_CYCLES; i++) {
      const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!);
      const waiting = rejection(a!.recvSome(Buffer.alloc(8), { timeout: WAIT_MS }));
      // Every other cycle lets libuv register the fd with epoll first (one loop turn).
      if (i % 2 === 0) await loopTurn();
      a!.close();
      b!.close();
      const err = (await waiting) as SocketError;
      const key = `${err.code} ${err.syscall}`;
      codes.set(key, (codes.get(key) ?? 0) + 1);
    }
    // Closed handles are freed in their close callbacks, a loop phase later.
    for (let i = 0; i < 20 && pollHandleCount() > handles; i++) await loopTurn();
    const ms = performance.now() - started;
    console.log(`${ASYNC_CYCLES} async cycles in ${ms.toFixed(0)} ms: ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(Object.fromEntries(codes)).toEqual({ 'ECANCELED recv': ASYNC_CYCLES });
    expect(pollHandleCount()).toBe(handles);
    expect(fdCount()).toBe(fds);
    expect(epollRegistrations().length).toBe(registrations);
    expect(ms).toBeLessThan(CYCLES_LIMIT_MS);
  });
});

/** What a spawned child has open: fd number → target, listed by `ls -l /proc/self/fd` in the child. */
function childFds(): Promise<Map<number, string>> {
  return new Promise((resolve, reject) => {
    execFile('ls', ['-l', '/proc/self/fd'], { timeout: WAIT_MS * 5 }, (error, stdout) => {
      if (error) return reject(error);
      const fds = new Map<number, string>();
      for (const line of stdout.split('\n')) {
        const m = / (\d+) -> (.+)$/.exec(line);
        if (m) fds.set(Number(m[1]), m[2]!);
      }
      resolve(fds);
    });
  });
}

describe("the thread's record of the fds its Sockets own (closed by the teardown of a worker)", () => {
  it('a Socket owns its fd from construction until close() or release(); raw fds are never recorded', () => {
    const start = addon.ownedFdCount();
    const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!);
    expect(addon.ownedFdCount()).toBe(start + 2);
    a!.close();
    expect(addon.ownedFdCount()).toBe(start + 1);
    const fd = b!.release();
    expect(addon.ownedFdCount()).toBe(start);
    const raw = sys.socket(c.AF_INET!, c.SOCK_STREAM!, 0);
    expect(addon.ownedFdCount()).toBe(start);
    const adopted = Socket.fromFd(fd);
    expect(addon.ownedFdCount()).toBe(start + 1);
    adopted.close();
    expect(sys.close(raw)).toBe(0);
    expect(addon.ownedFdCount()).toBe(start);
  });
});

describe('inheritance by a spawned child', () => {
  it('sockets from Socket.create / pair / accept / acceptAsync are not inherited; sys.socket, createRaw and acceptRaw ones are', async () => {
    const { socket: server, address } = listener(sockets, { nonBlocking: true });
    const connect = () => {
      const client = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
      client.connect(address);
      waitAcceptable(server);
    };
    connect();
    const accepted = sockets.add(server.accept().socket);
    connect();
    const acceptedAsync = sockets.add((await server.acceptAsync({ timeout: WAIT_MS })).socket);
    const [pairA, pairB] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!).map((s) => sockets.add(s));
    const secure: [string, Socket][] = [
      ['Socket.create(AF_INET, SOCK_STREAM)', sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!))],
      [
        'Socket.create(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK)',
        sockets.add(Socket.create(c.AF_UNIX!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!)),
      ],
      ['Socket.pair, first end', pairA!],
      ['Socket.pair, second end', pairB!],
      ['accept()', accepted],
      ['acceptAsync()', acceptedAsync],
      ['the listener (Socket.create)', server],
    ];
    connect();
    const rawAccepted = sockets.add(server.acceptRaw().socket);
    const rawFd = sys.socket(c.AF_INET!, c.SOCK_STREAM!, 0);
    expect(rawFd).toBeGreaterThanOrEqual(0);
    const inherited: [string, Socket][] = [
      ['sys.socket(AF_INET, SOCK_STREAM, 0)', sockets.add(Socket.fromFd(rawFd))],
      ['Socket.createRaw(AF_INET, SOCK_DGRAM)', sockets.add(Socket.createRaw(c.AF_INET!, c.SOCK_DGRAM!))],
      ['acceptRaw()', rawAccepted],
    ];
    const inChild = await childFds();
    // An inherited fd keeps its number and its open file: same fd, same socket inode.
    const seen = ([what, s]: [string, Socket]) => [what, inChild.get(s.fd) === targetOf(s.fd)];
    console.log(
      `child's fds: ${[...inChild].map(([fd, t]) => `${fd} → ${t}`).join(', ')}; ` +
        `ours: ${[...secure, ...inherited].map(([w, s]) => `${w} = ${s.fd} → ${targetOf(s.fd)}`).join('; ')}`,
    );
    expect(secure.map(seen)).toEqual(secure.map(([what]) => [what, false]));
    expect(inherited.map(seen)).toEqual(inherited.map(([what]) => [what, true]));
    // And no socket of ours appears in the child under another number either.
    const childTargets = new Set(inChild.values());
    expect(secure.filter(([, s]) => childTargets.has(targetOf(s.fd))).map(([w]) => w)).toEqual([]);
  });
});

/** A small seeded PRNG (mulberry32), so that a failing interleaving can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('recycled fd numbers under pressure', () => {
  const TASKS = 64;
  const ROUNDS = 40;
  const SEED = 0x5eed;

  it(`${TASKS} tasks × ${ROUNDS} rounds close and open concurrently: a closed Socket never touches the new owner`, async () => {
    const random = prng(SEED);
    /** Live sockets by fd number: who owns a number now. */
    const owners = new Map<number, Socket>();
    /** Closed sockets and the number each had. Bounded: the most recent 512. */
    const graveyard: { socket: Socket; fd: number }[] = [];
    let staleCalls = 0;
    let staleOnOwnedNumber = 0;
    let cancelledAtClose = 0;
    const handles = pollHandleCount();

    const open = (): [Socket, Socket] => {
      const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s));
      owners.set(a!.fd, a!);
      owners.set(b!.fd, b!);
      return [a!, b!];
    };
    const close = (s: Socket) => {
      const fd = s.fd;
      if (fd < 0) return;
      owners.delete(fd);
      s.close();
      graveyard.push({ socket: s, fd });
      if (graveyard.length > 512) graveyard.shift();
    };
    /** Stale calls on a few closed sockets: each must be EBADF without a syscall, and close a no-op. */
    const haunt = async () => {
      for (let k = 0; k < 3 && graveyard.length > 0; k++) {
        const { socket, fd } = graveyard[Math.floor(random() * graveyard.length)]!;
        if (owners.has(fd)) staleOnOwnedNumber++;
        staleCalls++;
        for (const call of [
          () => socket.send('stale'),
          () => socket.recv(Buffer.alloc(8)),
          () => socket.shutdown(c.SHUT_RDWR!),
        ]) {
          let err: unknown;
          try {
            call();
          } catch (e) {
            err = e;
          }
          expectCode(err as SocketError, 'EBADF');
          expect((err as SocketError).message).toContain(NO_SYSCALL);
        }
        expectCode((await rejection(socket.sendAll('stale', { timeout: WAIT_MS }))) as SocketError, 'EBADF', 'send');
        socket.close(); // a no-op: must not close the number's new owner
      }
    };
    const maybeYield = async () => {
      if (random() < 0.5) await loopTurn();
    };

    async function task(id: number): Promise<number> {
      let received = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const [a, b] = open();
        const payload = Buffer.concat([Buffer.from(`${id}/${round}/`), randomBytes(1 + Math.floor(random() * 2048))]);
        // The receiver waits first, so that a poll handle is armed on the recycled number.
        const receiving = (async () => {
          const chunks: Buffer[] = [];
          const buf = Buffer.alloc(4096);
          for (let i = 0; i <= payload.length; i++) {
            const n = await a.recvSome(buf, { timeout: WAIT_MS });
            if (n === 0) break;
            chunks.push(Buffer.from(buf.subarray(0, n)));
          }
          return Buffer.concat(chunks);
        })();
        await maybeYield();
        await haunt();
        await b.sendAll(payload, { timeout: WAIT_MS });
        b.shutdown(c.SHUT_WR!);
        await maybeYield();
        const got = await receiving;
        expect(
          got.equals(payload),
          `task ${id} round ${round}: received ${got.length} B, sent ${payload.length} B`,
        ).toBe(true);
        received += got.length;
        // Close in either order. b (nothing to read, its peer still open) half the time goes
        // first with a wait still pending on it; a is at end of stream, so always readable.
        if (random() < 0.5) {
          const pending = rejection(b.readable({ timeout: WAIT_MS }));
          await maybeYield();
          close(b);
          expectCode((await pending) as SocketError, 'ECANCELED', 'poll');
          cancelledAtClose++;
          await maybeYield();
          close(a);
        } else {
          close(a);
          await maybeYield();
          close(b);
        }
      }
      return received;
    }

    const started = performance.now();
    const totals = await Promise.all(Array.from({ length: TASKS }, (_, id) => task(id)));
    const ms = performance.now() - started;
    for (let i = 0; i < 20 && pollHandleCount() > handles; i++) await loopTurn();
    console.log(
      `${TASKS * ROUNDS} pairs in ${ms.toFixed(0)} ms; ${totals.reduce((x, y) => x + y, 0)} bytes, each owner exactly its own; ` +
        `${staleCalls} stale sockets called (${staleOnOwnedNumber} while their old number had a new owner), all EBADF without a syscall; ` +
        `${cancelledAtClose} closes with a wait pending (ECANCELED)`,
    );
    // The point of the pressure: stale calls really happened while the number belonged to someone else.
    expect(staleOnOwnedNumber).toBeGreaterThan(0);
    expect(owners.size).toBe(0);
    expect(pollHandleCount()).toBe(handles);
  });

  it('a number closed with a wait pending is reused at once by a new socket, which waits and reads on it normally', async () => {
    const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s));
    const number = a!.fd;
    const pending = rejection(a!.recvSome(Buffer.alloc(8), { timeout: WAIT_MS }));
    await loopTurn(); // the old handle is registered with epoll
    b!.send('for the old owner');
    a!.close(); // its handle is closing (freed next turn) while the number is handed out again
    const [x, y] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!).map((s) => sockets.add(s));
    const reused = [x!, y!].find((s) => s.fd === number);
    expect(reused, `fd ${number} was not handed out again`).toBeDefined();
    const peer = reused === x ? y! : x!;
    expectCode((await pending) as SocketError, 'ECANCELED', 'recv');
    const buf = Buffer.alloc(64);
    const receiving = reused!.recvSome(buf, { timeout: WAIT_MS });
    peer.send('new owner');
    const n = await receiving;
    expect(buf.subarray(0, n).toString()).toBe('new owner');
  });
});
