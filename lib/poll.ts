/**
 * poll(2) over several fds with a friendlier shape than the raw struct array.
 * @module
 */
import { check } from './errors.js';
import * as sys from './sys.js';
import { layout, readField, view, writeField } from './struct.js';

/** One entry: the fd and the POLL* events to wait for. */
export interface PollRequest {
  fd: number;
  events: number;
}

/**
 * poll(2): waits up to `timeout` ms (-1: forever, 0: just look) for any of the requests and
 * returns each entry's revents (0 for entries that are not ready; all 0 on timeout). Blocks the
 * calling thread. Throws SocketError (e.g. EINTR) on failure.
 */
export function poll(requests: readonly PollRequest[], timeout: number): number[] {
  const pollfd = layout('pollfd');
  const f = pollfd.fields;
  const buf = Buffer.alloc(pollfd.size * requests.length);
  const dv = view(buf);
  requests.forEach((r, i) => {
    writeField(dv, [i * pollfd.size + f.fd![0], f.fd![1], f.fd![2]], r.fd);
    writeField(dv, [i * pollfd.size + f.events![0], f.events![1], f.events![2]], r.events);
  });
  check(sys.poll(buf, requests.length, timeout), 'poll');
  return requests.map((_, i) => readField(dv, [i * pollfd.size + f.revents![0], f.revents![1], f.revents![2]]));
}
