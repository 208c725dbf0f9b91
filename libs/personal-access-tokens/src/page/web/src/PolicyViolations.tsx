import { useCallback, useEffect, useState } from 'react';
import { api, type Page } from './api';
import { explain } from './errors';
import { formatDateTime } from './format';
import { Alert, ConfirmDialog } from './ui';

const REPORT = '/admin/personal-access-token-policy-violations';

interface PolicyViolation {
  tokenId: string;
  tokenName: string;
  userId: string;
  userEmail: string | null;
  status: string;
  createdAt: string;
  expiresAt: string | null;
  violation: 'no_expiry' | 'lifetime_too_long';
  shortenTo: string;
}

interface Report extends Page<PolicyViolation> {
  policy: { maxLifetimeDays: number; allowNoExpiry: boolean };
}

type Action = { kind: 'shorten' | 'revoke'; item: PolicyViolation } | null;

/**
 * Administrators' report of live tokens a tightened policy would not allow (no expiry, or
 * expiring later than a token made now may): shorten each to the policy, or revoke it.
 */
export function PolicyViolations() {
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [action, setAction] = useState<Action>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState('');

  const load = useCallback(async () => {
    try {
      setReport(await api<Report>('GET', `${REPORT}?pageSize=100`));
    } catch (failure) {
      setError(explain(failure).message);
    }
  }, []);
  useEffect(() => void load(), [load]);

  const run = async () => {
    if (!action) return;
    setBusy(true);
    setDialogError('');
    try {
      if (action.kind === 'shorten') {
        await api('POST', `${REPORT}/${action.item.tokenId}/shorten`);
        setMessage(`"${action.item.tokenName}" now expires ${formatDateTime(action.item.shortenTo)}; its owner is told.`);
      } else {
        await api('POST', `/admin/personal-access-tokens/${action.item.tokenId}/revoke`);
        setMessage(`"${action.item.tokenName}" was revoked.`);
      }
      setAction(null);
    } catch (failure) {
      setDialogError(explain(failure).message);
    } finally {
      setBusy(false);
      await load();
    }
  };

  return (
    <>
      <h1 tabIndex={-1}>Tokens that break the policy</h1>
      {report && (
        <p className="muted" data-testid="policy-summary">
          The policy now allows tokens of at most {report.policy.maxLifetimeDays} days
          {report.policy.allowNoExpiry ? '' : ', and every token must expire'}. Tokens made under an earlier policy may not meet it: shorten
          them (never extended) or revoke them.
        </p>
      )}
      <Alert kind="success">{message}</Alert>
      <Alert kind="error">{error}</Alert>
      {report === null && !error && <p role="status">Loading the report…</p>}
      {report && report.items.length === 0 && <p data-testid="no-violations">Every live token meets the policy.</p>}
      {report && report.items.length > 0 && (
        <ul className="request-list" aria-label="Tokens that break the policy">
          {report.items.map((item) => (
            <li key={item.tokenId} className="card" data-testid="policy-violation">
              <h2>{item.tokenName}</h2>
              <dl className="details">
                <dt>Owner</dt>
                <dd>{item.userEmail ?? <code>{item.userId}</code>}</dd>
                <dt>Problem</dt>
                <dd>
                  {item.violation === 'no_expiry'
                    ? 'Never expires'
                    : `Expires ${formatDateTime(item.expiresAt)}, later than ${report.policy.maxLifetimeDays} days from now`}
                </dd>
                <dt>Created</dt>
                <dd>{formatDateTime(item.createdAt)}</dd>
                <dt>Shortened, it expires</dt>
                <dd>{formatDateTime(item.shortenTo)}</dd>
              </dl>
              <div className="actions">
                <button type="button" className="button primary" onClick={() => setAction({ kind: 'shorten', item })}>
                  Shorten to the policy
                </button>
                <button type="button" className="button danger-outline" onClick={() => setAction({ kind: 'revoke', item })}>
                  Revoke
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog
        open={action !== null}
        title={action ? `${action.kind === 'shorten' ? 'Shorten' : 'Revoke'} "${action.item.tokenName}"?` : ''}
        body={
          action?.kind === 'shorten'
            ? `It will expire ${formatDateTime(action.item.shortenTo)} instead. Its owner is told.`
            : 'Every request made with it is refused from the next one on. Its owner is told.'
        }
        confirmLabel={action?.kind === 'shorten' ? 'Shorten token' : 'Revoke token'}
        onConfirm={run}
        onClose={() => setAction(null)}
        busy={busy}
        error={dialogError}
      />
    </>
  );
}
