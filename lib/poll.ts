/**
 * poll(2) over several fds with a friendlier shape than the raw struct array.
 * @module
 */
import { argError, check, int32Arg } from './errors.js';
import * as sys from './sys.js';
import { layout, littleEndian, readField, view, writeField } from './struct.js';

/** One entry: the fd and the POLL* events to wait for. */
export interface PollRequest {
  fd: number;
  events: number;
}

/** The events of request `i`: an integer that fits struct pollfd's 16-bit `events`. */
function eventsArg(events: unknown, i: number): number {
  const value = int32Arg(events, `requests[${i}].events`);
  if (value < 0 || value > 0xffff)
    throw argError(
      'ERR_OUT_OF_RANGE',
      `The value of "requests[${i}].events" is out of range. It must be >= 0 and <= 65535. Received ${value}`,
    );
  return value;
}

/**
 * poll(2): waits up to `timeout` ms (-1: forever, 0: just look) for any of the requests and
 * returns each entry's revents (0 for entries that are not ready; all 0 on timeout). Blocks the
 * calling thread. Throws SocketError (e.g. EINTR) on failure, and before the syscall a TypeError
 * or RangeError for requests that are not an Array of `{ fd, events }` with an int32 fd and
 * 16-bit events (which the struct's fields would otherwise truncate silently).
 */
export function poll(requests: readonly PollRequest[], timeout: number): number[] {
  if (!Array.isArray(requests))
    throw argError(
      'ERR_INVALID_ARG_TYPE',
      `The "requests" argument must be an Array of { fd, events }. Received ${typeof requests}`,
    );
  const pollfd = layout('pollfd');
  const f = pollfd.fields;
  const buf = Buffer.alloc(pollfd.size * requests.length);
  const dv = view(buf);
  // A for loop, not forEach: a hole in the array must be refused, not skipped.
  for (let i = 0; i < requests.length; i++) {
    const r: unknown = requests[i];
    if (typeof r !== 'object' || r === null)
      throw argError(
        'ERR_INVALID_ARG_TYPE',
        `The "requests[${i}]" argument must be an object { fd, events }. Received ${r === null ? 'null' : typeof r}`,
      );
    const { fd, events } = r as PollRequest;
    writeField(dv, [i * pollfd.size + f.fd![0], f.fd![1], f.fd![2]], int32Arg(fd, `requests[${i}].fd`));
    writeField(dv, [i * pollfd.size + f.events![0], f.events![1], f.events![2]], eventsArg(events, i));
  }
  check(sys.poll(buf, requests.length, timeout), 'poll');
  return requests.map((_, i) => readField(dv, [i * pollfd.size + f.revents![0], f.revents![1], f.revents![2]]));
}

/** A struct pollfd for {@link pollNow}, laid out from the headers once. */
let scratch: { buf: Buffer; dv: DataView; fd: number; events: number; revents: number } | undefined;

/**
 * poll(2) of one fd with timeout 0 (never blocks): its revents (≥ 0; 0: not ready), or -errno.
 * For the async layer's "look before arming a handle" and its kernel-revents wake-ups; no
 * allocation (one struct pollfd of this module, used synchronously).
 */
export function pollNow(fd: number, events: number): number {
  if (scratch === undefined) {
    const pollfd = layout('pollfd');
    const buf = Buffer.alloc(pollfd.size);
    const f = pollfd.fields;
    scratch = { buf, dv: view(buf), fd: f.fd![0], events: f.events![0], revents: f.revents![0] };
  }
  const { buf, dv } = scratch;
  // struct pollfd { int fd; short events; short revents; }: the sizes are POSIX's, the offsets
  // and the byte order this machine's.
  dv.setInt32(scratch.fd, fd, littleEndian);
  dv.setUint16(scratch.events, events, littleEndian);
  dv.setUint16(scratch.revents, 0, littleEndian);
  const rc = sys.poll(buf, 1, 0);
  return rc < 0 ? rc : dv.getUint16(scratch.revents, littleEndian);
}
