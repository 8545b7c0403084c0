/**
 * Recording claims: each says what was expected and keeps what was observed.
 * @module
 */
import { isDeepStrictEqual } from 'node:util';
import type { Claim } from './types.js';

type Observed = Claim['observed'];

/** The claims of one run, in the order they were checked. */
export class Claims {
  readonly #list: Claim[] = [];

  /** A copy of the claims so far. */
  get list(): Claim[] {
    return this.#list.map((c) => ({ ...c }));
  }

  /** Records `claim` as held when `held` is true; `observed` says what was seen. Returns `held`. */
  check(claim: string, held: boolean, observed: Observed): boolean {
    this.#list.push({ claim, held, observed });
    return held;
  }

  /** Records that `observed` equals `expected` (deep, strict). */
  equal(claim: string, observed: Observed, expected: Observed): boolean {
    return this.check(claim, isDeepStrictEqual(observed, expected), observed);
  }
}
