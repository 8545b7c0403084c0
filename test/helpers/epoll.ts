// What the kernel says is registered with this process's epoll instances (libuv's, a worker's):
// the "tfd:" lines of /proc/self/fdinfo/<epoll fd>, which name the watched fd and its inode.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Every registration in every epoll instance of this process, as `epoll fd N: <tfd line>`; only
 * those of `fd` with that socket `inode` when `of` is given (a number alone could be recycled).
 */
export function epollRegistrations(of?: { fd: number; inode: number }): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the fd readdir itself used
    }
    if (target !== 'anon_inode:[eventpoll]') continue;
    for (const line of readFileSync(`/proc/self/fdinfo/${name}`, 'utf8').split('\n')) {
      const m = /^tfd:\s*(\d+)\s.*\bino:([0-9a-f]+)/.exec(line);
      if (!m) continue;
      if (of === undefined || (Number(m[1]) === of.fd && parseInt(m[2]!, 16) === of.inode))
        found.push(`epoll fd ${name}: ${line}`);
    }
  }
  return found;
}
