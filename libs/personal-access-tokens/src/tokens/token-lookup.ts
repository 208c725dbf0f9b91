import { EntityManager } from 'typeorm';
import { hydrate, readRows, tableOf } from '../core/raw-entity';
import { PersonalAccessTokenScope } from './personal-access-token-scope.entity';
import { PersonalAccessToken } from './personal-access-token.entity';

/**
 * One token and its scopes in one plain query: verification and `/self` run this per request,
 * so it skips the query builder. `where` and `params` are raw SQL over `t` (the token table).
 */
export async function findTokenWithScopes(
  manager: EntityManager,
  where: string,
  params: unknown[],
  options: { causal?: boolean } = {},
): Promise<{ token: PersonalAccessToken; scopes: string[] } | null> {
  const rows = await readRows(
    manager,
    `SELECT t.*, s.scope AS scope_granted FROM ${tableOf(manager, PersonalAccessToken)} t ` +
      `LEFT JOIN ${tableOf(manager, PersonalAccessTokenScope)} s ON s.token_id = t.id WHERE ${where}`,
    params,
    options,
  );
  if (rows.length === 0) return null;
  const scopes = rows.map((row) => row.scope_granted).filter((scope): scope is string => typeof scope === 'string');
  return { token: hydrate(manager, PersonalAccessToken, rows[0]), scopes: scopes.sort() };
}
