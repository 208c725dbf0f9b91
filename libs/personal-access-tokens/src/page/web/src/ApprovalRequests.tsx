import { useCallback, useEffect, useState } from 'react';
import { api, type ApprovalRequest, type Page } from './api';
import { explain } from './errors';
import { formatDateTime, fromNow } from './format';
import { Alert, Dialog, Field } from './ui';

const REQUESTS = '/admin/personal-access-token-requests';

type Decision = { request: ApprovalRequest; kind: 'approve' | 'deny' } | null;

/** Administrators' queue of tokens waiting for approval of a sensitive scope: approve or deny, with a reason. */
export function ApprovalRequests() {
  const [data, setData] = useState<Page<ApprovalRequest> | null>(null);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [decision, setDecision] = useState<Decision>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState('');

  const load = useCallback(async () => {
    try {
      setData(await api<Page<ApprovalRequest>>('GET', `${REQUESTS}?status=pending&pageSize=100`));
    } catch (failure) {
      setError(explain(failure).message);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const open = (request: ApprovalRequest, kind: 'approve' | 'deny') => {
    setReason('');
    setDialogError('');
    setDecision({ request, kind });
  };
  const decide = async () => {
    if (!decision) return;
    setBusy(true);
    setDialogError('');
    try {
      const body = reason.trim() ? { reason: reason.trim() } : {};
      const decided = await api<ApprovalRequest>('POST', `${REQUESTS}/${decision.request.tokenId}/${decision.kind}`, body);
      setMessage(
        decided.status === 'approved'
          ? `"${decided.tokenName}" was approved: it works from now on.`
          : `"${decided.tokenName}" was denied and revoked; its owner is told why.`,
      );
      setDecision(null);
      await load();
    } catch (failure) {
      setDialogError(explain(failure).message);
      await load();
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Requests for approval</h1>
      <p className="muted">Tokens that ask for a scope the catalog marks as needing approval wait here; they are refused until approved.</p>
      <Alert kind="success">{message}</Alert>
      <Alert kind="error">{error}</Alert>
      {data === null && !error && <p role="status">Loading requests…</p>}
      {data && data.items.length === 0 && <p data-testid="no-requests">No token is waiting for approval.</p>}
      {data && data.items.length > 0 && (
        <ul className="request-list" aria-label="Pending requests">
          {data.items.map((request) => (
            <li key={request.tokenId} className="card" data-testid="approval-request">
              <h2>
                {request.tokenName} <span className="badge badge-pending">Pending approval</span>
              </h2>
              <dl className="details">
                <dt>Owner</dt>
                <dd>{request.userEmail ?? <code>{request.userId}</code>}</dd>
                <dt>Needs approval</dt>
                <dd>
                  {request.sensitiveScopes.map((scope) => (
                    <code key={scope}>{scope} </code>
                  ))}
                </dd>
                <dt>All scopes</dt>
                <dd>{request.scopes.join(', ')}</dd>
                <dt>Requested</dt>
                <dd>{formatDateTime(request.requestedAt)}</dd>
                <dt>Expires</dt>
                <dd>
                  {formatDateTime(request.expiresAt)} ({fromNow(request.expiresAt)}), then the token is revoked
                </dd>
              </dl>
              <div className="actions">
                <button type="button" className="button primary" onClick={() => open(request, 'approve')}>
                  Approve
                </button>
                <button type="button" className="button danger-outline" onClick={() => open(request, 'deny')}>
                  Deny
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <Dialog
        title={decision ? `${decision.kind === 'approve' ? 'Approve' : 'Deny'} "${decision.request.tokenName}"?` : ''}
        open={decision !== null}
        onClose={() => setDecision(null)}
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void decide();
          }}
        >
          <p>
            {decision?.kind === 'approve'
              ? 'The token works from now on, with every scope it asked for.'
              : 'The token is revoked. Its owner reads your reason.'}
          </p>
          <Field label={decision?.kind === 'deny' ? 'Reason (required)' : 'Reason (optional)'}>
            {(props) => (
              <textarea
                {...props}
                value={reason}
                maxLength={500}
                rows={3}
                required={decision?.kind === 'deny'}
                onChange={(event) => setReason(event.target.value)}
              />
            )}
          </Field>
          <Alert kind="error">{dialogError}</Alert>
          <div className="actions">
            <button type="submit" className={`button ${decision?.kind === 'deny' ? 'danger' : 'primary'}`} disabled={busy}>
              {busy ? 'Working…' : decision?.kind === 'deny' ? 'Deny and revoke' : 'Approve token'}
            </button>
            <button type="button" className="button" onClick={() => setDecision(null)}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}
