import type { ReactNode } from 'react';
import type { Token } from './api';
import { formatDateTime } from './format';
import { Expires, LastUsed } from './TokenList';

/** A token's dates and id, as the detail views show them (`extra` rows first, such as its owner). */
export function TokenFacts({ token, extra }: { token: Token; extra?: ReactNode }) {
  return (
    <dl className="details">
      {extra}
      <dt>Created</dt>
      <dd>{formatDateTime(token.createdAt)}</dd>
      <dt>Expires</dt>
      <dd>
        <Expires token={token} />
      </dd>
      <dt>Last used</dt>
      <dd>
        <LastUsed token={token} />
      </dd>
      {token.rotatedAt && (
        <>
          <dt>Rotated</dt>
          <dd>{formatDateTime(token.rotatedAt)}</dd>
        </>
      )}
      {token.rotationOverlapEndsAt && (
        <>
          <dt>Old secret</dt>
          <dd data-testid="previous-secret">
            Still works until {formatDateTime(token.rotationOverlapEndsAt)}.{' '}
            {token.previousSecretLastUsedAt
              ? `Last used ${formatDateTime(token.previousSecretLastUsedAt)}: something still uses it.`
              : 'Not used since the rotation.'}
          </dd>
        </>
      )}
      {token.revokedAt && (
        <>
          <dt>Revoked</dt>
          <dd>{formatDateTime(token.revokedAt)}</dd>
        </>
      )}
      <dt>Token id</dt>
      <dd>
        <code>{token.id}</code>
      </dd>
    </dl>
  );
}
