/**
 * Loopback peers for the single-host experiments: a listener on 127.0.0.1 with a port the
 * kernel picks, a client connected to it, the accepted server side. Everything is registered
 * with the scope, so it is closed however the experiment ends.
 * @module
 */
import { inet, type InetAddress } from '../address.js';
import { constants as c } from '../constants.js';
import { Socket } from '../socket.js';
import type { Scope } from './scope.js';

/** Options for {@link tcpConnection}. */
export interface ConnectionOptions {
  /** SO_SNDBUF for the client, set before connect (Linux doubles it). */
  clientSndbuf?: number;
  /** SO_RCVBUF for the listener, set before listen (the accepted socket inherits it). */
  serverRcvbuf?: number;
}

/** A TCP listener on 127.0.0.1:0 (SO_REUSEADDR set), blocking. */
export function tcpListener(scope: Scope, options: { rcvbuf?: number; backlog?: number } = {}) {
  const socket = scope.socket(Socket.create(c.AF_INET, c.SOCK_STREAM));
  socket.setOption('SO_REUSEADDR', true);
  if (options.rcvbuf !== undefined) socket.setOption('SO_RCVBUF', options.rcvbuf);
  socket.bind(inet('127.0.0.1', 0));
  socket.listen(options.backlog ?? 16);
  return { socket, address: socket.getsockname() as InetAddress };
}

/** A connected loopback TCP connection: the client and the server's accepted side, both blocking. */
export function tcpConnection(scope: Scope, options: ConnectionOptions = {}) {
  const listener = tcpListener(scope, { rcvbuf: options.serverRcvbuf });
  const client = scope.socket(Socket.create(c.AF_INET, c.SOCK_STREAM));
  if (options.clientSndbuf !== undefined) client.setOption('SO_SNDBUF', options.clientSndbuf);
  client.connect(listener.address);
  const server = scope.socket(listener.socket.accept().socket);
  return { listener: listener.socket, address: listener.address, client, server };
}
