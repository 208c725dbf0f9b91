import type { Principal } from '../scopes/principal';
import type { PersonalAccessToken } from './personal-access-token.entity';

/** A token's row as a client may see it: everything but the digest. */
export type TokenRow = Omit<PersonalAccessToken, 'digest'>;

const rows = new WeakMap<Principal, TokenRow>();

/**
 * The row a PAT principal was verified from (kept with the verification cache's entry), so that
 * `GET /self` answers from what the request already holds instead of reading it again. Only this
 * library's verifier records one; any other principal gets its row from the database.
 */
export function rememberVerifiedRow(principal: Principal, row: TokenRow): void {
  rows.set(principal, row);
}

export function verifiedRowOf(principal: Principal): TokenRow | undefined {
  return rows.get(principal);
}
