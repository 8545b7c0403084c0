// node:net objects for the interop rows, made once per run: a listening server, a connected client
// and its server side, a destroyed socket, a socket that never connected, a server that never
// listened — and the BorrowedSockets over them. The fuzzer only borrows these (options, names,
// queues); it never hands node:net's fds to the raw layer.
import { once } from 'node:events';
import net from 'node:net';
import { borrow, type BorrowedSocket } from '../../lib/index.js';
import { defuse } from './pool.js';

export class NetTargets {
  readonly borrowed: BorrowedSocket[] = [];
  /** A server that is listening already (listenOnNet must refuse it). */
  server!: net.Server;
  readonly #sockets: net.Socket[] = [];

  static async create(): Promise<NetTargets> {
    const targets = new NetTargets();
    await targets.#open();
    return targets;
  }

  async #open(): Promise<void> {
    const server = net.createServer();
    this.server = server;
    server.on('error', () => undefined);
    // Every server-side connection is held here, so that the leak check knows its fd.
    server.on('connection', (socket: net.Socket) => {
      socket.on('error', () => undefined);
      this.#sockets.push(socket);
    });
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    await once(client, 'connect');
    const [serverSide] = await accepted;
    const destroyed = net.connect(port, '127.0.0.1');
    destroyed.on('error', () => undefined);
    await once(destroyed, 'connect');
    destroyed.destroy();
    const neverConnected = new net.Socket();
    const neverListened = net.createServer();
    this.#sockets.push(client, destroyed, neverConnected);
    for (const target of [server, client, serverSide, destroyed, neverConnected, neverListened])
      this.borrowed.push(borrow(target));
  }

  /** Whether `value` is one of the run's own net objects (the harness never closes those for a call). */
  owns(value: unknown): boolean {
    return value === this.server || this.#sockets.includes(value as net.Socket);
  }

  /** The fds node:net holds for these (for the leak check). */
  fds(): number[] {
    return [this.server, ...this.#sockets].map((t) => borrow(t).fd).filter((fd) => fd >= 0);
  }

  async close(): Promise<void> {
    // A fuzzed SO_LINGER on net's sockets must not make their close block the event loop.
    for (const b of this.borrowed) if (b.fd >= 0) defuse(b.fd);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
