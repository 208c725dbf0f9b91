import { useCallback, useEffect, useState } from 'react';
import { api, type Session, type Token, type User } from './api';
import { explain } from './errors';
import { PermissionsSummary } from './Permissions';
import { follow, href } from './router';
import { useScopeCatalog } from './scope-catalog';
import { TokenActivity } from './TokenActivity';
import { TokenFacts } from './TokenFacts';
import { WhereUsed } from './TokenAddresses';
import { TokenUsage } from './TokenUsage';
import { Alert, ConfirmDialog, StatusBadge } from './ui';

const ADMIN_TOKENS = '/admin/personal-access-tokens';

/** Someone else's token, for an administrator: who owns it, its details, permissions and activity; revoke it. */
export function AdminTokenDetail({ id, session }: { id: string; session: Session }) {
  const { catalog } = useScopeCatalog();
  const [token, setToken] = useState<Token | null>(null);
  const [owner, setOwner] = useState<User | null>(null);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState('');
  const [activityVersion, setActivityVersion] = useState(0);

  const load = useCallback(async () => {
    try {
      const found = await api<Token>('GET', `${ADMIN_TOKENS}/${id}`);
      setToken(found);
      // Without the user-management privilege (or with a host's own users) the owner's id is shown.
      api<User>('GET', `/admin/users/${found.userId}`).then(setOwner, () => setOwner(null));
    } catch (failure) {
      setError(explain(failure).message);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  const revoke = async () => {
    setBusy(true);
    setDialogError('');
    try {
      setToken(await api<Token>('POST', `${ADMIN_TOKENS}/${id}/revoke`));
      setMessage(`The token was revoked${session.ownersNotified ? '; its owner is notified' : ''}.`);
      setActivityVersion((version) => version + 1);
      setConfirming(false);
    } catch (failure) {
      setDialogError(explain(failure).message);
    } finally {
      setBusy(false);
    }
  };

  /** Suspend or resume at once (no dialog: either is undone by the other). */
  const toggle = async (change: 'suspend' | 'resume') => {
    setBusy(true);
    setError('');
    try {
      const next = await api<Token>('POST', `${ADMIN_TOKENS}/${id}/${change}`);
      setToken((previous) => ({ ...next, recentAddresses: previous?.recentAddresses }));
      setMessage(
        change === 'suspend'
          ? `The token was suspended: it is refused until an administrator resumes it${session.ownersNotified ? '; its owner is notified' : ''}.`
          : 'The token was resumed: it works again, with the same expiry.',
      );
      setActivityVersion((version) => version + 1);
    } catch (failure) {
      setError(explain(failure).message);
    } finally {
      setBusy(false);
    }
  };

  const back = (
    <p className="breadcrumb">
      <a href={href('/admin')} onClick={follow('/admin')}>
        ← Everyone&apos;s tokens
      </a>
    </p>
  );
  if (!token) {
    return (
      <>
        {back}
        <h1 tabIndex={-1}>Token</h1>
        {error ? <Alert kind="error">{error}</Alert> : <p role="status">Loading…</p>}
      </>
    );
  }
  return (
    <>
      {back}
      <div className="page-head">
        <h1 tabIndex={-1}>
          <span className="token-title">{token.name}</span> <StatusBadge status={token.status} />
        </h1>
      </div>
      <Alert kind="success">{message}</Alert>
      <Alert kind="error">{error}</Alert>
      <section className="card status-row" aria-labelledby="status-title">
        <h2 id="status-title" className="visually-hidden">
          Status
        </h2>
        <p className="status-text">
          A token of {owner?.email ?? token.userId}. {token.description}
        </p>
        {token.status !== 'revoked' && (
          <div className="actions">
            <button type="button" className="button danger" onClick={() => setConfirming(true)}>
              Revoke
            </button>
            {token.status === 'active' && (
              <button type="button" className="button" onClick={() => void toggle('suspend')} disabled={busy}>
                Suspend
              </button>
            )}
            {token.status === 'suspended' && (
              <button type="button" className="button primary" onClick={() => void toggle('resume')} disabled={busy}>
                Resume
              </button>
            )}
          </div>
        )}
      </section>
      <div className="columns">
        <section className="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <TokenFacts
            token={token}
            extra={
              <>
                <dt>Owner</dt>
                <dd>{owner ? `${owner.email} (${owner.role})` : token.userId}</dd>
              </>
            }
          />
        </section>
        <section className="card" aria-labelledby="scopes-title">
          <h2 id="scopes-title">Permissions</h2>
          {token.scopes.length === 0 ? (
            <p className="muted">This token has no permissions: it can do nothing.</p>
          ) : (
            <PermissionsSummary catalog={catalog} scopes={token.scopes} />
          )}
        </section>
      </div>
      <WhereUsed token={token} />
      <TokenUsage tokenId={token.id} version={activityVersion} source={ADMIN_TOKENS} />
      <TokenActivity tokenId={token.id} version={activityVersion} source="/admin/audit-events" />
      <ConfirmDialog
        open={confirming}
        title={`Revoke "${token.name}"?`}
        body={`Every request made with this token is refused from the next one on.${session.ownersNotified ? ' Its owner is notified.' : ''}`}
        confirmLabel="Revoke token"
        onConfirm={revoke}
        onClose={() => {
          setConfirming(false);
          setDialogError('');
        }}
        busy={busy}
        error={dialogError}
      />
    </>
  );
}
