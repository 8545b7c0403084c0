/**
 * Loads the compiled addon and describes its shape. Everything else in lib/ goes through the
 * typed wrappers in sys.ts; this file only finds the binary.
 *
 * The addon is found by `bindings` (build/Release, build/Debug, …). `SYSSOCK_ADDON=/path/x.node`
 * loads a specific build instead, e.g. the cmake-js or sanitizer build.
 * @module
 */
import bindings from 'bindings';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `[offset, size, signed]` of one struct member, from offsetof/sizeof at build time. */
export type FieldLayout = readonly [offset: number, size: number, signed: boolean];

/** Byte layout of one C struct, from the headers the addon was built with. */
export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

/** The address object the addon reads and writes (see address.ts for the typed variants). */
export interface RawAddress {
  family: number;
  address?: string;
  port?: number;
  flowinfo?: number;
  scopeId?: number;
  path?: string | Uint8Array;
}

/** Where a native poll handle is in its lifecycle (native/poller.h). */
export type NativePollerState = 'idle' | 'active' | 'closing' | 'closed';

/**
 * One libuv poll handle (uv_poll_t) on one fd, on the loop of the environment that opened it
 * (native/poller.cc). Made by {@link NativeAddon.pollerOpen}; lib/poller.ts drives it.
 */
export interface NativePoller {
  /**
   * uv_poll_start with `events` (POLLIN | POLLOUT | POLLPRI | POLLRDHUP, not 0) → 0, or a negative
   * libuv error: -EBADF once closed, the error status once the handle reported one (it is never
   * re-armed). Starting with the events already armed does nothing.
   */
  start(events: number): number;
  /** uv_poll_stop → 0, or -EBADF once closed. */
  stop(): number;
  /**
   * uv_close: stops the handle at once (the fd leaves epoll before this returns, so the fd may be
   * closed right after); libuv frees the handle in the close callback, a loop turn later.
   * Idempotent.
   */
  close(): void;
  /** uv_ref: an active handle keeps the event loop alive (the default). */
  ref(): void;
  /** uv_unref: the handle no longer keeps the event loop alive. */
  unref(): void;
  /** uv_has_ref. */
  hasRef(): boolean;
  /** The fd it watches. */
  readonly fd: number;
  /** The POLL* events it is started with (0: stopped). */
  readonly events: number;
  /** 'idle' (open, stopped), 'active' (started), 'closing' (uv_close called), 'closed' (freed). */
  readonly state: NativePollerState;
  /** The error status libuv reported (negative), or 0. */
  readonly error: number;
}

/**
 * Called on the loop thread when a poll handle wakes up: `status` is 0 or libuv's negative error
 * (libuv stopped the handle), `revents` libuv's events as POLL* bits (POLLIN, POLLOUT, POLLPRI,
 * POLLRDHUP; POLLERR with an error status). No poll(2) is made for it: lib/poller.ts makes one
 * for the waits that resolve with the kernel's own revents.
 */
export type NativePollCallback = (status: number, revents: number) => void;

/** What the C++ addon exports. Each function returns a result ≥ 0 or -errno. */
export interface NativeAddon {
  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number;
  bind(fd: number, address: RawAddress): number;
  listen(fd: number, backlog: number): number;
  accept(fd: number, peer: RawAddress | null): number;
  accept4(fd: number, peer: RawAddress | null, flags: number): number;
  connect(fd: number, address: RawAddress): number;
  send(fd: number, buffer: ArrayBufferView, offset: number, length: number, flags: number): number;
  recv(fd: number, buffer: ArrayBufferView, offset: number, length: number, flags: number): number;
  writev(fd: number, buffers: readonly ArrayBufferView[]): number;
  writev(fd: number, buffer: ArrayBufferView, segments: Uint32Array): number;
  sendto(
    fd: number,
    buffer: ArrayBufferView,
    offset: number,
    length: number,
    flags: number,
    address: RawAddress | null,
  ): number;
  recvfrom(
    fd: number,
    buffer: ArrayBufferView,
    offset: number,
    length: number,
    flags: number,
    source: RawAddress | null,
  ): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  fcntl(fd: number, cmd: number, arg?: number): number;
  ioctl(fd: number, request: number, value: Int32Array): number;
  getsockopt(fd: number, level: number, optname: number, optval: ArrayBufferView): number;
  setsockopt(fd: number, level: number, optname: number, optval: ArrayBufferView): number;
  getsockname(fd: number, address: RawAddress): number;
  getpeername(fd: number, address: RawAddress): number;
  poll(fds: ArrayBufferView, nfds: number, timeout: number): number;
  gettid(): number;
  signal(signum: number, disposition: 'default' | 'ignore'): number;
  /**
   * uv_poll_init on this environment's loop → a poll handle, or -errno (-EEXIST when this
   * environment already has a live handle for `fd`). uv_poll_init sets O_NONBLOCK on the fd:
   * lib/poller.ts only calls this for fds that are nonblocking already.
   */
  pollerOpen(fd: number, onEvent: NativePollCallback): NativePoller | number;
  /** The poll handles of this environment not yet freed (open or closing). */
  pollerCount(): number;
  /** A Socket of this environment took `fd`: the environment's teardown closes it if still owned. */
  ownFd(fd: number): void;
  /** The Socket gave `fd` up (close, release). */
  disownFd(fd: number): void;
  /** How many fds the Sockets of this environment own. */
  ownedFdCount(): number;
  readonly constants: Readonly<Record<string, number>>;
  readonly errnoNames: Readonly<Record<number, string>>;
  readonly errnoMessages: Readonly<Record<number, string>>;
  readonly layouts: Readonly<Record<string, StructLayout>>;
  readonly platform: 'linux' | 'darwin' | 'other';
}

const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function locate(): string {
  const override = process.env.SYSSOCK_ADDON;
  if (override) return resolve(override);
  // `path: true` makes bindings return the file it would load instead of loading it.
  return bindings({ bindings: 'syssock', module_root: packageRoot, path: true } as never) as unknown as string;
}

/** The file the addon was loaded from (workers and child processes load the same one). */
export const addonPath: string = locate();

/** The loaded addon (one instance per thread: the addon is context-aware). */
export const addon: NativeAddon = createRequire(import.meta.url)(addonPath) as NativeAddon;
