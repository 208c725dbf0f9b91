import { csvField } from '../../../core/csv';
import type { Token } from './api';

/** The header of a token export; `withOwner` adds the owner column (the administrators' list). */
export function tokensCsvHeader(withOwner: boolean): string {
  const columns = [
    'id',
    ...(withOwner ? ['owner'] : []),
    'name',
    'description',
    'status',
    'scopes',
    'createdAt',
    'expiresAt',
    'lastUsedAt',
    'lastUsedIp',
  ];
  return columns.join(',');
}

/** One token as a CSV row, every field quoted and formula-neutralised like the server's audit export. */
export function tokenCsvRow(token: Token, owner?: (token: Token) => string): string {
  const fields = [
    token.id,
    ...(owner ? [owner(token)] : []),
    token.name,
    token.description,
    token.status,
    token.scopes.join(' '),
    token.createdAt,
    token.expiresAt,
    token.lastUsedAt,
    token.lastUsedIp,
  ];
  return fields.map(csvField).join(',');
}
