import { useEffect, useState } from 'react';
import { api, ApiError, type ApprovalRequest, type Token } from './api';
import { formatDateTime } from './format';
import { useScopeCatalog } from './scope-catalog';

const TOKENS = '/user/me/personal-access-tokens';

/**
 * Where a token that asked for a scope needing approval stands: waiting (until when), approved,
 * denied (and why) or expired. Nothing for a token that needed no approval.
 */
export function TokenApprovalNote({ token }: { token: Token }) {
  const [request, setRequest] = useState<ApprovalRequest | null>(null);
  const { catalog } = useScopeCatalog();
  // Only a token holding a scope that needs approval has a request: no lookup (and no 404 in its activity) for the others.
  const sensitive =
    catalog?.some(
      (entry) => entry.requiresApproval && token.scopes.some((scope) => scope === entry.scope || scope.startsWith(`${entry.scope}:`)),
    ) ?? false;
  useEffect(() => {
    if (!sensitive) return;
    let current = true;
    api<ApprovalRequest>('GET', `${TOKENS}/${token.id}/approval`).then(
      (found) => current && setRequest(found),
      (failure: unknown) => {
        if (current && failure instanceof ApiError && failure.status === 404) setRequest(null);
      },
    );
    return () => {
      current = false;
    };
  }, [token.id, token.status, sensitive]);
  if (!request) return null;
  const scopes = request.sensitiveScopes.join(', ');
  return (
    <section className="card" aria-labelledby="approval-title" data-testid="approval-note">
      <h2 id="approval-title">Approval</h2>
      {request.status === 'pending' && (
        <p>
          <strong>Waiting for an administrator.</strong> {scopes} {request.sensitiveScopes.length === 1 ? 'needs' : 'need'} approval; until
          then the token is refused. Requested {formatDateTime(request.requestedAt)}; if nobody decides by{' '}
          {formatDateTime(request.expiresAt)}, the token is revoked.
        </p>
      )}
      {request.status === 'approved' && (
        <p>
          Approved {formatDateTime(request.decidedAt)}
          {request.reason ? `: "${request.reason}"` : '.'}
        </p>
      )}
      {request.status === 'denied' && (
        <p>
          <strong>Denied</strong> {formatDateTime(request.decidedAt)}: &ldquo;{request.reason}&rdquo;. The token was revoked.
        </p>
      )}
      {request.status === 'expired' && <p>Nobody decided in time ({formatDateTime(request.expiresAt)}): the token was revoked.</p>}
    </section>
  );
}
