/**
 * The measured JavaScript loops of bench/async.ts, syssock (on the event loop: sendAll,
 * recvSome, connectAsync, accepts, writable, sys.writev) and node:net. Each is bounded in count
 * and in time and rejects rather than hang.
 * @module
 */
import { once } from 'node:events';
import net from 'node:net';
import { constants as c, inet, Socket, sys, type InetAddress } from '../lib/index.js';

const AF_INET = c.AF_INET!;
const SOCK_STREAM = c.SOCK_STREAM!;
const SOCK_NONBLOCK = c.SOCK_NONBLOCK!;

/** A nonblocking, connected syssock client with TCP_NODELAY. */
export async function syssockClient(port: number): Promise<Socket> {
  const s = Socket.create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  try {
    s.setOption('TCP_NODELAY', true);
    await s.connectAsync(inet('127.0.0.1', port), { timeout: 5000 });
    return s;
  } catch (e) {
    s.close();
    throw e;
  }
}

/** Round-trip times in ns, sorted. */
export type Rtts = Float64Array;

/** `n` ping-pongs of `size` bytes: sendAll, then recvSome until all of the echo is back. */
export async function syssockPingPong(s: Socket, size: number, n: number): Promise<Rtts> {
  const msg = Buffer.alloc(size, 'p');
  const buf = Buffer.alloc(size);
  const rtt = new Float64Array(n);
  const options = { timeout: 5000 };
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await s.sendAll(msg, options);
    for (let got = 0; got < size;) {
      const r = await s.recvSome(buf, { offset: got, length: size - got, timeout: 5000 });
      if (r === 0) throw new Error('echo server closed the connection');
      got += r;
    }
    rtt[i] = Number(process.hrtime.bigint() - t0);
  }
  return rtt.sort();
}

/** `n` ping-pongs of `size` bytes with node:net: write, then 'data' events until the echo is back. */
export async function netPingPong(s: net.Socket, size: number, n: number): Promise<Rtts> {
  const msg = Buffer.alloc(size, 'p');
  const rtt = new Float64Array(n);
  let got = 0;
  let done: (() => void) | undefined;
  const onData = (d: Buffer): void => {
    got += d.length;
    if (got >= size && done) {
      const f = done;
      done = undefined;
      f();
    }
  };
  s.on('data', onData);
  try {
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      got = 0;
      const back = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('node:net ping-pong: no echo in 5 s')), 5000);
        done = () => (clearTimeout(timer), resolve());
      });
      s.write(msg);
      await back;
      rtt[i] = Number(process.hrtime.bigint() - t0);
    }
  } finally {
    s.off('data', onData);
  }
  return rtt.sort();
}

/** `n` × sendAll(64 KiB); ns. */
export async function syssockBulk(s: Socket, n: number): Promise<number> {
  const buf = Buffer.alloc(64 * 1024, 'x');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await s.sendAll(buf, { timeout: 5000 });
  return Number(process.hrtime.bigint() - t0);
}

/** `n` × sendAll(10 B): one async call and one send(2) per message; ns. */
export async function syssockSmall(s: Socket, n: number): Promise<number> {
  const msg = Buffer.alloc(10, 'm');
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await s.sendAll(msg, { timeout: 5000 });
  return Number(process.hrtime.bigint() - t0);
}

/**
 * `n` 10-byte messages, `batch` per sys.writev (one JS→C crossing and one syscall per batch), one
 * iovec per message as in the C reference. `form`: `'segments'` lays the messages out in one
 * arena and passes (offset, length) pairs (two Node-API reads per call); `'array'` passes an
 * array of `batch` Buffers (two Node-API reads per message). A partial write finishes the cut
 * message with sendAll and goes on with the next whole one; -EAGAIN awaits `writable()`. ns.
 */
export async function syssockBatch(s: Socket, n: number, batch: number, form: 'segments' | 'array'): Promise<number> {
  const SIZE = 10;
  const arena = Buffer.alloc(SIZE * batch, 'm');
  const pairs = new Uint32Array(2 * batch).map((_, i) => (i % 2 === 0 ? (i / 2) * SIZE : SIZE));
  const views = Array.from({ length: batch }, (_, i) => arena.subarray(i * SIZE, (i + 1) * SIZE));
  const write = (k: number): number =>
    form === 'segments'
      ? sys.writev(fd, arena, k === batch ? pairs : pairs.subarray(0, 2 * k))
      : sys.writev(fd, k === batch ? views : views.slice(0, k));
  const fd = s.fd;
  const EAGAIN = -c.EAGAIN!;
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < n;) {
    const k = Math.min(batch, n - sent);
    const rc = write(k);
    if (rc === EAGAIN) {
      await s.writable({ timeout: 5000 });
      continue;
    }
    if (rc < 0) throw new Error(`writev: ${rc}`);
    let whole = Math.floor(rc / SIZE);
    const cut = rc % SIZE;
    if (cut !== 0) {
      await s.sendAll(arena, { offset: whole * SIZE + cut, length: SIZE - cut, timeout: 5000 });
      whole++;
    }
    sent += whole;
  }
  return Number(process.hrtime.bigint() - t0);
}

/** node:net: `n` writes of 10 B, cork()ed `batch` at a time (uncork → one writev in libuv); ns. */
export async function netCorked(s: net.Socket, n: number, batch: number): Promise<number> {
  const msg = Buffer.alloc(10, 'm');
  const t0 = process.hrtime.bigint();
  for (let sent = 0; sent < n;) {
    const k = Math.min(batch, n - sent);
    s.cork();
    let ok = true;
    for (let i = 0; i < k; i++) ok = s.write(msg);
    s.uncork();
    sent += k;
    if (!ok) await once(s, 'drain');
  }
  await new Promise<void>((resolve, reject) => s.write(Buffer.alloc(0), (e) => (e ? reject(e) : resolve())));
  return Number(process.hrtime.bigint() - t0);
}

/** Counts accepted connections; `reach(n, ms)` resolves once `n` are in, rejects after `ms`. */
class AcceptCounter {
  value = 0;
  #want = Infinity;
  #done: (() => void) | undefined;
  inc(): void {
    if (++this.value >= this.#want) this.#done?.();
  }
  reach(n: number, ms: number): Promise<void> {
    if (this.value >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${this.value} of ${n} accepted within ${ms} ms`)), ms);
      this.#want = n;
      this.#done = () => (clearTimeout(timer), resolve());
    });
  }
}

/** Outcome of a connect+accept run (the clock stops when every connection is also accepted). */
export interface ConnRate {
  count: number;
  accepted: number;
  ns: number;
}

/**
 * syssock connect+accept in this process: a nonblocking listener served by `accepts()` (each
 * accepted socket closed at once) and `inflight` workers doing socket → connectAsync → close,
 * until `n` connections or `ms` have passed.
 */
export async function syssockConnRate(n: number, ms: number, inflight: number): Promise<ConnRate> {
  const listener = Socket.create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
  const accepted = new AcceptCounter();
  let count = 0;
  try {
    listener.bind(inet('127.0.0.1', 0));
    listener.listen(4096);
    const address = listener.getsockname() as InetAddress;
    const acceptLoop = (async () => {
      for await (const { socket } of listener.accepts()) {
        socket.close();
        accepted.inc();
      }
    })();
    const t0 = process.hrtime.bigint();
    const end = performance.now() + ms;
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < n && performance.now() < end) {
        started++;
        const s = Socket.create(AF_INET, SOCK_STREAM | SOCK_NONBLOCK);
        try {
          await s.connectAsync(address, { timeout: 5000 });
        } finally {
          s.close();
        }
        count++;
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    await accepted.reach(count, 10_000);
    const ns = Number(process.hrtime.bigint() - t0);
    listener.close(); // ends the accepts() loop quietly
    await acceptLoop;
    return { count, accepted: accepted.value, ns };
  } finally {
    listener.close();
  }
}

/** The same with node:net: a server that destroys each connection, `inflight` connect workers. */
export async function netConnRate(n: number, ms: number, inflight: number): Promise<ConnRate> {
  const accepted = new AcceptCounter();
  let count = 0;
  const server = net.createServer((socket) => {
    accepted.inc();
    socket.on('error', () => {});
    socket.destroy();
  });
  try {
    server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 });
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const t0 = process.hrtime.bigint();
    const end = performance.now() + ms;
    let started = 0;
    const worker = async (): Promise<void> => {
      while (started < n && performance.now() < end) {
        started++;
        await new Promise<void>((resolve, reject) => {
          const s = net.connect({ host: '127.0.0.1', port });
          const timer = setTimeout(() => (s.destroy(), reject(new Error('node:net connect: 5 s'))), 5000);
          s.once('connect', () => (clearTimeout(timer), s.destroy(), resolve()));
          s.once('error', (e) => (clearTimeout(timer), reject(e)));
        });
        count++;
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    await accepted.reach(count, 10_000);
    return { count, accepted: accepted.value, ns: Number(process.hrtime.bigint() - t0) };
  } finally {
    server.close();
  }
}
