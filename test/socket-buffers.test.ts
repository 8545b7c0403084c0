// Buffer sizes and queue lengths as the kernel reports them: Linux doubles SO_SNDBUF/SO_RCVBUF
// (the extra half is its bookkeeping), and Send-Q (SIOCOUTQ) / Recv-Q (FIONREAD) account for
// every byte a sender handed to the kernel while the receiver is not reading.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constant, sys } from '../lib/index.js';
import { Sockets, tcpPair } from './helpers/peers.js';
import { tcpSocket, waitFor } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/**
 * A size well inside the kernel's floor and ceiling: 64 KiB, or the ceiling itself where this
 * machine's net.core.{w,r}mem_max is smaller, so the test does not depend on that sysctl.
 */
function bufferSize(sysctl: 'wmem_max' | 'rmem_max'): number {
  const wanted = 65536;
  try {
    const ceiling = Number(readFileSync(`/proc/sys/net/core/${sysctl}`, 'utf8').trim());
    return Number.isInteger(ceiling) && ceiling > 0 ? Math.min(wanted, ceiling) : wanted;
  } catch {
    return wanted;
  }
}

/** Bytes sent while the receiver does not read: one segment on loopback. */
const K = 1000;

/**
 * The client sends K bytes; the server does not read them, but once they are all queued it sends
 * one byte back. That segment carries ack = rcv_nxt, so once the client has it the K bytes are
 * acknowledged: without it a delayed ACK could leave them counted in both queues at once.
 */
function sentUnread(): [Socket, Socket] {
  const [client, server] = tcpPair(sockets);
  expect(client.send(Buffer.alloc(K, 0x62))).toBe(K);
  waitFor(server, constant('POLLIN'));
  expect(server.send('a')).toBe(1);
  waitFor(client, constant('POLLIN'));
  return [client, server];
}

describe('SO_SNDBUF / SO_RCVBUF', () => {
  it('SO_SNDBUF set to N reads back 2N', () => {
    const s = tcpSocket(sockets);
    const n = bufferSize('wmem_max');
    s.setOption('SO_SNDBUF', n);
    expect(s.getOption('SO_SNDBUF')).toBe(2 * n);
  });

  it('SO_RCVBUF set to N reads back 2N', () => {
    const s = tcpSocket(sockets);
    const n = bufferSize('rmem_max');
    s.setOption('SO_RCVBUF', n);
    expect(s.getOption('SO_RCVBUF')).toBe(2 * n);
  });

  it('sys.getsockopt(SO_SNDBUF) writes the doubled value and returns the int size', () => {
    const s = tcpSocket(sockets);
    const n = bufferSize('wmem_max');
    expect(sys.setsockopt(s.fd, constant('SOL_SOCKET'), constant('SO_SNDBUF'), new Int32Array([n]))).toBe(0);
    const out = new Int32Array(1);
    expect(sys.getsockopt(s.fd, constant('SOL_SOCKET'), constant('SO_SNDBUF'), out)).toBe(out.byteLength);
    expect(out[0]).toBe(2 * n);
  });
});

describe('Send-Q and Recv-Q', () => {
  it('Recv-Q holds all K bytes the receiver has not read', () => {
    const [, server] = sentUnread();
    expect(server.recvQueue()).toBe(K);
  });

  it("sender's Send-Q + receiver's Recv-Q equals the K bytes accepted, once they are acknowledged", () => {
    const [client, server] = sentUnread();
    expect(client.sendQueue() + server.recvQueue()).toBe(K);
  });

  it('the same sum through the raw layer: ioctl(SIOCOUTQ) + ioctl(FIONREAD)', () => {
    const [client, server] = sentUnread();
    const outq = new Int32Array(1);
    const inq = new Int32Array(1);
    expect(sys.ioctl(client.fd, constant('SIOCOUTQ'), outq)).toBe(0);
    expect(sys.ioctl(server.fd, constant('FIONREAD'), inq)).toBe(0);
    expect((outq[0] ?? -1) + (inq[0] ?? -1)).toBe(K);
  });

  it('Recv-Q drops to 0 once the receiver reads everything', () => {
    const [, server] = sentUnread();
    const buf = Buffer.alloc(2 * K);
    expect(server.recv(buf)).toBe(K);
    expect(server.recvQueue()).toBe(0);
  });

  it('SIOCINQ is FIONREAD', () => {
    expect(constant('SIOCINQ')).toBe(constant('FIONREAD'));
  });
});
