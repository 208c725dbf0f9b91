import type { components, operations } from './openapi.types';

type Schemas = components['schemas'];
type TokenQuery = NonNullable<operations['listPersonalAccessTokens']['parameters']['query']>;
type AuditQuery = NonNullable<operations['listMyAuditEvents']['parameters']['query']>;

/**
 * `list` as the choices of an option, type-checked against the API's own enum: a value the API does
 * not take, or one of its values missing here, is a compile error (so the CLI follows the document).
 */
function choicesOf<Union extends string>() {
  return <const List extends readonly Union[]>(
    list: List & ([Exclude<Union, List[number]>] extends [never] ? unknown : { missing: Exclude<Union, List[number]> }),
  ): List => list;
}

export const EXPIRES_IN = choicesOf<NonNullable<Schemas['CreateTokenDto']['expiresIn']>>()(['1h', '1d', '7d', '30d', '60d', '90d']);
export const TOKEN_STATUSES = choicesOf<Schemas['TokenResponseDto']['status']>()(['active', 'suspended', 'expired', 'revoked']);
export const SORT_ORDERS = choicesOf<NonNullable<TokenQuery['order']>>()(['asc', 'desc']);
export const AUDIT_OUTCOMES = choicesOf<NonNullable<AuditQuery['outcome']>>()(['success', 'denied', 'error']);
export const EXPORT_FORMATS = choicesOf<Exclude<NonNullable<AuditQuery['format']>, 'json'>>()(['csv', 'ndjson']);

/** `--sort` words, for the API's field names. */
export const SORT_FIELDS = { created: 'createdAt', expires: 'expiresAt', 'last-used': 'lastUsedAt' } as const satisfies Record<
  string,
  NonNullable<TokenQuery['sort']>
>;

/** The flag a field of the API's error `details` came from, so errors name what the person typed. */
export const FLAG_OF_FIELD: Record<string, string> = {
  name: '--name',
  description: '--description',
  scopes: '--scope',
  scope: '<scope>',
  expiresIn: '--expires-in',
  expiresAt: '--expires-at',
  status: '--status',
  search: '--search',
  sort: '--sort',
  order: '--order',
  page: '--page',
  pageSize: '--page-size',
  tokenId: '--token',
  action: '--action',
  outcome: '--outcome',
  from: '--from',
  to: '--to',
  cursor: '--cursor',
  limit: '--limit',
};
