import type { Token } from './api.client';
import type { Column, Style } from './table.layout';

/** As many characters of an id as `pat token list` shows; commands take such a prefix too. */
export const SHORT_ID_LENGTH = 8;

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

/** "ci-deploy (3f2a9c1b)" */
export function tokenLabel(token: { id: string; name?: string }): string {
  return token.name === undefined ? token.id : `${token.name} (${shortId(token.id)})`;
}

/** "2026-12-03" (UTC). */
export function day(iso: string): string {
  return iso.slice(0, 10);
}

/** "2026-12-03 11:54 UTC". */
export function minute(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "in 30 days", "3 hours ago". */
export function relative(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const units: Array<[string, number]> = [
    ['day', 86_400],
    ['hour', 3_600],
    ['minute', 60],
  ];
  const [unit, size] = units.find(([, length]) => Math.abs(seconds) >= length) ?? ['second', 1];
  const count = Math.floor(Math.abs(seconds) / size);
  const amount = `${count} ${unit}${count === 1 ? '' : 's'}`;
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`;
}

export function expiry(token: Pick<Token, 'expiresAt'>): string {
  return token.expiresAt ? `${minute(token.expiresAt)} (${relative(token.expiresAt)})` : 'never';
}

const STATUS_STYLES: Record<Token['status'], Style> = { active: 'green', suspended: 'yellow', expired: 'yellow', revoked: 'red' };

/** `pat token list`: the id prefix first (what other commands take), the dates last (dropped first on a narrow terminal). */
export const TOKEN_COLUMNS: Column<Token>[] = [
  { header: 'ID', cell: (token) => shortId(token.id) },
  { header: 'NAME', cell: (token) => token.name, min: 10 },
  { header: 'STATUS', cell: (token) => token.status, style: (token) => STATUS_STYLES[token.status] },
  { header: 'SCOPES', cell: (token) => (token.scopes.length ? token.scopes : '(none)'), min: 12 },
  { header: 'EXPIRES', cell: (token) => (token.expiresAt ? day(token.expiresAt) : 'never'), dropOrder: 2 },
  { header: 'LAST USED', cell: (token) => (token.lastUsedAt ? day(token.lastUsedAt) : 'never'), dropOrder: 1 },
];

/** `pat token show`: every field, in words. */
export function tokenFields(token: Token): Array<[string, string]> {
  const fields: Array<[string, string]> = [
    ['Name', token.name],
    ['ID', token.id],
    ['Status', token.status],
    ['Description', token.description ?? '(none)'],
    ['Scopes', token.scopes.length ? token.scopes.join(', ') : '(none: the token only identifies you)'],
    ['Created', minute(token.createdAt)],
    ['Expires', expiry(token)],
    ['Last used', token.lastUsedAt ? `${minute(token.lastUsedAt)}${token.lastUsedIp ? ` from ${token.lastUsedIp}` : ''}` : 'never'],
  ];
  if (token.rotatedAt) fields.push(['Rotated', minute(token.rotatedAt)]);
  if (token.revokedAt) fields.push(['Revoked', minute(token.revokedAt)]);
  return fields;
}
