/**
 * Isolated hosts for the two-host experiments (E24–E28): network namespaces joined by veth
 * links, with addresses in 10.200.x.0/24 that exist only inside them.
 *
 * The shape, and why:
 * - **Isolate first.** One *anchor* child process is started with {@link startChild} under
 *   `unshare --net --mount` (as root; `unshare -r --net --mount` otherwise). It gets a new, empty
 *   network namespace and a private mount namespace, mounts a tmpfs on `/run` *inside that mount
 *   namespace only* and runs `ip netns add` for each host there. So the namespace names never
 *   appear in the machine's `/run/netns` (the root's `ip netns list` is unchanged, and parallel
 *   runs cannot collide on a name), and every veth is created between namespaces made here: no
 *   command ever touches an interface of the root namespace. No `--fork`: only `--pid` needs it,
 *   and without it unshare execs node in place, so the pid and the IPC channel child.ts manages
 *   stay the anchor's own.
 * - **Teardown is the kernel's.** A network namespace lives while a process is in it or a
 *   reference holds it (here: the nsfs bind mounts in the anchor's tmpfs). The anchor is the
 *   only process in its mount namespace; when it dies — the scope's SIGKILL, child.ts's guard on
 *   the parent's exit/SIGINT/SIGTERM, or its IPC channel closing when the parent is SIGKILLed —
 *   the mount namespace goes, the tmpfs and its bind mounts with it, and each host namespace
 *   with its last process; veths die with their namespace. Nothing to delete by name, nothing
 *   left behind when a cleanup never runs. {@link holdersOf} checks it after the fact.
 * - **Actors** (the programs of an experiment) are further children of the *experiment*
 *   process, started with {@link startChild} under `nsenter --net=/proc/ANCHOR/root/run/netns/HOST`:
 *   the path walks into the anchor's mount namespace, so it finds the host's bind mount, and
 *   nsenter execs node in place. They report over child.ts's IPC like any other child, and the
 *   scope kills them before the anchor (LIFO).
 * - Commands (`ip`, `sysctl`) run as `nsenter -t ANCHOR -m -n -- …` with an argv, never a shell
 *   string, each bounded by a timeout.
 * - No netfilter: a "silent" host is a permanent neighbour entry to a MAC nobody owns, so SYNs
 *   go out on the wire and are never answered.
 * @module
 */
import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { constants } from '../constants.js';
import { startChild, type ChildBody, type ChildHandle, type ChildOptions } from './child.js';
import type { Scope } from './scope.js';

/** One end of a veth link: the host it lives in, its interface name, its addresses (CIDR). */
export interface LinkEnd {
  host: string;
  dev: string;
  /** e.g. `['10.200.1.1/24']`. Only 10.200.x addresses (checked). */
  addresses: string[];
}

/** A veth pair between two hosts. */
export interface LinkSpec {
  a: LinkEnd;
  b: LinkEnd;
}

/** One host (network namespace). */
export interface HostSpec {
  /** net.ipv4.ip_forward=1: the host routes between its links. */
  forward?: boolean;
  /** Extra routes, as `ip route add` arguments: `['10.200.2.0/24', 'via', '10.200.1.254']`. */
  routes?: string[][];
  /** Per-namespace sysctls, set after the links exist (`net.ipv4.neigh.DEV.…` needs DEV). */
  sysctls?: Record<string, string | number>;
}

/** What to build. Host names: lowercase letters and digits, short. */
export interface TopologySpec {
  hosts: Record<string, HostSpec>;
  links: LinkSpec[];
}

/** Whether network namespaces can be made here, and how. */
export type NetnsSupport = { ok: true; mode: 'root' | 'userns'; unshare: string[] } | { ok: false; reason: string };

/** Bound on one `ip`/`sysctl` command. */
const COMMAND_TIMEOUT_MS = 5000;
/** The anchor exits by itself after this long even if nobody tells it to (a last resort). */
const DEFAULT_ANCHOR_LIFETIME_MS = 10 * 60_000;
/**
 * The string that marks an anchor in its command line (ps, /proc/PID/cmdline): it is part of the
 * anchor body's source, which child.ts passes to `node -e`.
 */
export const ANCHOR_MARK = 'syssock-netns-anchor';

let cachedSupport: NetnsSupport | undefined;

/**
 * Probes once whether this process can create network namespaces: `unshare --net --mount true`
 * as root, else `unshare -r --net --mount true` (a user namespace, where the kernel allows it
 * unprivileged). `SYSSOCK_LAB_NO_NETNS=1` pretends it cannot (to exercise the "cannot" path).
 */
export function netnsSupport(): NetnsSupport {
  if (cachedSupport) return cachedSupport;
  cachedSupport = probe();
  return cachedSupport;
}

function probe(): NetnsSupport {
  if (process.env.SYSSOCK_LAB_NO_NETNS === '1') return { ok: false, reason: 'disabled by SYSSOCK_LAB_NO_NETNS=1' };
  if (process.platform !== 'linux')
    return { ok: false, reason: `network namespaces are Linux-only (${process.platform})` };
  for (const tool of ['ip', 'nsenter', 'unshare']) {
    const r = spawnSync(tool, ['-V'], { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
    if (r.error) return { ok: false, reason: `${tool} not available: ${(r.error as NodeJS.ErrnoException).code}` };
  }
  const root = process.getuid?.() === 0;
  const unshare = root ? ['unshare', '--net', '--mount'] : ['unshare', '-r', '--net', '--mount'];
  const r = spawnSync(unshare[0]!, [...unshare.slice(1), '--', 'true'], {
    encoding: 'utf8',
    timeout: COMMAND_TIMEOUT_MS,
  });
  if (r.status === 0) return { ok: true, mode: root ? 'root' : 'userns', unshare };
  const why = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
  return { ok: false, reason: `${unshare.join(' ')} failed: ${why}` };
}

/** An interface of a host and its addresses, from `ip -j addr`. */
export interface HostInterface {
  ifname: string;
  operstate: string;
  addresses: { family: 'inet' | 'inet6'; local: string; prefixlen: number; scope: string }[];
}

/** A running topology. Everything is torn down when the scope closes. */
export interface Network {
  /** The anchor's pid (in the root pid namespace). */
  readonly anchorPid: number;
  /** The nsfs inode of each host's network namespace (`net:[inode]`), and of the anchor's own two. */
  readonly inodes: { hosts: Record<string, number>; anchorNet: number; anchorMnt: number };
  /** Runs `argv` in the anchor's namespaces (sees the hosts by name); resolves with stdout. */
  run(argv: readonly string[]): Promise<string>;
  /** Runs `ip -n HOST …args`. */
  ip(host: string, args: readonly string[]): Promise<string>;
  /** Sets a sysctl in HOST's namespace (`net.ipv4.tcp_syn_retries`, …). */
  sysctl(host: string, key: string, value: string | number): Promise<void>;
  /** Reads a sysctl in HOST's namespace. */
  readSysctl(host: string, key: string): Promise<string>;
  /** `ip link set dev DEV down|up` in HOST. */
  setLink(host: string, dev: string, up: boolean): Promise<void>;
  /**
   * Makes ADDR silent as seen from HOST: a permanent neighbour entry to a MAC nobody owns, so
   * packets leave on DEV and nothing ever answers (a host that drops SYNs, without netfilter).
   */
  silence(host: string, address: string, dev: string): Promise<void>;
  /**
   * Undoes {@link silence}: deletes the permanent neighbour entry (`ip neigh del`), so the next
   * packet to ADDR asks ARP again and finds the real MAC — the cable is back.
   */
  unsilence(host: string, address: string, dev: string): Promise<void>;
  /** HOST's interfaces and addresses (`ip -j addr`). */
  interfaces(host: string): Promise<HostInterface[]>;
  /** The prefix that runs a command in HOST's network namespace (for {@link startChild}). */
  prefix(host: string): string[];
  /** Starts `body` as a child process inside HOST (see {@link startChild}). */
  actor<A, R>(
    host: string,
    body: ChildBody<A, R>,
    arg: A,
    options?: Omit<ChildOptions, 'prefix'>,
  ): Promise<ChildHandle<R>>;
}

/** Thrown when namespaces cannot be created here; `reason` says why. */
export class NetnsUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`needs network namespaces: ${reason}`);
    this.name = 'NetnsUnavailable';
  }
}

const NAME = /^[a-z][a-z0-9]{0,11}$/;

function check10200(cidr: string): void {
  // The rule of the road: no address outside loopback and our own 10.200.x subnets.
  if (!/^10\.200\.\d{1,3}\.\d{1,3}\/\d{1,2}$/.test(cidr)) throw new Error(`not a 10.200.x address: ${cidr}`);
}

function execBounded(argv: readonly string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL', signal },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${argv.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
  });
}

// The anchor: holds the namespaces; does nothing but wait for the word to exit (bounded). It
// exits when its IPC channel closes too (child.ts), so it cannot outlive a SIGKILLed parent.
const anchorBody: ChildBody<{ lifetimeMs: number }, unknown> = (_sys, arg, io) =>
  io.next(arg.lifetimeMs, 'syssock-netns-anchor: the end of the experiment');

/**
 * Builds `spec` in fresh namespaces and returns the running {@link Network}; the scope tears it
 * down (actors first, then the anchor). Rejects with {@link NetnsUnavailable} when namespaces
 * cannot be made here, and with the failing command's stderr when a step fails.
 */
export async function createNetwork(
  scope: Scope,
  spec: TopologySpec,
  options: { signal?: AbortSignal; lifetimeMs?: number } = {},
): Promise<Network> {
  // The spec first: a bad name or an address outside 10.200.x is refused wherever this runs.
  for (const name of Object.keys(spec.hosts)) if (!NAME.test(name)) throw new Error(`bad host name ${name}`);
  for (const link of spec.links) for (const end of [link.a, link.b]) end.addresses.forEach(check10200);
  const support = netnsSupport();
  if (!support.ok) throw new NetnsUnavailable(support.reason);

  const anchor = await startChild(
    scope,
    anchorBody,
    { lifetimeMs: options.lifetimeMs ?? DEFAULT_ANCHOR_LIFETIME_MS },
    { prefix: [...support.unshare, '--'] },
  );
  const pid = anchor.pid;
  const userns = support.mode === 'userns' ? ['-U', '--preserve-credentials'] : [];
  const enter = ['nsenter', '-t', String(pid), ...userns, '-m', '-n', '--'];
  const { signal } = options;
  const run = (argv: readonly string[]) => {
    signal?.throwIfAborted();
    return execBounded([...enter, ...argv], signal);
  };
  const ip = (host: string, args: readonly string[]) => run(['ip', '-n', host, ...args]);
  const inHost = (host: string, argv: readonly string[]) => run(['ip', 'netns', 'exec', host, ...argv]);
  const sysctl = async (host: string, key: string, value: string | number) => {
    await inHost(host, ['sysctl', '-qw', `${key}=${value}`]);
  };

  // /run/netns does not exist on every machine, and creating it would leave a directory behind:
  // a tmpfs on /run itself (in the private mount namespace only) gives an empty, private /run.
  await run(['mount', '-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'syssock-netns', '/run']);
  await run(['mkdir', '/run/netns']);
  for (const host of Object.keys(spec.hosts)) {
    await run(['ip', 'netns', 'add', host]);
    await ip(host, ['link', 'set', 'dev', 'lo', 'up']);
  }
  for (const { a, b } of spec.links) {
    await ip(a.host, ['link', 'add', a.dev, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.host]);
    for (const end of [a, b]) {
      for (const cidr of end.addresses) await ip(end.host, ['addr', 'add', cidr, 'dev', end.dev]);
      await ip(end.host, ['link', 'set', 'dev', end.dev, 'up']);
    }
  }
  for (const [host, h] of Object.entries(spec.hosts)) {
    if (h.forward) await sysctl(host, 'net.ipv4.ip_forward', 1);
    for (const route of h.routes ?? []) await ip(host, ['route', 'add', ...route]);
    for (const [key, value] of Object.entries(h.sysctls ?? {})) await sysctl(host, key, value);
  }

  const hostPath = (host: string) => `/proc/${pid}/root/run/netns/${host}`;
  const inodes = {
    hosts: Object.fromEntries(Object.keys(spec.hosts).map((h) => [h, statSync(hostPath(h)).ino])),
    anchorNet: nsInode(`/proc/${pid}/ns/net`),
    anchorMnt: nsInode(`/proc/${pid}/ns/mnt`),
  };
  const prefix = (host: string) => {
    if (!(host in spec.hosts)) throw new Error(`no host ${host}`);
    return ['nsenter', ...(userns.length ? ['-t', String(pid), ...userns] : []), `--net=${hostPath(host)}`, '--'];
  };
  return {
    anchorPid: pid,
    inodes,
    run,
    ip,
    sysctl,
    readSysctl: async (host, key) => (await inHost(host, ['sysctl', '-n', key])).trim(),
    setLink: async (host, dev, up) => void (await ip(host, ['link', 'set', 'dev', dev, up ? 'up' : 'down'])),
    silence: async (host, address, dev) => {
      check10200(`${address}/32`);
      await ip(host, ['neigh', 'replace', address, 'lladdr', '02:00:00:de:ad:01', 'dev', dev, 'nud', 'permanent']);
    },
    unsilence: async (host, address, dev) => {
      check10200(`${address}/32`);
      await ip(host, ['neigh', 'del', address, 'dev', dev]);
    },
    interfaces: async (host) => parseAddr(await ip(host, ['-j', 'addr', 'show'])),
    prefix,
    actor: (host, body, arg, actorOptions = {}) =>
      startChild(scope, body, arg, { ...actorOptions, prefix: prefix(host) }),
  };
}

/** The addresses of {@link clientServer}'s two hosts. */
export const PAIR = { client: '10.200.1.1', server: '10.200.1.2' } as const;

/**
 * The topology most two-host experiments use: `client` 10.200.1.1/24 on c0 ↔ `server`
 * 10.200.1.2/24 on s0, one veth, no routes; `clientSysctls` set in the client's namespace.
 */
export function clientServer(clientSysctls: HostSpec['sysctls'] = {}): TopologySpec {
  return {
    hosts: { client: { sysctls: clientSysctls }, server: {} },
    links: [
      {
        a: { host: 'client', dev: 'c0', addresses: [`${PAIR.client}/24`] },
        b: { host: 'server', dev: 's0', addresses: [`${PAIR.server}/24`] },
      },
    ],
  };
}

/**
 * {@link createNetwork} for an experiment: where namespaces cannot be made, it tells the
 * experiment's `skip` why (the experiment then checks nothing) and resolves with that reason
 * instead of a network. Any other failure rejects as it is.
 */
export async function createNetworkOrSkip(
  scope: Scope,
  spec: TopologySpec,
  options: { signal?: AbortSignal; lifetimeMs?: number },
  skip: (reason: string) => void,
): Promise<{ net: Network } | { unavailable: string }> {
  try {
    return { net: await createNetwork(scope, spec, options) };
  } catch (e) {
    if (!(e instanceof NetnsUnavailable)) throw e;
    skip(e.message);
    return { unavailable: e.message };
  }
}

/** Whether a two-host experiment runs with the kernel's default timings: its option, else `SYSSOCK_LAB_SLOW=1`. */
export function slowMode(option: boolean | undefined): boolean {
  return option ?? process.env.SYSSOCK_LAB_SLOW === '1';
}

/** Parses `ip -j addr show` output. */
export function parseAddr(json: string): HostInterface[] {
  const list = JSON.parse(json) as {
    ifname: string;
    operstate?: string;
    addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
  }[];
  return list.map((i) => ({
    ifname: i.ifname,
    operstate: i.operstate ?? 'UNKNOWN',
    addresses: (i.addr_info ?? [])
      .filter((a) => a.family === 'inet' || a.family === 'inet6')
      .map((a) => ({ family: a.family as 'inet' | 'inet6', local: a.local, prefixlen: a.prefixlen, scope: a.scope })),
  }));
}

function nsInode(link: string): number {
  const m = /\[(\d+)\]$/.exec(readlinkSync(link));
  return m ? Number(m[1]) : -1;
}

/**
 * Who still holds any of the namespaces `inodes` (nsfs inode numbers): every process that is in
 * one (`/proc/PID/ns/net|mnt`) or has an fd open on one. Empty means nothing in user space keeps
 * them: the kernel frees a namespace with its last reference (a bind mount in a dead mount
 * namespace is none).
 */
export function holdersOf(inodes: readonly number[]): string[] {
  const wanted = new Set(inodes.map((i) => `[${i}]`));
  const found: string[] = [];
  const hit = (link: string) => {
    const m = /\[\d+\]$/.exec(link);
    return m !== null && wanted.has(m[0]) && /^(net|mnt):/.test(link);
  };
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      for (const ns of ['net', 'mnt']) {
        const link = readlinkSync(`/proc/${pid}/ns/${ns}`);
        if (hit(link)) found.push(`pid ${pid} is in ${link}`);
      }
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (hit(link)) found.push(`pid ${pid} fd ${fd} holds ${link}`);
      }
    } catch {
      // The process ended while we looked, or is not ours to read: nothing to see there.
    }
  }
  return found;
}

/**
 * Waits for `child.done`, bounded by `timeoutMs` and cut short by `signal`: an actor that runs a
 * blocking connect to a silent host is waited for, never forever. On abort or timeout it rejects;
 * the scope then kills the child (and the anchor after it).
 */
export async function actorResult<R>(
  child: ChildHandle<R>,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      child.done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
        onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        if (signal.aborted) onAbort();
        else signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Passes every message `child` posts to `progress` (strings as they are), until the child ends
 * or `maxMessages` have come: a bounded loop running beside {@link actorResult}.
 */
export function forwardProgress(child: ChildHandle<unknown>, progress: (m: string) => void, maxMessages = 100): void {
  void (async () => {
    for (let i = 0; i < maxMessages; i++) {
      let message: unknown;
      try {
        // The child's end rejects next(): that ends the loop. The bound is only a backstop.
        message = await child.next(DEFAULT_ANCHOR_LIFETIME_MS, 'a progress message');
      } catch {
        return;
      }
      progress(typeof message === 'string' ? message : JSON.stringify(message));
    }
  })();
}

/** Rejects as soon as `signal` aborts (with its reason); `cleanup` removes the listener. */
function abortion(signal: AbortSignal): { promise: Promise<never>; cleanup: () => void } {
  let onAbort: (() => void) | undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  promise.catch(() => {}); // observed through the race it joins
  return { promise, cleanup: () => onAbort && signal.removeEventListener('abort', onAbort) };
}

/**
 * The next message `child` posts (a step of an experiment's protocol with an actor: "connected",
 * "ready for the cut"), bounded by `timeoutMs` and cut short by `signal`.
 */
export async function actorMessage<T = unknown>(
  child: ChildHandle<unknown>,
  timeoutMs: number,
  signal: AbortSignal,
  what: string,
): Promise<T> {
  const abort = abortion(signal);
  try {
    return (await Promise.race([child.next(timeoutMs, what), abort.promise])) as T;
  } finally {
    abort.cleanup();
  }
}

/** Where the main thread of another process is, from `/proc/PID/{stat,syscall}`. */
export interface ProcessWhere {
  /** The state letter of /proc/PID/stat: 'S' sleeping, 'R' running … */
  state: string;
  /** The syscall it is inside (`'recvfrom'`), or null while it runs in user space. */
  syscall: string | null;
  /** The syscall's first argument: the fd, for the socket calls. */
  fd: number;
}

const syscallNames = new Map<number, string>(
  Object.entries(constants)
    .filter(([name, value]) => name.startsWith('SYS_') && value !== undefined)
    .map(([name, value]) => [value!, name.slice(4)]),
);

/**
 * Reads /proc/PID/stat and /proc/PID/syscall (the latter needs ptrace access: our own children
 * qualify). Null when the process is gone or cannot be read.
 */
export function processWhere(pid: number): ProcessWhere | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0] ?? '?';
    const text = readFileSync(`/proc/${pid}/syscall`, 'utf8').trim();
    if (text.startsWith('running')) return { state, syscall: null, fd: -1 };
    const [nr, arg0] = text.split(' ');
    const number = Number(nr);
    return { state, syscall: syscallNames.get(number) ?? `syscall ${number}`, fd: Number.parseInt(arg0 ?? '', 16) };
  } catch {
    return null;
  }
}

/**
 * Waits until the actor `pid` sleeps inside syscall `name` on `fd` (state 'S'), checking /proc
 * every 5 ms, at most `timeoutMs`, cut short by `signal`: the proof that a blocking call really
 * blocks, and the moment to change the network under it — an observed condition, not a guess.
 * Resolves with the observation, e.g. "S in recvfrom(fd 21)".
 */
export async function waitAsleepIn(
  pid: number,
  name: string,
  fd: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<string> {
  let last: ProcessWhere | null = null;
  for (const deadline = performance.now() + timeoutMs; performance.now() < deadline;) {
    signal.throwIfAborted();
    last = processWhere(pid);
    if (last && last.state === 'S' && last.syscall === name && last.fd === fd) return `S in ${name}(fd ${fd})`;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(
    `process ${pid} was not seen asleep in ${name}(fd ${fd}) within ${timeoutMs} ms: ${JSON.stringify(last)}`,
  );
}
