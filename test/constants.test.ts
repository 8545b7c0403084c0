// Constants come from the platform headers at build time. Nothing here types a number by hand:
// every expectation is a comparison with Node's own tables (os.constants, fs.constants,
// util.getSystemErrorName), a relation between two constants, or what the kernel does with one.
import { constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constants as c, errnoName, strerror, sys } from '../lib/index.js';
import { Sockets } from './helpers/peers.js';

const sockets = new Sockets();
afterEach(() => sockets.closeAll());

const nodeErrno = osConstants.errno as Readonly<Record<string, number>>;
const nodeErrnoEntries = Object.entries(nodeErrno);

/** util.getSystemErrorName(-n), or undefined when libuv has no name for n. */
function libuvName(n: number): string | undefined {
  const name = getSystemErrorName(-n);
  return name.startsWith('Unknown system error') ? undefined : name;
}

describe('errno values', () => {
  it('Node knows a non-trivial errno table (the cross-checks below are not vacuous)', () => {
    expect(nodeErrnoEntries.length).toBeGreaterThan(0);
    expect(nodeErrno.EAGAIN).toBeDefined();
    expect(nodeErrno.ECONNREFUSED).toBeDefined();
  });

  it.each(nodeErrnoEntries)('%s has the value os.constants.errno gives it', (name, value) => {
    expect(c[name]).toBe(value);
  });

  it('every errno name both tables know has the same value in both (ours → Node)', () => {
    const shared = Object.keys(c).filter((name) => name in nodeErrno);
    expect(shared.length).toBe(nodeErrnoEntries.length);
    const differing = shared.filter((name) => c[name] !== nodeErrno[name]);
    expect(differing).toEqual([]);
  });

  it('EAGAIN === EWOULDBLOCK', () => {
    expect(c.EAGAIN).toBeDefined();
    expect(c.EWOULDBLOCK).toBe(c.EAGAIN);
  });

  it('EDEADLOCK === EDEADLK and EOPNOTSUPP === ENOTSUP where the headers alias them', () => {
    if (c.EDEADLOCK !== undefined) expect(c.EDEADLOCK).toBe(c.EDEADLK);
    if (sys.platform === 'linux') expect(c.EOPNOTSUPP).toBe(c.ENOTSUP);
    expect(c.EDEADLK).toBe(nodeErrno.EDEADLK);
  });
});

describe('errnoName', () => {
  const withLibuvName = nodeErrnoEntries.filter(([, value]) => libuvName(value) !== undefined);

  it('libuv names most of Node errno values (the comparison below covers them)', () => {
    expect(withLibuvName.length).toBeGreaterThan(0);
    expect(withLibuvName.map(([name]) => name)).toContain('ECONNREFUSED');
  });

  it.each(withLibuvName)('errnoName(%s = %i) equals util.getSystemErrorName', (_name, value) => {
    expect(errnoName(value)).toBe(libuvName(value));
  });

  it.each(nodeErrnoEntries.filter(([, value]) => libuvName(value) === undefined))(
    'errnoName(%s = %i), which libuv does not name, is a name with that value in both tables',
    (_name, value) => {
      const name = errnoName(value);
      expect(c[name]).toBe(value);
      expect(nodeErrno[name]).toBe(value);
    },
  );

  it('EAGAIN and EWOULDBLOCK share one name, the one Node uses: EAGAIN', () => {
    expect(errnoName(c.EWOULDBLOCK!)).toBe('EAGAIN');
    expect(getSystemErrorName(-c.EWOULDBLOCK!)).toBe('EAGAIN');
  });

  it('accepts the negative form the raw layer returns', () => {
    expect(errnoName(-c.ECONNREFUSED!)).toBe('ECONNREFUSED');
    expect(errnoName(-c.EAGAIN!)).toBe(errnoName(c.EAGAIN!));
  });

  it('names a value no header defines E<number> instead of inventing a name', () => {
    const defined = new Set(
      Object.entries(c)
        .filter(([name]) => /^E[A-Z0-9]+$/.test(name))
        .map(([, value]) => value as number),
    );
    // One above the largest errno the headers define: no name can belong to it.
    const unknown = Math.max(...defined) + 1;
    expect(errnoName(unknown)).toBe(`E${unknown}`);
  });
});

describe('strerror', () => {
  it("strerror(EAGAIN) is the C library's message", () => {
    expect(strerror(c.EAGAIN!)).toBe('Resource temporarily unavailable');
  });

  it('accepts the negative form', () => {
    expect(strerror(-c.ECONNREFUSED!)).toBe(strerror(c.ECONNREFUSED!));
    expect(strerror(-c.ECONNREFUSED!)).toBe('Connection refused');
  });

  it('gives every errno Node knows a message of its own (not the name, not empty)', () => {
    const bad = nodeErrnoEntries.filter(([name, value]) => {
      const message = strerror(value);
      return message === '' || message === name || message.startsWith('Unknown error');
    });
    expect(bad).toEqual([]);
  });
});

describe('socket constants', () => {
  const required = [
    'AF_UNSPEC',
    'AF_INET',
    'AF_INET6',
    'AF_UNIX',
    'SOCK_STREAM',
    'SOCK_DGRAM',
    'SOCK_NONBLOCK',
    'SOCK_CLOEXEC',
    'SOL_SOCKET',
    'IPPROTO_TCP',
    'IPPROTO_UDP',
    'IPPROTO_IPV6',
    'SO_ERROR',
    'SO_TYPE',
    'MSG_NOSIGNAL',
    'MSG_DONTWAIT',
    'MSG_PEEK',
    'MSG_WAITALL',
    'MSG_TRUNC',
    'SIOCINQ',
    'SIOCOUTQ',
    'FIONBIO',
    'FIONREAD',
    'POLLIN',
    'POLLOUT',
    'POLLERR',
    'POLLHUP',
    'POLLNVAL',
    'SHUT_RD',
    'SHUT_WR',
    'SHUT_RDWR',
    'F_GETFL',
    'F_SETFL',
    'F_GETFD',
    'F_SETFD',
    'O_NONBLOCK',
    'FD_CLOEXEC',
    'SOMAXCONN',
    'IPV6_V6ONLY',
    'TCP_INFO',
  ];

  it.each(required)('%s is defined as an integer', (name) => {
    expect(Number.isInteger(c[name])).toBe(true);
  });

  it('O_NONBLOCK and the open flags equal fs.constants', () => {
    expect(c.O_NONBLOCK).toBe(fsConstants.O_NONBLOCK);
    expect(c.O_RDONLY).toBe(fsConstants.O_RDONLY);
    expect(c.O_WRONLY).toBe(fsConstants.O_WRONLY);
    expect(c.O_RDWR).toBe(fsConstants.O_RDWR);
  });

  it('the Linux aliases are equal: SIOCINQ/FIONREAD, AF_LOCAL/AF_UNIX, SOL_*/IPPROTO_*', () => {
    expect(c.SIOCINQ).toBe(c.FIONREAD);
    expect(c.AF_LOCAL).toBe(c.AF_UNIX);
    expect(c.SOL_TCP).toBe(c.IPPROTO_TCP);
    expect(c.SOL_IP).toBe(c.IPPROTO_IP);
    expect(c.SOL_IPV6).toBe(c.IPPROTO_IPV6);
  });

  it('SOCK_NONBLOCK is O_NONBLOCK on Linux (the kernel defines it so)', () => {
    expect(c.SOCK_NONBLOCK).toBe(c.O_NONBLOCK);
  });

  it('the MSG_* flags are distinct single bits', () => {
    const flags = ['MSG_OOB', 'MSG_PEEK', 'MSG_DONTWAIT', 'MSG_WAITALL', 'MSG_TRUNC', 'MSG_NOSIGNAL'].map((n) => c[n]!);
    for (const f of flags) expect(f > 0 && (f & (f - 1)) === 0).toBe(true);
    expect(new Set(flags).size).toBe(flags.length);
  });

  it('the POLL* events are distinct single bits', () => {
    const events = ['POLLIN', 'POLLPRI', 'POLLOUT', 'POLLERR', 'POLLHUP', 'POLLNVAL'].map((n) => c[n]!);
    for (const e of events) expect(e > 0 && (e & (e - 1)) === 0).toBe(true);
    expect(new Set(events).size).toBe(events.length);
  });

  it('SHUT_RD, SHUT_WR and SHUT_RDWR are three distinct values', () => {
    expect(new Set([c.SHUT_RD, c.SHUT_WR, c.SHUT_RDWR]).size).toBe(3);
  });

  it('the kernel reads AF_INET, SOCK_DGRAM and IPPROTO_UDP back as the socket was made', () => {
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_DGRAM!, c.IPPROTO_UDP!));
    expect(s.getOption('SO_DOMAIN')).toBe(c.AF_INET);
    expect(s.getOption('SO_TYPE')).toBe(c.SOCK_DGRAM);
    expect(s.getOption('SO_PROTOCOL')).toBe(c.IPPROTO_UDP);
  });

  it('SOCK_NONBLOCK sets O_NONBLOCK on the new fd', () => {
    const s = sockets.add(Socket.createRaw(c.AF_INET!, c.SOCK_STREAM! | c.SOCK_NONBLOCK!));
    expect(s.fcntl(c.F_GETFL!) & c.O_NONBLOCK!).toBe(c.O_NONBLOCK);
  });

  it('SOCK_CLOEXEC sets FD_CLOEXEC on the new fd', () => {
    const s = sockets.add(Socket.createRaw(c.AF_INET!, c.SOCK_STREAM! | c.SOCK_CLOEXEC!));
    expect(s.fcntl(c.F_GETFD!) & c.FD_CLOEXEC!).toBe(c.FD_CLOEXEC);
  });

  it('MSG_DONTWAIT makes one recv on a blocking socket give EAGAIN', () => {
    const [a] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!).map((s) => sockets.add(s));
    expect(a!.isNonBlocking()).toBe(false);
    expect(sys.recv(a!.fd, Buffer.alloc(1), 0, 1, c.MSG_DONTWAIT!)).toBe(-c.EAGAIN!);
  });

  it('MSG_PEEK leaves the bytes queued', () => {
    const [a, b] = Socket.pair(c.AF_UNIX!, c.SOCK_STREAM!).map((s) => sockets.add(s));
    a!.send('peek');
    expect(b!.recv(Buffer.alloc(8), c.MSG_PEEK!)).toBe(4);
    expect(b!.recvQueue()).toBe(4);
  });
});

describe('layouts', () => {
  const names = ['int', 'linger', 'timeval', 'pollfd', 'tcp_info'];

  it.each(names)('struct %s has a size > 0 and at least one field', (name) => {
    const layout = sys.layouts[name];
    expect(layout).toBeDefined();
    expect(layout!.size).toBeGreaterThan(0);
    expect(Object.keys(layout!.fields).length).toBeGreaterThan(0);
  });

  it.each(names)('every field of struct %s lies inside it and no two overlap', (name) => {
    const layout = sys.layouts[name]!;
    const fields = Object.values(layout.fields).sort((x, y) => x[0] - y[0]);
    for (const [offset, size] of fields) {
      expect(offset).toBeGreaterThanOrEqual(0);
      expect(size).toBeGreaterThan(0);
      expect(offset + size).toBeLessThanOrEqual(layout.size);
    }
    for (let i = 1; i < fields.length; i++)
      expect(fields[i]![0]).toBeGreaterThanOrEqual(fields[i - 1]![0] + fields[i - 1]![1]);
  });

  it('struct int is one 32-bit signed value, the size of an Int32Array element', () => {
    const layout = sys.layouts.int!;
    expect(layout.size).toBe(Int32Array.BYTES_PER_ELEMENT);
    expect(layout.fields.value).toEqual([0, Int32Array.BYTES_PER_ELEMENT, true]);
  });

  it('struct pollfd has fd, events and revents', () => {
    expect(Object.keys(sys.layouts.pollfd!.fields).sort()).toEqual(['events', 'fd', 'revents']);
  });

  it('struct linger has l_onoff and l_linger, struct timeval tv_sec and tv_usec', () => {
    expect(Object.keys(sys.layouts.linger!.fields).sort()).toEqual(['l_linger', 'l_onoff']);
    expect(Object.keys(sys.layouts.timeval!.fields).sort()).toEqual(['tv_sec', 'tv_usec']);
  });

  it('getsockopt(SO_LINGER) writes exactly sizeof(struct linger)', () => {
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    const size = sys.layouts.linger!.size;
    expect(s.getsockopt(c.SOL_SOCKET!, c.SO_LINGER!, Buffer.alloc(size * 2))).toBe(size);
  });

  it('getsockopt(SO_RCVTIMEO) writes exactly sizeof(struct timeval)', () => {
    const s = sockets.add(Socket.create(c.AF_INET!, c.SOCK_STREAM!));
    const size = sys.layouts.timeval!.size;
    expect(s.getsockopt(c.SOL_SOCKET!, c.SO_RCVTIMEO!, Buffer.alloc(size * 2))).toBe(size);
  });
});
