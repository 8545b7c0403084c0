import { afterEach, describe, expect, it } from 'vitest';
import { constants as c, Socket, SocketError } from '../lib/index.js';
import { Sockets, tcpPair, closedPort } from './helpers/peers.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

describe('smoke', () => {
  it('moves bytes over a loopback TCP pair', () => {
    const [a, b] = tcpPair(sockets);
    expect(a.send('hello')).toBe(5);
    const buf = Buffer.alloc(16);
    expect(b.recv(buf)).toBe(5);
    expect(buf.subarray(0, 5).toString()).toBe('hello');
    expect(b.tcpInfo().stateName).toBe('ESTABLISHED');
  });
  it('blocking connect to a closed port throws ECONNREFUSED', () => {
    const addr = closedPort(sockets);
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    const err = (() => {
      try {
        s.connect(addr);
      } catch (e) {
        return e;
      }
    })() as SocketError;
    expect(err).toBeInstanceOf(SocketError);
    expect(err.code).toBe('ECONNREFUSED');
    expect(err.errno).toBe(-c.ECONNREFUSED!);
    console.log(err.message);
  });
});
