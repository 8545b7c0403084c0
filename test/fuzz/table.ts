// The call table: one row per exported function, method and getter of the library, and the list
// of what the library exports, so a test can prove that no export is missing from the table.
import * as lib from '../../lib/index.js';
import { helperRows } from './rows/helpers.js';
import { interopRows } from './rows/interop.js';
import { pollerRows } from './rows/poller.js';
import { socketRows } from './rows/socket.js';
import { sysRows } from './rows/sys.js';
import type { Row } from './rows/common.js';

export type { Row } from './rows/common.js';

export const rows: readonly Row[] = [...sysRows, ...socketRows, ...pollerRows, ...helperRows, ...interopRows];

/**
 * Exports that are not called, and why: data (not functions), and constructors TypeScript keeps
 * private (the static constructors are the API; `new` from JavaScript is out of contract).
 */
export const NOT_CALLED: Readonly<Record<string, string>> = {
  'sys.layouts': 'data: struct layouts',
  'sys.platform': 'data: a string',
  constants: 'data: the constants object',
  socketOptions: 'data: the option table',
  'new Socket': 'private constructor: Socket.create/createRaw/pair/fromFd are the API',
};

const isClass = (value: unknown): value is new (...args: never[]) => unknown =>
  typeof value === 'function' && /^class\b/.test(Function.prototype.toString.call(value));

/** Every callable the library exports, named as the table names them. */
export function exportedNames(): string[] {
  const names: string[] = [];
  for (const [key, value] of Object.entries(lib)) {
    if (key === 'sys') {
      for (const name of Object.keys(lib.sys)) names.push(`sys.${name}`);
      continue;
    }
    if (!isClass(value)) {
      names.push(key);
      continue;
    }
    names.push(`new ${key}`);
    for (const name of Object.getOwnPropertyNames(value)) {
      if (['length', 'name', 'prototype'].includes(name)) continue;
      if (typeof (value as unknown as Record<string, unknown>)[name] === 'function') names.push(`${key}.${name}`);
    }
    const proto = value.prototype as object;
    for (const name of Reflect.ownKeys(proto)) {
      if (name === 'constructor') continue;
      // Node 20 names its Symbol.dispose 'nodejs.dispose'; the table says [Symbol.dispose].
      const shown =
        name === Symbol.dispose
          ? '[Symbol.dispose]'
          : typeof name === 'symbol'
            ? `[${String(name.description)}]`
            : name;
      names.push(`${key}#${shown}`);
    }
  }
  return names.sort();
}
