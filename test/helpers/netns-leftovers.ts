// What the two-host experiments must leave behind: nothing. A snapshot of the root network
// namespace (ip netns list, the links of `ip -o link`) and of this process's children, to compare
// before and after a run — also after an aborted or killed one.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** The root namespace's named namespaces, its links, and this process's live children. */
export interface Snapshot {
  netns: string[];
  links: string[];
  children: number[];
}

/** The child pids of process `pid` (every thread's children file), zombies included. */
export function childrenOf(pid: number | 'self'): number[] {
  const out: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // The process is gone: it has no children to list.
  }
  return out.sort((a, b) => a - b);
}

/** True while process `pid` exists (a zombie counts: it has not been reaped). */
export function exists(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

/** Takes a snapshot (ip runs in the root namespace: this process's own). */
export function snapshot(): Snapshot {
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 })
    .split('\n')
    .filter(Boolean)
    .sort();
  // "4: eth0: <FLAGS> …": the index and name are what identify a link; state may change.
  const links = execFileSync('ip', ['-o', 'link'], { encoding: 'utf8', timeout: 5000 })
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':').slice(0, 2).join(':'))
    .sort();
  return { netns, links, children: childrenOf('self') };
}

/** True while process `pid` runs: it exists and is not a zombie (which has left its namespaces). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
