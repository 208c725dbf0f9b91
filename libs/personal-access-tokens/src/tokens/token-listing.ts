import { Brackets, In, Repository, SelectQueryBuilder } from 'typeorm';
import { Page } from '../core/pagination.dto';
import { TokenResponseDto } from './dto/token.dto';
import { PersonalAccessTokenScope } from './personal-access-token-scope.entity';
import { effectiveStatus, PersonalAccessToken, TokenStatus } from './personal-access-token.entity';
import type { TokenRow } from './verified-rows';

/* Query and presentation pieces shared by the owner's and the administrator's token lists. */

type TokenQuery = SelectQueryBuilder<PersonalAccessToken>;

/** Active and not yet past its expiry (the stored status lags the clock). */
export function whereLive(builder: TokenQuery, now: Date): TokenQuery {
  return builder
    .andWhere("t.status = 'active'")
    .andWhere(new Brackets((b) => b.where('t.expiresAt IS NULL').orWhere('t.expiresAt > :now', { now })));
}

/**
 * Filters on the status a caller sees: past its expiry is `expired` even before the job ran;
 * `suspended` is a live token with `suspendedAt` set.
 */
export function whereEffectiveStatus(builder: TokenQuery, status: TokenStatus | undefined, now: Date): TokenQuery {
  if (status === 'active') return whereLive(builder, now).andWhere('t.suspendedAt IS NULL');
  if (status === 'suspended') return whereLive(builder, now).andWhere('t.suspendedAt IS NOT NULL');
  if (status === 'expired') {
    return builder.andWhere(
      new Brackets((b) => b.where("t.status = 'expired'").orWhere("(t.status = 'active' AND t.expiresAt <= :now)", { now })),
    );
  }
  if (status === 'revoked') return builder.andWhere("t.status = 'revoked'");
  return builder;
}

export function whereNameContains(builder: TokenQuery, search: string | undefined): TokenQuery {
  if (!search) return builder;
  // '!' as the LIKE escape: a backslash means different things to MySQL and SQLite.
  return builder.andWhere("t.name LIKE :search ESCAPE '!'", { search: `%${search.replace(/[!%_]/g, (c) => '!' + c)}%` });
}

export async function scopesByToken(scopes: Repository<PersonalAccessTokenScope>, tokenIds: string[]): Promise<Map<string, string[]>> {
  const byToken = new Map<string, string[]>();
  if (tokenIds.length === 0) return byToken;
  const rows = await scopes.find({ where: { tokenId: In(tokenIds) }, order: { scope: 'ASC' } });
  for (const row of rows) byToken.set(row.tokenId, [...(byToken.get(row.tokenId) ?? []), row.scope]);
  return byToken;
}

/** The metadata a client sees: never the digest. */
export function toTokenResponse(token: TokenRow, scopes: readonly string[], now: Date): TokenResponseDto {
  return {
    id: token.id,
    userId: token.userId,
    name: token.name,
    description: token.description,
    scopes: [...scopes].sort(),
    status: effectiveStatus(token, now),
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    lastUsedIp: token.lastUsedIp,
    lastUsedUserAgent: token.lastUsedUserAgent ?? null,
    revokedAt: token.revokedAt,
    rotatedAt: token.rotatedAt,
    allowedIps: token.allowedIps ?? null,
    suspendedAt: token.suspendedAt ?? null,
    suspendedBy: token.suspendedAt ? (token.suspendedBy ?? null) : null,
  };
}

/** One page of an ordered token query, with each token's scopes (one more query for the page). */
export async function tokenPage(
  builder: TokenQuery,
  scopes: Repository<PersonalAccessTokenScope>,
  { page, pageSize }: { page: number; pageSize: number },
  now: Date,
): Promise<Page<TokenResponseDto>> {
  const [rows, total] = await builder
    .skip((page - 1) * pageSize)
    .take(pageSize)
    .getManyAndCount();
  const byToken = await scopesByToken(
    scopes,
    rows.map((t) => t.id),
  );
  return { items: rows.map((t) => toTokenResponse(t, byToken.get(t.id) ?? [], now)), total, page, pageSize };
}
