/**
 * The node:net loop: `n` × socket.write(buf) as an application writes, honouring backpressure
 * (await 'drain' when write() returns false), timed until the last write's callback, i.e. until
 * every byte has been handed to the kernel, the same point at which send(2) returns.
 *
 * node:net has no EAGAIN loop: libuv takes EAGAIN itself, keeps the rest in user space and waits
 * for POLLOUT; JavaScript only ever sees write() return false, and the data is still accepted.
 * @module
 */
import { once } from 'node:events';
import type net from 'node:net';

/** `n` writes of `buf`; resolves with the wall time in ns, rejects after `timeoutMs`. */
export async function netWrite(socket: net.Socket, buf: Buffer, n: number, timeoutMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`node:net: ${n} writes did not finish in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([writeAll(socket, buf, n), timeout]);
  } catch (e) {
    socket.destroy(); // a stuck or failed stream is not reused
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function writeAll(socket: net.Socket, buf: Buffer, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n - 1; i++) {
    if (!socket.write(buf)) await once(socket, 'drain');
  }
  await new Promise<void>((resolve, reject) => socket.write(buf, (e) => (e ? reject(e) : resolve())));
  return Number(process.hrtime.bigint() - t0);
}
