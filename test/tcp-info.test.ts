// TCP_INFO as decoded by Socket.tcpInfo(), on live loopback connections. Only relations are
// asserted (a state, a counter that grows by the bytes sent, rtt > 0), never a value that
// depends on this machine; a counter the running kernel does not fill must be listed in `absent`.
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constant, sys, tcpStateName, type TcpInfo } from '../lib/index.js';
import { listener, Sockets, tcpPair } from './helpers/peers.js';
import { expectThrows, tcpSocket, waitFor } from './helpers/tcp.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

/** Bytes sent in one exchange: below any loopback MSS, so one segment. */
const N = 1000;

/**
 * The client sends N bytes, the server reads all of them and answers one byte; once the client
 * has that byte, the server's segment has acknowledged all N bytes (it carries ack = rcv_nxt).
 */
function exchange(client: Socket, server: Socket): void {
  expect(client.send(Buffer.alloc(N, 0x61))).toBe(N);
  const buf = Buffer.alloc(N);
  let got = 0;
  for (let i = 0; i < 100 && got < N; i++) {
    waitFor(server, constant('POLLIN'));
    got += server.recv(buf, 0, got);
  }
  expect(got).toBe(N);
  expect(server.send('k')).toBe(1);
  waitFor(client, constant('POLLIN'));
  expect(client.recv(Buffer.alloc(4))).toBe(1);
}

/** Asserts the growth of an optional counter, or that it is listed in `absent` when missing. */
function expectGrowth(
  before: TcpInfo,
  after: TcpInfo,
  field: keyof TcpInfo & string,
  check: (delta: number) => void,
): void {
  const b = before[field];
  const a = after[field];
  if (typeof a === 'number' && typeof b === 'number') {
    check(a - b);
  } else {
    expect(a).toBeUndefined();
    expect(after.absent.map((f) => f.field)).toContain(field);
  }
}

describe('TCP_INFO state', () => {
  it('a connected client is ESTABLISHED', () => {
    const [client] = tcpPair(sockets);
    const info = client.tcpInfo();
    expect(info.state).toBe(constant('TCP_ESTABLISHED'));
    expect(info.stateName).toBe('ESTABLISHED');
  });

  it('the accepted side is ESTABLISHED', () => {
    const [, server] = tcpPair(sockets);
    expect(server.tcpInfo().state).toBe(constant('TCP_ESTABLISHED'));
  });

  it('a listener is LISTEN', () => {
    const { socket: server } = listener(sockets);
    const info = server.tcpInfo();
    expect(info.state).toBe(constant('TCP_LISTEN'));
    expect(info.stateName).toBe('LISTEN');
  });

  it('a socket that never connected is CLOSE', () => {
    const s = tcpSocket(sockets);
    expect(s.tcpInfo().state).toBe(constant('TCP_CLOSE'));
  });

  it('tcpStateName names each TCP_* state constant', () => {
    for (const name of ['ESTABLISHED', 'SYN_SENT', 'LISTEN', 'CLOSE', 'CLOSE_WAIT', 'TIME_WAIT']) {
      expect(tcpStateName(constant(`TCP_${name}`))).toBe(name);
    }
  });
});

describe('TCP_INFO counters on a live connection', () => {
  it('bytesAcked grows by exactly the bytes sent once the peer has acknowledged them', () => {
    const [client, server] = tcpPair(sockets);
    const before = client.tcpInfo();
    exchange(client, server);
    expectGrowth(before, client.tcpInfo(), 'bytesAcked', (d) => expect(d).toBe(N));
  });

  it('bytesSent grows by the bytes sent', () => {
    const [client, server] = tcpPair(sockets);
    const before = client.tcpInfo();
    exchange(client, server);
    expectGrowth(before, client.tcpInfo(), 'bytesSent', (d) => expect(d).toBe(N));
  });

  it('segsOut and dataSegsOut grow', () => {
    const [client, server] = tcpPair(sockets);
    const before = client.tcpInfo();
    exchange(client, server);
    const after = client.tcpInfo();
    expectGrowth(before, after, 'segsOut', (d) => expect(d).toBeGreaterThanOrEqual(1));
    expectGrowth(before, after, 'dataSegsOut', (d) => expect(d).toBeGreaterThanOrEqual(1));
  });

  it("the peer's bytesReceived grows by the bytes sent", () => {
    const [client, server] = tcpPair(sockets);
    const before = server.tcpInfo();
    exchange(client, server);
    expectGrowth(before, server.tcpInfo(), 'bytesReceived', (d) => expect(d).toBe(N));
  });

  it('rtt is positive after the exchange', () => {
    const [client, server] = tcpPair(sockets);
    exchange(client, server);
    expect(client.tcpInfo().rtt).toBeGreaterThan(0);
  });

  it('nothing is unacknowledged after the ACK came back', () => {
    const [client, server] = tcpPair(sockets);
    exchange(client, server);
    const info = client.tcpInfo();
    expect(info.unacked).toBe(0);
    expect(client.sendQueue()).toBe(0);
  });
});

describe('TCP_INFO decoding', () => {
  it('absent lists rcvWnd with a reason when the build headers lack it, else rcvWnd is a number or absent by length', () => {
    const [client] = tcpPair(sockets);
    const info = client.tcpInfo();
    const entry = info.absent.find((f) => f.field === 'rcvWnd');
    if (sys.layouts.tcp_info?.fields.tcpi_rcv_wnd === undefined) {
      expect(info.rcvWnd).toBeUndefined();
      expect(entry?.reason).toMatch(/headers/);
    } else if (info.rcvWnd === undefined) {
      expect(entry?.reason).toMatch(/kernel wrote only \d+ bytes/);
    } else {
      expect(entry).toBeUndefined();
      expect(info.rcvWnd).toBeGreaterThan(0);
    }
  });

  it('every field of the layout is either a number or listed in absent', () => {
    const [client] = tcpPair(sockets);
    const info = client.tcpInfo() as unknown as Record<string, unknown> & TcpInfo;
    const absent = new Set(info.absent.map((f) => f.field));
    const fields = Object.keys(sys.layouts.tcp_info?.fields ?? {});
    expect(fields.length).toBeGreaterThan(0);
    for (const field of fields) {
      const name = field.replace(/^tcpi_/, '').replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase());
      if (absent.has(name)) expect(info[name]).toBeUndefined();
      else expect(typeof info[name], name).toBe('number');
    }
    for (const a of info.absent) expect(a.reason.length).toBeGreaterThan(0);
  });

  it('length is what getsockopt wrote: positive and at most the layout size', () => {
    const [client] = tcpPair(sockets);
    const info = client.tcpInfo();
    expect(info.length).toBeGreaterThan(0);
    expect(info.length).toBeLessThanOrEqual(sys.layouts.tcp_info?.size ?? 0);
  });

  it('tcpInfo on a UDP socket throws EOPNOTSUPP (ENOTSUP): IPv4 refuses a level that is not its own', () => {
    const u = sockets.add(Socket.create(constant('AF_INET'), constant('SOCK_DGRAM')));
    const err = expectThrows(() => u.tcpInfo(), 'ENOTSUP', 'getsockopt');
    expect(err.errno).toBe(-constant('EOPNOTSUPP'));
  });
});
