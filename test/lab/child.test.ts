// lib/lab/child.ts: the child-process runner shared by E12, E13, E21 and later experiments.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Socket, constants as c, inet } from '../../lib/index.js';
import { startChild } from '../../lib/lab/child.js';
import { Scope } from '../../lib/lab/scope.js';
import { alive } from '../helpers/netns-leftovers.js';

let scope = new Scope();
afterEach(async () => {
  await scope.close();
  scope = new Scope();
});

describe('startChild', () => {
  it('runs the body with the addon, exchanges messages both ways, and returns its result', async () => {
    const child = await startChild(
      scope,
      async (sys, arg: { add: number }, io) => {
        io.post({ pid: process.pid, tid: sys.gettid(), eagain: sys.constants.EAGAIN });
        const m = (await io.next(2000)) as number;
        return m + arg.add;
      },
      { add: 2 },
    );
    const hello = (await child.next(2000)) as { pid: number; tid: number; eagain: number };
    expect(hello.pid).toBe(child.pid);
    expect(hello.tid).toBe(child.pid); // the body runs on the child's main thread
    expect(hello.eagain).toBe(c.EAGAIN);
    child.send(40);
    expect(await child.done).toBe(42);
    expect(await child.waitExit(2000)).toEqual({ code: 0, signal: null });
  });

  it("a body's error rejects done and exits with code 1", async () => {
    const child = await startChild(
      scope,
      () => {
        throw new Error('boom');
      },
      null,
    );
    await expect(child.done).rejects.toThrow(/boom/);
    expect(await child.waitExit(2000)).toEqual({ code: 1, signal: null });
  });

  it('next() is bounded: it rejects after its timeout', async () => {
    const child = await startChild(scope, (_sys, _arg, io) => io.next(5000), null);
    await expect(child.next(50, 'nothing')).rejects.toThrow(/timed out after 50 ms waiting for nothing/);
  });

  it('the scope kills a child that is still running (SIGKILL), even one asleep in a blocking syscall', async () => {
    const child = await startChild(
      scope,
      (sys, _arg, io) => {
        const sv = new Int32Array(2);
        sys.socketpair(sys.constants.AF_UNIX!, sys.constants.SOCK_STREAM!, 0, sv);
        io.post('blocking');
        return sys.recv(sv[0]!, Buffer.alloc(1), 0, 1, 0); // nobody ever writes: blocks for good
      },
      null,
    );
    await child.next(2000);
    expect(alive(child.pid)).toBe(true);
    await scope.close();
    expect(child.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(alive(child.pid)).toBe(false);
  });

  it('runs under a prefix command: prlimit sets RLIMIT_NOFILE for the child, same pid', async () => {
    const child = await startChild(scope, (_sys, _arg, io) => io.next(5000), null, {
      prefix: ['prlimit', '--nofile=50:50', '--'],
    });
    const limits = readFileSync(`/proc/${child.pid}/limits`, 'utf8');
    expect(limits).toMatch(/^Max open files\s+50\s+50\s+files/m);
    child.send('done');
    expect(await child.waitExit(2000)).toEqual({ code: 0, signal: null });
  });

  it('hands over fds: the child uses the same socket as fd 4', async () => {
    const listener = scope.socket(Socket.create(c.AF_INET, c.SOCK_STREAM));
    listener.bind(inet('127.0.0.1', 0));
    listener.listen(4);
    const child = await startChild(
      scope,
      (sys, _arg, io) => {
        const address: { family: number; port?: number } = { family: 0 };
        return { fds: io.fds, rc: sys.getsockname(io.fds[0]!, address), port: address.port };
      },
      null,
      { fds: [listener.fd] },
    );
    const port = (listener.getsockname() as { port: number }).port;
    expect(await child.done).toEqual({ fds: [4], rc: 0, port });
  });

  it('kill() sends a signal and the exit reports it', async () => {
    const child = await startChild(scope, (_sys, _arg, io) => io.next(5000), null);
    expect(child.kill('SIGTERM')).toBe(true);
    expect(await child.waitExit(2000)).toEqual({ code: null, signal: 'SIGTERM' });
    expect(child.kill()).toBe(false); // already gone
  });

  it('a prefix command that does not exist: startChild rejects with ENOENT and the scope still closes', async () => {
    await expect(startChild(scope, () => 1, null, { prefix: ['syssock-no-such-command', '--'] })).rejects.toThrow(
      /ENOENT/,
    );
    await expect(scope.close()).resolves.toBeUndefined();
  });
});
