// Smoke test for the cmake-js build (`npm run build:cmake`, then `npm run smoke:cmake`).
// Plain Node, no test framework, so it can run right after the build with nothing else set up.
// It checks that the cmake-built addon exports what the node-gyp build exports, and that it
// really works: one TCP round trip over 127.0.0.1, every wait bounded by poll's timeout.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = fileURLToPath(new URL('../../', import.meta.url));

// cmake-js sets CMAKE_LIBRARY_OUTPUT_DIRECTORY to <out>/<config>: Release, or Debug with --debug.
const cmakeCandidates = ['Release', 'Debug'].map((config) => `${root}build-cmake/${config}/syssock.node`);
const cmakePath = cmakeCandidates.find((path) => existsSync(path));
const gypPath = `${root}build/Release/syssock.node`;

const POLL_TIMEOUT_MS = 2000;

// What the node-gyp build exports (native/addon.cc); used only when build/ has no addon to ask.
const EXPECTED_FUNCTIONS = [
  'socket',
  'socketpair',
  'bind',
  'listen',
  'accept',
  'accept4',
  'connect',
  'send',
  'recv',
  'writev',
  'sendto',
  'recvfrom',
  'shutdown',
  'close',
  'fcntl',
  'ioctl',
  'getsockopt',
  'setsockopt',
  'getsockname',
  'getpeername',
  'poll',
  'gettid',
  'signal',
  'pollerOpen',
  'pollerCount',
  'ownFd',
  'disownFd',
  'ownedFdCount',
];
const EXPECTED_OTHERS = ['constants', 'errnoNames', 'errnoMessages', 'layouts', 'platform'];

const functionNames = (mod) =>
  Object.keys(mod)
    .filter((k) => typeof mod[k] === 'function')
    .sort();
const otherNames = (mod) =>
  Object.keys(mod)
    .filter((k) => typeof mod[k] !== 'function')
    .sort();

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

let addon;

check('exports match the node-gyp build', () => {
  if (existsSync(gypPath)) {
    const gyp = require(gypPath);
    assert.deepEqual(functionNames(addon), functionNames(gyp));
    assert.deepEqual(otherNames(addon), otherNames(gyp));
    // Same sources and flags, so the same constants and struct layouts.
    assert.deepEqual(addon.constants, gyp.constants);
    assert.deepEqual(addon.layouts, gyp.layouts);
  } else {
    console.log(`note: ${gypPath} not built; comparing against the known export list`);
    assert.deepEqual(functionNames(addon), [...EXPECTED_FUNCTIONS].sort());
    assert.deepEqual(otherNames(addon), [...EXPECTED_OTHERS].sort());
  }
  assert.equal(addon.platform, process.platform);
});

check('constants.EAGAIN is the OS errno', () => {
  assert.equal(addon.constants.EAGAIN, os.constants.errno.EAGAIN);
});

check('TCP round trip on 127.0.0.1', () => {
  const C = addon.constants;
  const open = new Set();

  // Every syscall returns a number: >= 0, or -errno. Anything else the caller did not allow fails.
  const sys = (what, rc, ...allowedErrnos) => {
    assert.equal(typeof rc, 'number', `${what} returned ${typeof rc}`);
    assert.ok(Number.isInteger(rc), `${what} returned ${rc}`);
    if (rc < 0 && !allowedErrnos.includes(-rc)) {
      assert.fail(`${what} failed: -${addon.errnoNames[-rc] ?? -rc} (${addon.errnoMessages[-rc]})`);
    }
    return rc;
  };
  const newSocket = (what) => {
    const fd = sys(what, addon.socket(C.AF_INET, C.SOCK_STREAM | C.SOCK_NONBLOCK, 0));
    open.add(fd);
    return fd;
  };

  // Struct fields come from the addon as [offset, size, signed], in native byte order; the
  // ones used here (pollfd's, int's) are all signed.
  const le = os.endianness() === 'LE';
  const readField = (buf, [offset, size, signed]) => {
    assert.equal(signed, true);
    return le ? buf.readIntLE(offset, size) : buf.readIntBE(offset, size);
  };
  const writeField = (buf, [offset, size, signed], value) => {
    assert.equal(signed, true);
    if (le) buf.writeIntLE(value, offset, size);
    else buf.writeIntBE(value, offset, size);
  };
  const pollfd = addon.layouts.pollfd;
  // Waits (at most POLL_TIMEOUT_MS) for fd to report exactly `events`.
  const waitFor = (what, fd, events) => {
    const buf = Buffer.alloc(pollfd.size); // its own ArrayBuffer: offset 0, so aligned
    writeField(buf, pollfd.fields.fd, fd);
    writeField(buf, pollfd.fields.events, events);
    const ready = sys(`poll(${what})`, addon.poll(buf, 1, POLL_TIMEOUT_MS));
    assert.equal(ready, 1, `${what}: not ready within ${POLL_TIMEOUT_MS} ms`);
    assert.equal(readField(buf, pollfd.fields.revents), events, `${what}: revents`);
  };

  try {
    const listener = newSocket('socket(listener)');
    sys(
      'bind',
      addon.bind(listener, {
        family: C.AF_INET,
        address: '127.0.0.1',
        port: 0,
      }),
    );
    sys('listen', addon.listen(listener, 1));
    const local = {};
    sys('getsockname(listener)', addon.getsockname(listener, local));
    assert.equal(local.family, C.AF_INET);
    assert.equal(local.address, '127.0.0.1');
    assert.ok(Number.isInteger(local.port) && local.port > 0 && local.port <= 65535, `port ${local.port}`);

    const client = newSocket('socket(client)');
    const rc = sys(
      'connect',
      addon.connect(client, {
        family: C.AF_INET,
        address: '127.0.0.1',
        port: local.port,
      }),
      C.EINPROGRESS,
    );
    assert.ok(rc === 0 || rc === -C.EINPROGRESS, `connect returned ${rc}`);

    waitFor('listener readable', listener, C.POLLIN);
    // The nonblocking connect is complete once the client is writable with no pending error.
    waitFor('client writable', client, C.POLLOUT);
    const soError = Buffer.alloc(addon.layouts.int.size);
    assert.equal(
      sys('getsockopt(SO_ERROR)', addon.getsockopt(client, C.SOL_SOCKET, C.SO_ERROR, soError)),
      soError.length,
    );
    assert.equal(readField(soError, addon.layouts.int.fields.value), 0, 'SO_ERROR');

    const peer = {};
    const accepted = sys('accept', addon.accept(listener, peer));
    open.add(accepted);
    const clientName = {};
    sys('getsockname(client)', addon.getsockname(client, clientName));
    assert.deepEqual(peer, clientName, 'accept reports the client as the peer');

    const payload = Buffer.from([0x73, 0x79, 0x73, 0x00, 0xff]);
    assert.equal(sys('send', addon.send(client, payload, 0, payload.length, 0)), payload.length);
    waitFor('accepted readable', accepted, C.POLLIN);
    const received = Buffer.alloc(16);
    assert.equal(sys('recv', addon.recv(accepted, received, 0, received.length, 0)), payload.length);
    assert.deepEqual(received.subarray(0, payload.length), payload);

    for (const fd of [accepted, client, listener]) {
      open.delete(fd);
      assert.equal(addon.close(fd), 0, `close(${fd})`);
    }
  } finally {
    // After a failure, still give back whatever was opened (results ignored: already failing).
    for (const fd of open) addon.close(fd);
  }
});

check("poller: uv_poll_init, start, close on this thread's loop", () => {
  const C = addon.constants;
  const sv = new Int32Array(2);
  assert.equal(addon.socketpair(C.AF_UNIX, C.SOCK_STREAM | C.SOCK_NONBLOCK, 0, sv), 0);
  try {
    const poller = addon.pollerOpen(sv[0], () => {});
    assert.equal(typeof poller, 'object', `pollerOpen returned ${poller}`);
    assert.equal(
      addon.pollerOpen(sv[0], () => {}),
      -C.EEXIST,
      'one handle per fd',
    );
    assert.equal(poller.start(C.POLLIN), 0);
    assert.equal(poller.state, 'active');
    poller.close(); // stops at once; freed in the close callback, a loop turn later
    assert.equal(poller.state, 'closing');
  } finally {
    addon.close(sv[0]);
    addon.close(sv[1]);
  }
});

let passed = 0;
let failed = 0;
try {
  assert.ok(cmakePath, `no cmake-built addon; looked for ${cmakeCandidates.join(', ')}. Run npm run build:cmake.`);
  addon = require(cmakePath);
  for (const { name, fn } of checks) {
    try {
      fn();
      passed++;
      console.log(`ok   ${name}`);
    } catch (error) {
      failed++;
      console.log(`FAIL ${name}\n${error?.stack ?? error}`);
    }
  }
} catch (error) {
  failed++;
  console.log(`FAIL load ${cmakePath ?? 'build-cmake'}\n${error?.stack ?? error}`);
}
console.log(`cmake-js smoke: ${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
