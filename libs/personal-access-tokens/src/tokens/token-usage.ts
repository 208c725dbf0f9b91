import { EntityManager, In } from 'typeorm';
import { TokenAddressDto } from './dto/token.dto';
import { TokenAddress } from './token-address.entity';

/** Distinct addresses kept per token (GitLab shows the last five). */
export const RECENT_ADDRESSES_PER_TOKEN = 5;
const MAX_USER_AGENT_LENGTH = 255;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/g;

/**
 * A user agent as it is stored: control characters replaced, at most 255 characters, and anything
 * that looks like a secret of this library (a client may put one anywhere) masked.
 */
export function storedUserAgent(value: unknown, secretPrefixes: readonly string[]): string | null {
  if (typeof value !== 'string' || value === '') return null;
  let text = value.replace(CONTROL_CHARACTERS, ' ');
  for (const prefix of secretPrefixes) text = text.replace(new RegExp(`${prefix}[A-Za-z0-9]{8,}`, 'g'), '[redacted]');
  return text.slice(0, MAX_USER_AGENT_LENGTH);
}

/** An address seen in use, not yet written. */
export interface SeenAddress {
  ip: string;
  firstSeenAt: Date;
  lastSeenAt: Date;
}

/**
 * Uses from these addresses: each address's row is created (first seen) or moved on (last seen),
 * and the token keeps only its `RECENT_ADDRESSES_PER_TOKEN` most recently seen addresses. Portable
 * upsert (`ON DUPLICATE KEY UPDATE` / `ON CONFLICT DO UPDATE`); on a Galera cluster two nodes
 * writing one row conflict at commit and the unit of work retries the loser.
 */
export async function recordAddresses(manager: EntityManager, tokenId: string, addresses: readonly SeenAddress[]): Promise<void> {
  if (addresses.length === 0) return;
  await manager
    .createQueryBuilder()
    .insert()
    .into(TokenAddress)
    .values(addresses.map(({ ip, firstSeenAt, lastSeenAt }) => ({ tokenId, ip, firstSeenAt, lastSeenAt })))
    .orUpdate(['last_seen_at'], ['token_id', 'ip'])
    .execute();
  const rows = await manager.find(TokenAddress, {
    where: { tokenId },
    order: { lastSeenAt: 'DESC', ip: 'ASC' },
    select: { ip: true, tokenId: true, lastSeenAt: true },
  });
  const stale = rows.slice(RECENT_ADDRESSES_PER_TOKEN).map((row) => row.ip);
  if (stale.length) await manager.delete(TokenAddress, { tokenId, ip: In(stale) });
}

/** The addresses a token was recently used from, most recent first. */
export async function recentAddressesOf(manager: EntityManager, tokenId: string): Promise<TokenAddressDto[]> {
  const rows = await manager.find(TokenAddress, {
    where: { tokenId },
    order: { lastSeenAt: 'DESC', ip: 'ASC' },
    take: RECENT_ADDRESSES_PER_TOKEN,
  });
  return rows.map(({ ip, firstSeenAt, lastSeenAt }) => ({ ip, firstSeenAt, lastSeenAt }));
}
