// The fds handed to the fuzzer: all made here, never fds 0/1/2 or the test runner's own. One pool
// per epoch (rebuilt every few thousand calls, so that calls keep meeting sockets in every state,
// not only the broken ones earlier calls left behind): sockets of every family and type in the
// states that matter (listening, connected, bound, unbound), a FIFO's two ends, a regular file
// and /dev/null (fds that are not sockets), and closed Sockets.
//
// Safety invariants, checked after every batch (Pool.problems):
// - every pool fd is still open and still the same file (so no call closed or replaced it);
// - every pool fd has the flags it was made with: calls that may clear O_NONBLOCK (fcntl F_SETFL,
//   ioctl FIONBIO, setNonBlocking) are followed at once by restoreFlags, before any other call
//   could block on the fd;
// - every AF_INET/AF_INET6 pool socket is bound to loopback, so a fuzzed listen(2) or sendto(2)
//   can never make the kernel bind a wildcard address (it would for an unbound socket). A socket can
//   lose its address: once connect(AF_UNSPEC) has released its port, bind(2) is allowed again, and a
//   bind that fails with EADDRINUSE resets the address to the wildcard (inet_bind and inet6_bind
//   clear it on that path). So after every call that binds, connects, sends to or listens, guard()
//   retires (closes) any pool socket whose address has become a wildcard, before the next call.
import { execFileSync } from 'node:child_process';
import { constants as fsc, mkdirSync, openSync, readlinkSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Socket,
  SocketError,
  abstractName,
  constants as c,
  inet,
  inet6,
  sys,
  unixPath,
  unspec,
  type InetAddress,
  type SockAddr,
} from '../../lib/index.js';

/** One fd of the pool, and what the invariants compare it with. */
export interface PoolEntry {
  readonly name: string;
  /** Its owner: the Socket-method rows call methods on it; the pool closes it. */
  readonly socket: Socket;
  readonly fd: number;
  readonly isSocket: boolean;
  /** AF_INET or AF_INET6: must stay bound to loopback; closed with linger 0. */
  readonly inet: boolean;
  /** F_GETFL when it was made (restored after calls that may change it). */
  readonly flags: number;
  /** readlink(/proc/self/fd/N) when it was made ("socket:[inode]", a path). */
  readonly identity: string;
}

/** The struct linger {1, 0} that makes close(2) reset at once instead of lingering. */
const lingerZero = (() => {
  const layout = sys.layouts.linger!;
  const buf = Buffer.alloc(layout.size);
  buf.writeInt32LE(1, layout.fields.l_onoff![0]);
  return buf;
})();

/**
 * SO_LINGER {1, 0} before the harness closes an inet socket: a fuzzed SO_LINGER with a long
 * timeout (the raw setsockopt rows write arbitrary bytes into it) would otherwise make close(2)
 * block until unsent data is acknowledged. It also spares loopback ports from TIME_WAIT.
 */
export function defuse(fd: number): void {
  sys.setsockopt(fd, c.SOL_SOCKET!, c.SO_LINGER!, lingerZero);
}

/** Closes a Socket the harness owns, whatever state a fuzzed call left it in. */
export function closeOwned(socket: Socket): void {
  if (socket.closed) return;
  defuse(socket.fd);
  try {
    socket.close();
  } catch (e) {
    // close(2) released the fd even when it reported an error (Linux); only a SocketError is expected.
    if (!(e instanceof SocketError)) throw e;
  }
}

/** Closes a raw fd number a call returned (accept, socket, F_DUPFD): it is the harness's now. */
export function closeRaw(fd: number): void {
  defuse(fd);
  sys.close(fd);
}

function identityOf(fd: number): string {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '(closed)';
  }
}

function isLoopback(address: SockAddr): boolean {
  const a = address as InetAddress;
  if (a.port === 0) return true; // not bound to a port: nothing can reach it
  return a.address.startsWith('127.') || a.address === '::1' || a.address.startsWith('::ffff:127.');
}

let ipv6: boolean | undefined;

/** Whether ::1 can be bound here (probed once). */
export function hasIpv6(): boolean {
  if (ipv6 === undefined) {
    const fd = sys.socket(c.AF_INET6!, c.SOCK_DGRAM! | c.SOCK_CLOEXEC!, 0);
    ipv6 = fd >= 0 && sys.bind(fd, inet6('::1', 0)) === 0;
    if (fd >= 0) sys.close(fd);
  }
  return ipv6;
}

const NB = () => c.SOCK_NONBLOCK!;

/** A nonblocking connect to a loopback listener, completed with a bounded poll(2) (no sleep). */
function connectNow(client: Socket, address: SockAddr): void {
  try {
    client.connect(address);
  } catch (e) {
    if (!(e instanceof SocketError && e.code === 'EINPROGRESS')) throw e;
  }
  if ((client.poll(c.POLLOUT!, 1000) & c.POLLOUT!) === 0) throw new Error('pool: loopback connect took over 1 s');
  const error = client.getOption('SO_ERROR');
  if (error !== 0) throw new SocketError(error, 'connect', address);
}

function acceptNow(listener: Socket): Socket {
  if ((listener.poll(c.POLLIN!, 1000) & c.POLLIN!) === 0) throw new Error('pool: loopback accept took over 1 s');
  return listener.accept4(c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!).socket;
}

/** The files the pool's non-socket fds are opened on, made once per run. */
export interface RunFiles {
  readonly dir: string;
  readonly fifo: string;
  readonly file: string;
}

export function makeRunFiles(dir: string): RunFiles {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const file = join(dir, 'file');
  writeFileSync(file, 'a regular file: every socket call on it must fail with ENOTSOCK\n');
  return { dir, fifo, file };
}

export class Pool {
  readonly entries: PoolEntry[] = [];
  readonly byFd = new Map<number, PoolEntry>();
  /** Addresses a fuzzed bind may use: loopback with port 0 or a pool port, paths in `dir`, our abstract names. */
  readonly bindAddresses: SockAddr[] = [];
  /** Addresses a fuzzed connect/sendto may use: the pool's own sockets (and refused ones), loopback only. */
  readonly connectAddresses: SockAddr[] = [];
  /** Sockets closed (or released) already: every method must throw EBADF without a syscall. */
  readonly closed: Socket[] = [];
  /** This epoch's directory for unix socket files. */
  readonly dir: string;
  /** The prefix of this epoch's abstract names (unique to this process and epoch). */
  readonly abstractPrefix: string;

  constructor(files: RunFiles, epoch: number) {
    this.dir = join(files.dir, `e${epoch}`);
    mkdirSync(this.dir);
    this.abstractPrefix = `syssock-fuzz-${process.pid}-${epoch}-`;
    try {
      this.#build(files);
    } catch (e) {
      this.close();
      throw e;
    }
  }

  #add(name: string, socket: Socket, kind: { isSocket?: boolean; inet?: boolean } = {}): Socket {
    const entry: PoolEntry = {
      name,
      socket,
      fd: socket.fd,
      isSocket: kind.isSocket ?? true,
      inet: kind.inet ?? false,
      flags: sys.fcntl(socket.fd, c.F_GETFL!),
      identity: identityOf(socket.fd),
    };
    this.entries.push(entry);
    this.byFd.set(entry.fd, entry);
    return socket;
  }

  #inetPool(family: 'ipv4' | 'ipv6'): void {
    const af = family === 'ipv4' ? c.AF_INET! : c.AF_INET6!;
    const loopback = (port: number) => (family === 'ipv4' ? inet('127.0.0.1', port) : inet6('::1', port));
    const tag = family === 'ipv4' ? 'tcp4' : 'tcp6';
    const inetKind = { inet: true };
    const listener = this.#add(`${tag}-listener`, Socket.create(af, c.SOCK_STREAM! | NB()), inetKind);
    listener.setOption('SO_REUSEADDR', true);
    listener.bind(loopback(0));
    listener.listen(16);
    const listenAddress = listener.getsockname();
    // Bound before connect, so that the address stays loopback even after a fuzzed
    // connect(AF_UNSPEC) dissolves the connection (SOCK_BINDADDR_LOCK).
    const client = this.#add(`${tag}-client`, Socket.create(af, c.SOCK_STREAM! | NB()), inetKind);
    client.bind(loopback(0));
    connectNow(client, listenAddress);
    this.#add(`${tag}-accepted`, acceptNow(listener), inetKind);
    const bound = this.#add(`${tag}-bound`, Socket.create(af, c.SOCK_STREAM! | NB()), inetKind);
    bound.bind(loopback(0));
    const refused = bound.getsockname(); // bound, not listening: connect gets ECONNREFUSED
    const udpTag = family === 'ipv4' ? 'udp4' : 'udp6';
    const udpA = this.#add(`${udpTag}-a`, Socket.create(af, c.SOCK_DGRAM! | NB()), inetKind);
    udpA.bind(loopback(0));
    const udpB = this.#add(`${udpTag}-b`, Socket.create(af, c.SOCK_DGRAM! | NB()), inetKind);
    udpB.bind(loopback(0));
    udpB.connect(udpA.getsockname());
    this.connectAddresses.push(listenAddress, refused, udpA.getsockname(), udpB.getsockname(), loopback(0));
    this.bindAddresses.push(loopback(0), listenAddress);
    if (family === 'ipv6') {
      const port = (this.connectAddresses[0] as InetAddress).port;
      this.connectAddresses.push(inet6('::ffff:127.0.0.1', port));
      this.bindAddresses.push(inet6('::ffff:127.0.0.1', 0));
    }
  }

  #build(files: RunFiles): void {
    this.#inetPool('ipv4');
    if (hasIpv6()) this.#inetPool('ipv6');
    for (const [name, type] of [
      ['unix-stream', c.SOCK_STREAM!],
      ['unix-dgram', c.SOCK_DGRAM!],
      ['unix-seqpacket', c.SOCK_SEQPACKET!],
    ] as const) {
      const [a, b] = Socket.pair(c.AF_UNIX!, type | NB());
      this.#add(`${name}-a`, a);
      this.#add(`${name}-b`, b);
    }
    const listenPath = join(this.dir, 'listen.sock');
    const listener = this.#add('unix-listener', Socket.create(c.AF_UNIX!, c.SOCK_STREAM! | NB()));
    listener.bind(unixPath(listenPath));
    listener.listen(16);
    const abstract = abstractName(`${this.abstractPrefix}listen`);
    const abstractListener = this.#add('unix-abstract-listener', Socket.create(c.AF_UNIX!, c.SOCK_STREAM! | NB()));
    abstractListener.bind(abstract);
    abstractListener.listen(16);
    const dgramPath = join(this.dir, 'dgram.sock');
    this.#add('unix-dgram-bound', Socket.create(c.AF_UNIX!, c.SOCK_DGRAM! | NB())).bind(unixPath(dgramPath));
    this.#add('unix-unbound', Socket.create(c.AF_UNIX!, c.SOCK_STREAM! | NB()));
    const notSocket = { isSocket: false };
    const open = (path: string, flags: number) => Socket.fromFd(openSync(path, flags));
    this.#add('fifo-read', open(files.fifo, fsc.O_RDONLY | fsc.O_NONBLOCK), notSocket);
    this.#add('fifo-write', open(files.fifo, fsc.O_WRONLY | fsc.O_NONBLOCK), notSocket);
    // Blocking, but nothing on them blocks (a regular file read-only, /dev/null); the async
    // helpers refuse them with ERR_SOCKET_BLOCKING.
    this.#add('file', open(files.file, fsc.O_RDONLY), notSocket);
    this.#add('devnull', open('/dev/null', fsc.O_RDWR), notSocket);
    this.connectAddresses.push(
      unixPath(listenPath),
      unixPath(dgramPath),
      abstract,
      unixPath(join(this.dir, 'missing.sock')),
      unspec(),
    );
    for (let k = 0; k < 8; k++) {
      this.bindAddresses.push(unixPath(join(this.dir, `b${k}.sock`)), abstractName(`${this.abstractPrefix}b${k}`));
    }
    this.bindAddresses.push(unixPath(join(this.dir, 'no-such-dir', 'x.sock')), unspec());
    const closedSocket = Socket.create(c.AF_UNIX!, c.SOCK_DGRAM!);
    closedSocket.close();
    const released = Socket.create(c.AF_UNIX!, c.SOCK_DGRAM!);
    sys.close(released.release());
    this.closed.push(closedSocket, released);
  }

  /** Whether `socket` is one of the pool's (open or closed): the harness never closes those for a call. */
  owns(socket: Socket): boolean {
    return this.closed.includes(socket) || this.entries.some((e) => e.socket === socket);
  }

  /** A Socket of the pool (sockets and non-sockets alike). */
  socketAt(index: number): Socket {
    return this.entries[index % this.entries.length]!.socket;
  }

  /** Restores the flags of `fd` if it is a pool fd (after a call that may have changed them). */
  restoreFlags(fd: unknown): void {
    const entry = typeof fd === 'number' ? this.byFd.get(fd) : undefined;
    if (entry === undefined || entry.socket.closed) return;
    if (sys.fcntl(entry.fd, c.F_GETFL!) !== entry.flags) sys.fcntl(entry.fd, c.F_SETFL!, entry.flags);
  }

  /** Reads what piled up (bounded), so fuzzed sends keep finding room and memory stays flat. */
  drain(scratch: Buffer): void {
    for (const entry of this.entries) {
      if (entry.socket.closed) continue;
      for (let i = 0; i < 32; i++) {
        const rc = entry.isSocket
          ? sys.recv(entry.fd, scratch, 0, scratch.length, c.MSG_DONTWAIT!)
          : entry.name === 'fifo-read'
            ? readFifo(entry.fd, scratch)
            : 0;
        if (rc <= 0) break;
      }
    }
  }

  /** Pool sockets retired by guard() so far. */
  retired = 0;

  /**
   * Closes and drops every inet pool socket whose local address is now a wildcard (see the file
   * comment), so that no later call can make it listen or receive on every interface.
   * `beforeClose(fd)` closes what else watches the fd (the fuzzer's Pollers): a poll handle left
   * on a closed fd number would make libuv refuse the next socket given that number (EEXIST).
   */
  guard(beforeClose: (fd: number) => void): void {
    for (const entry of [...this.entries]) {
      if (!entry.inet || entry.socket.closed) continue;
      const name = {} as sys.RawAddress;
      if (sys.getsockname(entry.fd, name) !== 0) continue;
      if (name.address !== '0.0.0.0' && name.address !== '::') continue;
      this.entries.splice(this.entries.indexOf(entry), 1);
      this.byFd.delete(entry.fd);
      beforeClose(entry.fd);
      closeOwned(entry.socket);
      this.closed.push(entry.socket);
      this.retired += 1;
    }
  }

  /** What is wrong with the pool now (empty: nothing). */
  problems(): string[] {
    const out: string[] = [];
    for (const entry of this.entries) {
      const what = `pool fd ${entry.fd} (${entry.name})`;
      if (entry.socket.closed) {
        out.push(`${what}: its Socket was closed by a fuzzed call`);
        continue;
      }
      const identity = identityOf(entry.fd);
      if (identity !== entry.identity) {
        out.push(`${what} is now ${identity}, was ${entry.identity}: closed or replaced by a fuzzed call`);
        continue;
      }
      const flags = sys.fcntl(entry.fd, c.F_GETFL!);
      if (flags !== entry.flags) out.push(`${what}: flags ${flags}, made with ${entry.flags}`);
      if (entry.inet) {
        const name = {} as sys.RawAddress;
        if (sys.getsockname(entry.fd, name) === 0 && !isLoopback(name as SockAddr))
          out.push(`${what} is bound to ${String(name.address)}:${String(name.port)}, not loopback`);
      }
    }
    return out;
  }

  /** The fds of the pool (for the leak check). */
  fds(): number[] {
    return this.entries.map((e) => e.fd);
  }

  close(): void {
    for (const entry of this.entries) {
      if (entry.socket.closed) continue;
      if (entry.inet) defuse(entry.fd);
      try {
        entry.socket.close();
      } catch (e) {
        if (!(e instanceof SocketError)) throw e;
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readFifo(fd: number, scratch: Buffer): number {
  try {
    return readSync(fd, scratch, 0, scratch.length, null);
  } catch {
    return -1; // EAGAIN: empty
  }
}

/** An fd made for one call that may close it (sys.close, Socket.fromFd): an AF_UNIX datagram socket. */
export function freshFd(): number {
  const fd = sys.socket(c.AF_UNIX!, c.SOCK_DGRAM! | c.SOCK_NONBLOCK! | c.SOCK_CLOEXEC!, 0);
  if (fd < 0) throw new SocketError(fd, 'socket');
  return fd;
}

/** The kinds of Socket made for one call that consumes or closes it. */
export type FreshKind =
  'unix-dgram' | 'tcp4' | 'tcp4-bound' | 'udp4' | 'unix-stream-connected' | 'tcp4-listening' | 'unix-listening';

/**
 * A Socket made for one call (close, release, toNetSocket, listenOnNet, connectAsync …), plus
 * the peer it needs. The caller closes both when the call did not consume them.
 */
export function freshSocket(kind: FreshKind, dir: string, counter: number): { socket: Socket; peer?: Socket } {
  switch (kind) {
    case 'unix-dgram':
      return { socket: Socket.create(c.AF_UNIX!, c.SOCK_DGRAM! | NB()) };
    case 'tcp4': {
      // Bound to 127.0.0.1 as well (the network rule): were a fuzzed address ever mis-parsed
      // into a routable one, the kernel would refuse a route from a loopback source address
      // rather than put a SYN on a real interface.
      const socket = Socket.create(c.AF_INET!, c.SOCK_STREAM! | NB());
      socket.bind(inet('127.0.0.1', 0));
      return { socket };
    }
    case 'tcp4-bound': {
      // Bound to loopback, not listening: a hand-over that wrongly listened could not reach a wildcard.
      const socket = Socket.create(c.AF_INET!, c.SOCK_STREAM! | NB());
      socket.bind(inet('127.0.0.1', 0));
      return { socket };
    }
    case 'udp4': {
      const socket = Socket.create(c.AF_INET!, c.SOCK_DGRAM! | NB());
      socket.bind(inet('127.0.0.1', 0));
      return { socket };
    }
    case 'unix-stream-connected': {
      const [socket, peer] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM! | NB());
      return { socket, peer };
    }
    case 'tcp4-listening': {
      const socket = Socket.create(c.AF_INET!, c.SOCK_STREAM! | NB());
      socket.bind(inet('127.0.0.1', 0));
      socket.listen(4);
      return { socket };
    }
    case 'unix-listening': {
      const socket = Socket.create(c.AF_UNIX!, c.SOCK_STREAM! | NB());
      socket.bind(unixPath(join(dir, `fresh-${counter}.sock`)));
      socket.listen(4);
      return { socket };
    }
  }
}
