/**
 * E22 udp-connect: what connect() does to a UDP socket. Seed 001 ("what is connect for on UDP?").
 *
 * What it proves over 127.0.0.1, with nonblocking UDP sockets and bounded poll waits:
 * - a connected UDP socket sends and receives without addresses (send/recv), getpeername names
 *   its peer, and an unconnected one cannot (send: -EDESTADDRREQ); connect(AF_UNSPEC) undoes it;
 * - connected to a closed port: send succeeds (UDP has no handshake), the ICMP port-unreachable
 *   that comes back wakes poll with POLLERR, and the next recv gives -ECONNREFUSED — once; the
 *   error goes to whatever call comes next, so a send can fail with it too;
 * - an unconnected socket sending to the same port never sees that error (no POLLERR, SO_ERROR 0,
 *   recv -EAGAIN). Proof that the ICMP did come: a connected witness sending to the same port
 *   afterwards sees its POLLERR first, and a second unconnected socket that asked for errors with
 *   IP_RECVERR gets -ECONNREFUSED for the very same kind of datagram;
 * - a datagram read into a smaller buffer is truncated and the rest discarded (the next recv does
 *   not see it); MSG_TRUNC makes recv return the datagram's real length.
 *
 * The "closed port" stays closed for the whole run: a socket is bound to it and connected to
 * itself, so the port cannot be taken by anyone else, yet a datagram from any other address
 * finds no socket and the kernel answers with ICMP port unreachable.
 * @module
 */
import { inet, unspec, type InetAddress } from '../address.js';
import { constants as c, errnoName } from '../constants.js';
import { Socket } from '../socket.js';
import * as sys from '../sys.js';
import { defineExperiment } from './define.js';
import type { Scope } from './scope.js';

/** Upper bound for every readiness wait (loopback answers in microseconds). */
const WAIT_MS = 2000;

/** A raw result and its errno name. */
export interface Outcome {
  returned: number;
  code: string | null;
}

/** What E22 returns. */
export interface UdpConnectData {
  connected: {
    /** send on an unconnected socket (no address): -EDESTADDRREQ. */
    unconnectedSend: Outcome;
    /** send('ping') on the connected socket; recv on the peer. */
    send: Outcome;
    recv: Outcome & { text: string };
    /** Whether getpeername gave back the peer's address. */
    peerMatches: boolean;
    /** send after connect(AF_UNSPEC): -EDESTADDRREQ again. */
    afterUnspec: Outcome;
  };
  refused: {
    /** The closed port (on 127.0.0.1). */
    port: number;
    /** recv on the socket that holds the port (connected to itself) after all the datagrams: -EAGAIN. */
    holderRecv: Outcome;
    send: Outcome;
    /** poll(POLLIN) revents on the connected socket after the send. */
    revents: number;
    recv: Outcome;
    /** The recv after that: the error was reported once. */
    recvAgain: Outcome;
    /** A second datagram, then without reading: the next *send* gets the error. */
    sendThenSend: { first: Outcome; revents: number; second: Outcome };
  };
  unconnected: {
    sendto: Outcome;
    /** The connected witness: POLLERR and SO_ERROR. */
    witness: { revents: number; soError: number };
    /** The unconnected socket with IP_RECVERR: POLLERR and its recv. */
    recvErr: { revents: number; recv: Outcome } | null;
    /** The unconnected socket itself, after both witnesses saw their error. */
    revents: number;
    soError: number;
    recv: Outcome;
  };
  truncation: {
    sent: string;
    /** Bytes copied into a 4-byte buffer, and what they were. */
    recv: Outcome & { text: string };
    /** The next recv with nothing else queued: the rest is gone. */
    next: Outcome;
    /** The same datagram again, received with MSG_TRUNC into 4 bytes. */
    withTrunc: Outcome & { text: string };
    /** A following datagram arrives whole. */
    following: Outcome & { text: string };
  };
}

function outcome(returned: number): Outcome {
  return { returned, code: returned < 0 ? errnoName(returned) : null };
}

/** A nonblocking UDP socket bound to 127.0.0.1 on a port the kernel picks. */
function udp(scope: Scope): { socket: Socket; address: InetAddress } {
  const socket = scope.socket(Socket.create(c.AF_INET!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK!));
  socket.bind(inet('127.0.0.1', 0));
  return { socket, address: socket.getsockname() as InetAddress };
}

/**
 * A UDP port on 127.0.0.1 that stays closed to everyone for the whole run: its socket is bound
 * and connected to itself, so it accepts datagrams only from itself; anyone else's datagram finds
 * no socket, and the kernel answers with ICMP port unreachable.
 */
function closedUdpPort(scope: Scope): { socket: Socket; address: InetAddress } {
  const { socket, address } = udp(scope);
  socket.connect(address);
  return { socket, address };
}

function recvText(socket: Socket, size: number, flags = 0): Outcome & { text: string } {
  const buf = Buffer.alloc(size);
  const returned = sys.recv(socket.fd, buf, 0, size, flags);
  const copied = Math.min(Math.max(returned, 0), size);
  return { ...outcome(returned), text: buf.toString('latin1', 0, copied) };
}

function sendRaw(socket: Socket, text: string): Outcome {
  const b = Buffer.from(text);
  return outcome(sys.send(socket.fd, b, 0, b.length, 0));
}

/** E22: the experiment. */
export const udpConnect = defineExperiment<UdpConnectData>(
  {
    id: 'E22',
    slug: 'udp-connect',
    title: 'connect() on a UDP socket',
    shows:
      'send/recv without addresses; ICMP unreachable → ECONNREFUSED on the next call (connected sockets only); truncation',
    seeds: '001',
  },
  async ({ claims, scope, headline }) => {
    const readable = (s: Socket) => s.poll(c.POLLIN!, WAIT_MS);

    // 1. A connected pair: no addresses needed.
    const a = udp(scope);
    const b = udp(scope);
    const unconnectedSend = sendRaw(a.socket, 'x');
    claims.equal('before connect, send without an address: -EDESTADDRREQ', unconnectedSend.code, 'EDESTADDRREQ');
    a.socket.connect(b.address);
    b.socket.connect(a.address);
    const send = sendRaw(a.socket, 'ping');
    readable(b.socket);
    const recv = recvText(b.socket, 64);
    const peer = a.socket.getpeername() as InetAddress;
    const peerMatches = peer.address === b.address.address && peer.port === b.address.port;
    claims.check(
      'connected: send("ping") and the peer’s recv need no address; getpeername names the peer',
      send.returned === 4 && recv.returned === 4 && recv.text === 'ping' && peerMatches,
      `send ${send.returned}, recv ${recv.returned} "${recv.text}", peer ${peer.address}:${peer.port}`,
    );
    a.socket.connect(unspec());
    const afterUnspec = sendRaw(a.socket, 'x');
    claims.equal(
      'connect(AF_UNSPEC) dissolves it: send without an address is -EDESTADDRREQ again',
      afterUnspec.code,
      'EDESTADDRREQ',
    );

    // 2. Connected to a closed port.
    const { socket: hole, address: closed } = closedUdpPort(scope);
    const conn = udp(scope).socket;
    conn.connect(closed);
    const refusedSend = sendRaw(conn, 'hello?');
    claims.equal('connected to a closed port: send succeeds (6 bytes; UDP has no handshake)', refusedSend.returned, 6);
    const revents = readable(conn);
    claims.check(
      'the ICMP port-unreachable answer wakes poll with POLLERR',
      (revents & c.POLLERR!) !== 0,
      `revents 0x${revents.toString(16)} (POLLERR 0x${c.POLLERR!.toString(16)})`,
    );
    const refusedRecv = outcome(sys.recv(conn.fd, Buffer.alloc(64), 0, 64, 0));
    claims.equal('the next recv gives -ECONNREFUSED', refusedRecv.code, 'ECONNREFUSED');
    const recvAgain = outcome(sys.recv(conn.fd, Buffer.alloc(64), 0, 64, 0));
    claims.equal('reported once: the recv after it is -EAGAIN (nothing queued)', recvAgain.code, 'EAGAIN');
    const first = sendRaw(conn, 'again');
    const revents2 = readable(conn);
    const second = sendRaw(conn, 'and again');
    claims.check(
      'the error goes to the next call, whatever it is: after another refused datagram, the next send fails with -ECONNREFUSED',
      first.returned === 5 && (revents2 & c.POLLERR!) !== 0 && second.code === 'ECONNREFUSED',
      `send ${first.returned}, revents 0x${revents2.toString(16)}, then send ${second.code ?? second.returned}`,
    );

    // 3. An unconnected socket never hears of it.
    const loner = udp(scope).socket;
    const b0 = Buffer.from('anyone?');
    const lonerSend = outcome(sys.sendto(loner.fd, b0, 0, b0.length, 0, closed));
    // Witnesses, sending to the same port *after* it: once they have their errors, the ICMP
    // answer to the loner's datagram has come and gone as well.
    const witness = udp(scope).socket;
    witness.connect(closed);
    sendRaw(witness, 'witness');
    const witnessRevents = readable(witness);
    const witnessSoError = witness.getOption('SO_ERROR');
    let recvErr: UdpConnectData['unconnected']['recvErr'] = null;
    if (c.IP_RECVERR !== undefined) {
      const asker = udp(scope).socket;
      asker.setOption('IP_RECVERR', true);
      sys.sendto(asker.fd, b0, 0, b0.length, 0, closed);
      const r = readable(asker);
      recvErr = { revents: r, recv: outcome(sys.recv(asker.fd, Buffer.alloc(64), 0, 64, 0)) };
    }
    claims.check(
      'the ICMP did come: a connected witness sending to the same port afterwards got POLLERR and SO_ERROR ECONNREFUSED',
      (witnessRevents & c.POLLERR!) !== 0 && witnessSoError === c.ECONNREFUSED,
      `revents 0x${witnessRevents.toString(16)}, SO_ERROR ${errnoName(witnessSoError)}`,
    );
    if (recvErr)
      claims.check(
        '…and an unconnected socket that asked for errors (IP_RECVERR) got POLLERR and -ECONNREFUSED',
        (recvErr.revents & c.POLLERR!) !== 0 && recvErr.recv.code === 'ECONNREFUSED',
        `revents 0x${recvErr.revents.toString(16)}, recv ${recvErr.recv.code ?? recvErr.recv.returned}`,
      );
    const lonerRevents = loner.poll(c.POLLIN!, 0);
    const lonerSoError = loner.getOption('SO_ERROR');
    const lonerRecv = outcome(sys.recv(loner.fd, Buffer.alloc(64), 0, 64, 0));
    claims.check(
      'the unconnected socket (sendto succeeded) never sees it: no POLLERR, SO_ERROR 0, recv -EAGAIN',
      lonerSend.returned === b0.length && lonerRevents === 0 && lonerSoError === 0 && lonerRecv.code === 'EAGAIN',
      `sendto ${lonerSend.returned}, revents 0x${lonerRevents.toString(16)}, SO_ERROR ${lonerSoError}, recv ${lonerRecv.code ?? lonerRecv.returned}`,
    );

    // The port's own socket, connected to itself, took none of the datagrams sent to its port.
    const holeRecv = outcome(sys.recv(hole.fd, Buffer.alloc(64), 0, 64, 0));
    claims.equal(
      'a connected UDP socket accepts its peer only: the socket holding the closed port (connected to itself) received none of them',
      holeRecv.code,
      'EAGAIN',
    );

    // 4. Truncation: one datagram at a time, so that "the next recv" can only be about it.
    const rx = udp(scope);
    const tx = udp(scope).socket;
    const datagram = '0123456789ABCDEF';
    const d = Buffer.from(datagram);
    sys.sendto(tx.fd, d, 0, d.length, 0, rx.address);
    readable(rx.socket);
    const cut = recvText(rx.socket, 4);
    claims.check(
      `a ${datagram.length}-byte datagram read into a 4-byte buffer: recv returns 4, the first 4 bytes`,
      cut.returned === 4 && cut.text === datagram.slice(0, 4),
      `${cut.returned} "${cut.text}"`,
    );
    const next = outcome(sys.recv(rx.socket.fd, Buffer.alloc(64), 0, 64, 0));
    claims.equal('the other 12 bytes are discarded: the next recv finds nothing (-EAGAIN)', next.code, 'EAGAIN');
    sys.sendto(tx.fd, d, 0, d.length, 0, rx.address);
    readable(rx.socket);
    const withTrunc = recvText(rx.socket, 4, c.MSG_TRUNC!);
    claims.check(
      `with MSG_TRUNC, recv into 4 bytes returns the real length (${datagram.length}) and still copies only 4`,
      withTrunc.returned === datagram.length && withTrunc.text === datagram.slice(0, 4),
      `${withTrunc.returned} "${withTrunc.text}"`,
    );
    sys.sendto(tx.fd, Buffer.from('next'), 0, 4, 0, rx.address);
    readable(rx.socket);
    const following = recvText(rx.socket, 64);
    claims.check(
      'the following datagram arrives whole and separate: boundaries are kept',
      following.returned === 4 && following.text === 'next',
      `${following.returned} "${following.text}"`,
    );

    headline(
      `connected: send ${refusedSend.returned}, then POLLERR and recv ${refusedRecv.code}; ` +
        `unconnected: recv ${lonerRecv.code}, SO_ERROR ${lonerSoError}; ` +
        `${datagram.length} B into 4: ${cut.returned} (MSG_TRUNC ${withTrunc.returned})`,
    );
    return {
      connected: { unconnectedSend, send, recv, peerMatches, afterUnspec },
      refused: {
        port: closed.port,
        holderRecv: holeRecv,
        send: refusedSend,
        revents,
        recv: refusedRecv,
        recvAgain,
        sendThenSend: { first, revents: revents2, second },
      },
      unconnected: {
        sendto: lonerSend,
        witness: { revents: witnessRevents, soError: witnessSoError },
        recvErr,
        revents: lonerRevents,
        soError: lonerSoError,
        recv: lonerRecv,
      },
      truncation: { sent: datagram, recv: cut, next, withTrunc, following },
    };
  },
);
