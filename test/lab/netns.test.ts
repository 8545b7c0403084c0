// lib/lab/netns.ts: the namespace toolkit — a routed topology works, per-namespace sysctls stay
// in their namespace, and the kernel tears everything down when the anchor dies (checked: no
// process is in or holds any of our namespaces, the root's netns list and links are unchanged).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork, holdersOf, netnsSupport, type TopologySpec } from '../../lib/lab/netns.js';
import { Scope } from '../../lib/lab/scope.js';
import { snapshot, type Snapshot } from '../helpers/netns-leftovers.js';

const support = netnsSupport();
if (!support.ok) console.warn(`netns toolkit tests skipped: needs network namespaces: ${support.reason}`);

const routed: TopologySpec = {
  hosts: {
    h1: { routes: [['10.200.2.0/24', 'via', '10.200.1.254']], sysctls: { 'net.ipv4.tcp_syn_retries': 2 } },
    r: { forward: true },
    h2: { routes: [['10.200.1.0/24', 'via', '10.200.2.254']] },
  },
  links: [
    {
      a: { host: 'h1', dev: 'c0', addresses: ['10.200.1.1/24'] },
      b: { host: 'r', dev: 'r0', addresses: ['10.200.1.254/24'] },
    },
    {
      a: { host: 'r', dev: 'r1', addresses: ['10.200.2.254/24'] },
      b: { host: 'h2', dev: 's0', addresses: ['10.200.2.2/24'] },
    },
  ],
};

let scope = new Scope();
afterEach(async () => {
  await scope.close();
  scope = new Scope();
});

describe('netns toolkit: the "cannot" path', () => {
  it('without namespaces the experiment says "needs network namespaces" with the reason, and runs nothing', () => {
    const before = snapshot();
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'examples/28-bind-one-ip.ts'], {
      encoding: 'utf8',
      timeout: 15_000,
      env: { ...process.env, SYSSOCK_LAB_NO_NETNS: '1' },
    });
    expect(run.stdout).toContain('needs network namespaces: disabled by SYSSOCK_LAB_NO_NETNS=1');
    expect(run.stdout).toContain('Nothing was run.');
    // It failed no claim (exit 0, as npm run lab does) and left nothing behind.
    expect(run.status, run.stderr).toBe(0);
    expect(snapshot()).toEqual(before);
  });

  // Root can test the unprivileged path too: the same experiment as uid/gid 65534 (nobody), where
  // netnsSupport() picks `unshare -r --net --mount` (a user namespace) instead of plain unshare.
  const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  const setpriv = spawnSync('setpriv', ['--version'], { encoding: 'utf8', timeout: 5000 });
  const canDrop = process.getuid?.() === 0 && !setpriv.error;
  // The checkout must be readable by uid 65534 through absolute paths, as node opens its files (a
  // clone under mktemp -d, mode 0700, is not, although relative paths from inside it work).
  const readable =
    canDrop &&
    spawnSync(
      'setpriv',
      [...asNobody, 'cat', resolve('examples/28-bind-one-ip.ts'), resolve('node_modules/tsx/package.json')],
      { timeout: 5000 },
    ).status === 0;
  if (!canDrop) console.warn('netns unprivileged-mode test skipped: needs root and setpriv(1) to drop to uid 65534');
  else if (!readable) console.warn(`netns unprivileged-mode test skipped: uid 65534 cannot read ${process.cwd()}`);
  it.runIf(readable)('unprivileged (uid 65534): the experiment runs in a user namespace with every claim held', () => {
    const run = spawnSync('setpriv', [...asNobody, process.execPath, '--import', 'tsx', 'examples/28-bind-one-ip.ts'], {
      encoding: 'utf8',
      timeout: 30_000,
      // The real probe decides here, whatever SYSSOCK_LAB_NO_NETNS says for the rest of the run.
      env: { ...process.env, HOME: '/tmp', SYSSOCK_LAB_NO_NETNS: '' },
    });
    const probe = spawnSync('setpriv', [...asNobody, 'unshare', '-r', '--net', '--mount', 'true'], { timeout: 5000 });
    if (probe.status !== 0) {
      // The kernel forbids unprivileged user namespaces here: the experiment must say so instead.
      expect(run.stdout).toContain('needs network namespaces');
      return;
    }
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('-ECONNREFUSED');
    expect(run.stdout).not.toContain('✗');
  });

  it('refuses any address outside 10.200.x before starting anything', async () => {
    const before = snapshot();
    const spec: TopologySpec = {
      hosts: { a: {}, b: {} },
      links: [
        { a: { host: 'a', dev: 'x0', addresses: ['192.168.1.1/24'] }, b: { host: 'b', dev: 'x1', addresses: [] } },
      ],
    };
    await expect(createNetwork(scope, spec)).rejects.toThrow(/not a 10\.200\.x address/);
    expect(snapshot()).toEqual(before);
  });
});

describe.skipIf(!support.ok)('netns toolkit', () => {
  let before: Snapshot;
  beforeAll(() => {
    before = snapshot();
  });

  it('a router namespace forwards between two subnets; sysctls stay in their namespace; the root sees nothing', async () => {
    const rootForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const rootSynRetries = readFileSync('/proc/sys/net/ipv4/tcp_syn_retries', 'utf8').trim();
    const net = await createNetwork(scope, routed);
    expect(await net.readSysctl('r', 'net.ipv4.ip_forward')).toBe('1');
    expect(await net.readSysctl('h1', 'net.ipv4.ip_forward')).toBe('0');
    expect(await net.readSysctl('h1', 'net.ipv4.tcp_syn_retries')).toBe('2');
    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe(rootForward);
    expect(readFileSync('/proc/sys/net/ipv4/tcp_syn_retries', 'utf8').trim()).toBe(rootSynRetries);
    expect(snapshot().netns).toEqual(before.netns); // the names live in the anchor's private /run

    const server = await net.actor(
      'h2',
      async (sys, _arg, io) => {
        const C = sys.constants;
        const fd = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
        sys.bind(fd, { family: C.AF_INET!, address: '10.200.2.2', port: 0 });
        sys.listen(fd, 4);
        const name: { family: number; port?: number } = { family: 0 };
        sys.getsockname(fd, name);
        io.post(name.port);
        await io.next(10_000, 'the end');
        return sys.close(fd);
      },
      null,
    );
    const port = (await server.next(5000, 'the port')) as number;
    const client = await net.actor(
      'h1',
      (sys, arg: { port: number }) => {
        const C = sys.constants;
        const fd = sys.socket(C.AF_INET!, C.SOCK_STREAM! | C.SOCK_CLOEXEC!, 0);
        const rc = sys.connect(fd, { family: C.AF_INET!, address: '10.200.2.2', port: arg.port });
        const local: { family: number; address?: string } = { family: 0 };
        sys.getsockname(fd, local);
        sys.close(fd);
        return { rc, local: local.address };
      },
      { port },
    );
    expect(await client.done).toEqual({ rc: 0, local: '10.200.1.1' }); // routed through r
    server.send('end');
    expect(await server.done).toBe(0);
  });

  it('link down/up and a silenced neighbour are visible in the namespace', async () => {
    const net = await createNetwork(scope, routed);
    await net.setLink('h1', 'c0', false);
    let c0 = (await net.interfaces('h1')).find((i) => i.ifname === 'c0')!;
    expect(c0.operstate).toBe('DOWN');
    await net.setLink('h1', 'c0', true);
    await net.silence('h1', '10.200.1.7', 'c0');
    const neigh = await net.ip('h1', ['neigh', 'show', '10.200.1.7']);
    expect(neigh).toMatch(/lladdr 02:00:00:de:ad:01 PERMANENT/);
    c0 = (await net.interfaces('h1')).find((i) => i.ifname === 'c0')!;
    expect(c0.addresses.map((a) => a.local)).toContain('10.200.1.1');
  });

  it('the anchor SIGKILLed mid-way (an actor still running): the kernel frees every namespace', async () => {
    const net = await createNetwork(scope, routed);
    const inodes = [...Object.values(net.inodes.hosts), net.inodes.anchorNet, net.inodes.anchorMnt];
    const actor = await net.actor('h2', (_sys, _arg, io) => io.next(10_000, 'never'), null);
    expect(holdersOf(inodes).length).toBeGreaterThan(0);
    process.kill(net.anchorPid, 'SIGKILL');
    await scope.close(); // kills the actor; the anchor is already gone
    expect(actor.exit).toEqual({ code: null, signal: 'SIGKILL' });
    // Nobody is in, or holds an fd on, any of them; the mount namespace holding their bind
    // mounts had the anchor as its only process: the kernel has nothing left to keep them by.
    expect(holdersOf(inodes)).toEqual([]);
    expect(snapshot()).toEqual(before);
  });

  it('after every test: the root namespace and this process are as before', async () => {
    await scope.close();
    expect(snapshot()).toEqual(before);
  });
});
