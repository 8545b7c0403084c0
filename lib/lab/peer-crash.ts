/**
 * E27 peer-crash: process crash vs host crash vs host reboot. Seed 004 (what the other side sees
 * depends on who died: the process, the machine, or the machine that came back without its
 * memory).
 *
 * Two network namespaces built by {@link createNetwork}: `client` 10.200.1.1/24 (c0) ↔ `server`
 * 10.200.1.2/24 (s0). Two server actors (processes in the server host), each with one accepted
 * connection from one client actor:
 * - **(a) process crash**: the client blocks in recv (seen asleep in recvfrom); server actor A
 *   is killed with SIGKILL. Its host is fine: the kernel closes the dead process's fds and sends
 *   FIN — the client's recv returns 0 at once.
 * - **(b) host crash**: the server host's link goes down (`ip link set dev s0 down`: the host is
 *   gone from the wire). The client's bounded wait, poll(POLLIN), sees nothing at all: no FIN,
 *   no RST, no error; the connection stays ESTABLISHED. A dead host says nothing.
 * - **(c) host reboot**: while the link is down, server actor B is killed. It had set SO_LINGER
 *   {on, 0} on its connection, so its kernel discards the connection at close instead of keeping
 *   it in FIN_WAIT (its RST goes nowhere: the link is down) — the host's memory of the connection
 *   is gone, as after a reboot; `ss` in the server namespace shows no socket on that port. The
 *   link comes back. The client's next send succeeds (the kernel queued it), the server host
 *   finds no socket for the segment and answers RST; poll reports POLLERR; the send after that is
 *   -ECONNRESET (the pending error, read once) and the one after it -EPIPE.
 *
 * Nothing in E27 is a tuned kernel timer. Slow mode (`SYSSOCK_LAB_SLOW=1`, `--slow`,
 * {@link peerCrashWith}`({ slow: true })`) only waits a whole minute in (b) instead of a second.
 * @module
 */
import { constants as c, errnoName } from '../constants.js';
import { tcpStateName } from '../tcp-info.js';
import type { ChildBody } from './child.js';
import { defineExperiment } from './define.js';
import { pollNames } from './group-b.js';
import { nowMs } from './group-d.js';
import { actorMessage, actorResult, clientServer, createNetworkOrSkip, PAIR, slowMode, waitAsleepIn } from './netns.js';
import type { Experiment } from './types.js';

/** What E27 returns. */
export interface PeerCrashData {
  /** Set when the experiment could not run here: why ("needs network namespaces: …"). */
  unavailable: string | null;
  slow: boolean;
  /** (a) process killed: where the client slept, recv's result, ms from the kill to its return. */
  processCrash: { asleep: string; recv: number; afterKillMs: number } | null;
  /** (b) host gone: poll(POLLIN, quietMs) → result, revents, wait; TCP state after. */
  hostGone: { quietMs: number; poll: number; revents: number; elapsedMs: number; state: string } | null;
  /** (c) host rebooted: the server host's sockets on the port (ss), the three sends, poll's revents between. */
  reboot: {
    serverSockets: string[];
    send1: number;
    poll: number;
    revents: number;
    send2: number;
    send3: number;
    state: string;
  } | null;
}

const SERVER = PAIR.server;
const HELLO = 5;
/** "At once": the FIN of a killed process comes in well under this. */
const AT_ONCE_MS = 1000;
/** Bound on waiting for the RST after the link is back (ARP, one round trip). */
const RST_BOUND_MS = 3000;
const QUIET_MS = { fast: 1000, slow: 60_000 };

interface ClientArg {
  server: string;
  ports: { a: number; b: number };
  quietMs: number;
  rstBoundMs: number;
  hello: number;
}

interface ClientOut {
  a: { recv: number; returnedAt: number };
  b: { poll: number; revents: number; elapsedMs: number; state: number };
  c: { send1: number; poll: number; revents: number; send2: number; send3: number; state: number };
}

// The client actor (self-contained: sent as source), one step per word from the parent.
const clientActor: ChildBody<ClientArg, ClientOut> = async (sys, arg, io) => {
  const C = sys.constants;
  const F = sys.layouts.tcp_info!.fields;
  const now = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC: the parent's clock too
  const connect = (port: number) => {
    const fd = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
    if (fd < 0) throw new Error(`socket: ${fd}`);
    const rc = sys.connect(fd, { family: C.AF_INET!, address: arg.server, port });
    if (rc < 0) throw new Error(`connect: ${rc}`);
    return fd;
  };
  const state = (fd: number) => {
    const info = Buffer.alloc(sys.layouts.tcp_info!.size);
    sys.getsockopt(fd, C.IPPROTO_TCP!, C.TCP_INFO!, info);
    return info[F.tcpi_state![0]]!;
  };
  // struct pollfd { int fd; short events; short revents; }
  const poll = (fd: number, events: number, timeoutMs: number) => {
    const pfd = new Int32Array(2);
    const shorts = new Int16Array(pfd.buffer);
    pfd[0] = fd;
    shorts[2] = events;
    const started = now();
    const n = sys.poll(pfd, 1, timeoutMs);
    return { poll: n, revents: n > 0 ? shorts[3]! & 0xffff : 0, elapsedMs: now() - started };
  };
  const buf = Buffer.alloc(64);

  // (a) block in recv; the parent kills the server process.
  const fa = connect(arg.ports.a);
  const L = sys.layouts.timeval!;
  const tv = Buffer.alloc(L.size);
  tv.writeBigInt64LE(10n, L.fields.tv_sec![0]); // a backstop: the FIN comes in milliseconds
  sys.setsockopt(fa, C.SOL_SOCKET!, C.SO_RCVTIMEO!, tv);
  io.post({ fd: fa });
  const recv = sys.recv(fa, buf, 0, buf.length, 0);
  const a = { recv, returnedAt: now() };
  sys.close(fa);

  // (b) an idle connection; the parent takes the server's link down; we wait, bounded.
  const fb = connect(arg.ports.b);
  io.post('b connected');
  await io.next(10_000, 'the host to be gone');
  const quiet = poll(fb, C.POLLIN! | C.POLLRDHUP!, arg.quietMs);
  const b = { ...quiet, state: state(fb) };
  io.post('b quiet');

  // (c) the parent "reboots" the server host; we send.
  await io.next(10_000, 'the host to be back');
  const hello = Buffer.alloc(arg.hello, 0x68);
  const send1 = sys.send(fb, hello, 0, hello.length, C.MSG_NOSIGNAL!);
  const p = poll(fb, C.POLLIN!, arg.rstBoundMs);
  const send2 = sys.send(fb, hello, 0, hello.length, C.MSG_NOSIGNAL!);
  const send3 = sys.send(fb, hello, 0, hello.length, C.MSG_NOSIGNAL!);
  const c = { send1, poll: p.poll, revents: p.revents, send2, send3, state: state(fb) };
  sys.close(fb);
  return { a, b, c };
};

// A server actor: one connection (SO_LINGER {on, 0} on it when asked), then idle until killed.
const serverActor: ChildBody<{ address: string; linger0: boolean; lifetimeMs: number }, number> = async (
  sys,
  arg,
  io,
) => {
  const C = sys.constants;
  const l = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
  let rc = sys.bind(l, { family: C.AF_INET!, address: arg.address, port: 0 });
  if (rc === 0) rc = sys.listen(l, 4);
  if (rc < 0) throw new Error(`bind/listen: ${rc}`);
  const name: { family: number; port?: number } = { family: 0 };
  sys.getsockname(l, name);
  io.post(name.port);
  const fd = sys.accept4(l, null, C.SOCK_CLOEXEC!);
  if (fd < 0) throw new Error(`accept: ${fd}`);
  if (arg.linger0) {
    const L = sys.layouts.linger!;
    const v = Buffer.alloc(L.size);
    v.writeInt32LE(1, L.fields.l_onoff![0]);
    v.writeInt32LE(0, L.fields.l_linger![0]);
    sys.setsockopt(fd, C.SOL_SOCKET!, C.SO_LINGER!, v);
  }
  io.post('accepted');
  await io.next(arg.lifetimeMs, 'the end (it is killed before)');
  return fd;
};

/** Options of {@link peerCrashWith}. */
export interface PeerCrashOptions {
  /** Wait a minute in (b) instead of a second. Default: `SYSSOCK_LAB_SLOW=1`. */
  slow?: boolean;
}

/** E27 with options (slow mode); {@link peerCrash} is the default one. */
export function peerCrashWith(options: PeerCrashOptions = {}): Experiment<PeerCrashData> {
  return defineExperiment<PeerCrashData>(
    {
      id: 'E27',
      slug: 'peer-crash',
      title: 'Process crash vs host crash vs host reboot: FIN, silence, RST',
      shows:
        'process killed: FIN arrives, recv 0; host gone (link down): nothing arrives; host "rebooted" (its socket state gone, link back): our next send is answered with RST → -ECONNRESET (or -EPIPE on the one after)',
      seeds: '004',
    },
    async ({ claims, scope, note, headline, progress, signal, skip }) => {
      const slow = slowMode(options.slow);
      const quietMs = slow ? QUIET_MS.slow : QUIET_MS.fast;
      const data: PeerCrashData = { unavailable: null, slow, processCrash: null, hostGone: null, reboot: null };
      progress('building the client and server namespaces');
      const built = await createNetworkOrSkip(scope, clientServer(), { signal }, skip);
      if ('unavailable' in built) return { ...data, unavailable: built.unavailable };
      const { net } = built;
      const lifetimeMs = quietMs + 60_000;
      const serverA = await net.actor('server', serverActor, { address: SERVER, linger0: false, lifetimeMs });
      const serverB = await net.actor('server', serverActor, { address: SERVER, linger0: true, lifetimeMs });
      const ports = {
        a: await actorMessage<number>(serverA, 5000, signal, 'server A port'),
        b: await actorMessage<number>(serverB, 5000, signal, 'server B port'),
      };
      const client = await net.actor('client', clientActor, {
        server: SERVER,
        ports,
        quietMs,
        rstBoundMs: RST_BOUND_MS,
        hello: HELLO,
      });
      const result = actorResult(client, quietMs + 30_000, signal, 'the client actor');
      result.catch(() => {}); // awaited below; a failure before then surfaces through the steps

      // (a) process crash.
      progress('(a) the client blocks in recv; kill -9 the server process');
      const { fd } = await actorMessage<{ fd: number }>(client, 5000, signal, 'the client connected to A');
      await actorMessage(serverA, 5000, signal, 'server A accepted');
      const asleep = await waitAsleepIn(client.pid, 'recvfrom', fd, 5000, signal);
      const killedAt = nowMs();
      serverA.kill('SIGKILL');
      await serverA.exited;

      // (b) host crash.
      await actorMessage(client, 5000, signal, 'the client connected to B');
      await actorMessage(serverB, 5000, signal, 'server B accepted');
      progress('(b) the server host is gone (link down); the client waits');
      await net.setLink('server', 's0', false);
      client.send('gone');
      await actorMessage(client, quietMs + 5000, signal, 'the client to have waited');

      // (c) host reboot: the connection's state vanishes with the killed process (SO_LINGER 0),
      // while the link is still down; then the link comes back.
      progress('(c) the server host "reboots": its process and socket state gone, link back up');
      serverB.kill('SIGKILL');
      await serverB.exited;
      const serverSockets = (await net.run(['ip', 'netns', 'exec', 'server', 'ss', '-Htan', `sport = :${ports.b}`]))
        .split('\n')
        .filter((line) => line.trim() !== '');
      await net.setLink('server', 's0', true);
      client.send('back');
      const out = await result;

      data.processCrash = { asleep, recv: out.a.recv, afterKillMs: out.a.returnedAt - killedAt };
      data.hostGone = { quietMs, ...out.b, state: tcpStateName(out.b.state) };
      data.reboot = { serverSockets, ...out.c, state: tcpStateName(out.c.state) };
      const a = data.processCrash;
      const b = data.hostGone;
      const r = data.reboot;
      const code = (x: number) => (x < 0 ? errnoName(x) : String(x));

      claims.check(
        "(a) process killed: the client was asleep in recv; the kernel closed the dead process's socket and sent FIN — recv returns 0 at once",
        a.asleep.startsWith('S in recvfrom') && a.recv === 0 && a.afterKillMs < AT_ONCE_MS,
        `${a.asleep}; recv ${code(a.recv)} ${a.afterKillMs.toFixed(1)} ms after kill -9`,
      );
      claims.check(
        `(b) host gone (link down): nothing arrives — poll(POLLIN|POLLRDHUP, ${quietMs} ms) gives 0 after the whole wait, still ESTABLISHED`,
        b.poll === 0 && b.revents === 0 && b.elapsedMs >= quietMs - 10 && b.state === 'ESTABLISHED',
        `poll ${b.poll} after ${Math.round(b.elapsedMs)} ms, ${b.state}`,
      );
      claims.check(
        "(c) the rebooted host has no state for the connection: no socket on the server's port (ss)",
        r.serverSockets.length === 0,
        r.serverSockets.length === 0 ? `ss -tan sport = :${ports.b}: none` : r.serverSockets.join('; '),
      );
      claims.check(
        '(c) link back: our next send succeeds — the data is only queued; the answer is an RST, poll reports POLLERR',
        r.send1 === HELLO && r.poll === 1 && (r.revents & c.POLLERR!) !== 0,
        `send ${code(r.send1)}; poll revents ${pollNames(r.revents).join('|')}`,
      );
      claims.equal(
        '(c) the next send is -ECONNRESET (the pending error, reported once), the one after -EPIPE',
        `${code(r.send2)}, ${code(r.send3)}`,
        'ECONNRESET, EPIPE',
      );
      note(
        "(c) the server actor set SO_LINGER {on, 0}: killed, its socket is discarded at once (no FIN_WAIT), and its RST is lost on the down link — the host's kernel forgets the connection as a reboot would",
      );
      headline(
        `kill -9: recv 0 after ${a.afterKillMs.toFixed(1)} ms; host gone: nothing in ${(quietMs / 1000).toFixed(0)} s; ` +
          `rebooted: send ${code(r.send1)}, then ${code(r.send2)}, ${code(r.send3)}`,
      );
      return data;
    },
  );
}

/** E27: the experiment (a one-second quiet wait unless `SYSSOCK_LAB_SLOW=1`). */
export const peerCrash = peerCrashWith();
