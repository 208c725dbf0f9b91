import { useEffect, useState } from 'react';
import { api, type CreatedToken, type Policy, type Token } from './api';
import { explain } from './errors';
import { expiresSoon, formatDateTime, fromNow } from './format';
import { navigate } from './router';
import { Alert, ConfirmDialog, defaultExpiration, Dialog, ExpirationField, expirationBody, ExpiresSoonBadge, type Expiration } from './ui';

const TOKENS = '/user/me/personal-access-tokens';

type Action = 'revoke' | 'delete' | 'rotate' | 'regenerate' | 'suspend' | null;

/** When the token may be rotated again (null: now), by the policy's interval since its last rotation. */
export function nextRotationAt(token: Token, policy: Policy): Date | null {
  if (!token.rotatedAt) return null;
  const at = new Date(new Date(token.rotatedAt).getTime() + policy.rotationIntervalSeconds * 1000);
  return at.getTime() > Date.now() ? at : null;
}

/** Re-renders when `at` passes, so a button disabled until then comes back on its own. */
function useWhenPassed(at: Date | null): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    if (!at) return;
    const wait = at.getTime() - Date.now();
    // Timers beyond ~24 days overflow; a page open that long is reloaded anyway.
    if (wait > 2 ** 31 - 1) return;
    const timer = setTimeout(() => setTick((tick) => tick + 1), Math.max(0, wait) + 50);
    return () => clearTimeout(timer);
  }, [at?.getTime()]);
}

/**
 * The status line and what can be done from it: Revoke, Rotate (offered only when the policy
 * allows it now, else when it will), Regenerate and Delete; each asks first.
 */
export function TokenStatusActions({
  token,
  policy,
  onChanged,
  onSecret,
}: {
  token: Token;
  policy: Policy;
  onChanged: (token: Token, message: string) => void;
  onSecret: (secret: string) => void;
}) {
  const [action, setAction] = useState<Action>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState('');
  const [resumeError, setResumeError] = useState('');
  const [expiration, setExpiration] = useState<Expiration>(() => defaultExpiration(policy));
  const rotateAfter = nextRotationAt(token, policy);
  useWhenPassed(rotateAfter);

  const open = (next: Action) => {
    setExpiration(defaultExpiration(policy));
    setDialogError('');
    setAction(next);
  };
  const close = () => {
    setAction(null);
    setDialogError('');
  };

  const run = async () => {
    if (!action) return;
    const id = token.id;
    setBusy(true);
    setDialogError('');
    try {
      if (action === 'suspend') {
        onChanged(
          await api<Token>('POST', `${TOKENS}/${id}/suspend`),
          'The token was suspended. Anything that uses it is refused until you resume it.',
        );
      } else if (action === 'revoke') {
        onChanged(
          await api<Token>('POST', `${TOKENS}/${id}/revoke`),
          'The token was revoked. Anything that uses it is refused from now on.',
        );
      } else if (action === 'delete') {
        await api('DELETE', `${TOKENS}/${id}`);
        navigate('/');
        return;
      } else if (action === 'rotate' || action === 'regenerate') {
        const { token: secret, ...rest } =
          action === 'rotate'
            ? await api<CreatedToken>('PATCH', `${TOKENS}/${id}/rotate`, expirationBody(expiration))
            : await api<CreatedToken>('POST', `${TOKENS}/${id}/regenerate`, expirationBody(expiration));
        onSecret(secret);
        // The secret panel says what to do with the new secret; this line stays true once it is gone.
        onChanged(
          rest,
          action === 'rotate'
            ? 'The token was rotated: the old secret stopped working.'
            : 'The token was regenerated with the same name, description and permissions, and a new secret.',
        );
      }
      close();
    } catch (failure) {
      setDialogError(explain(failure).message);
    } finally {
      setBusy(false);
    }
  };

  const active = token.status === 'active';
  const suspended = token.status === 'suspended';
  const resume = async () => {
    setBusy(true);
    try {
      onChanged(await api<Token>('POST', `${TOKENS}/${token.id}/resume`), 'The token was resumed: it works again, with the same expiry.');
    } catch (failure) {
      setResumeError(explain(failure).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <section className="card status-row" aria-labelledby="status-title">
        <h2 id="status-title" className="visually-hidden">
          Status
        </h2>
        <p className="status-text">
          <StatusSentence token={token} />
        </p>
        <div className="actions">
          {(active || suspended) && (
            <button type="button" className="button danger" onClick={() => open('revoke')}>
              Revoke
            </button>
          )}
          {active && (
            <button type="button" className="button" onClick={() => open('suspend')}>
              Suspend
            </button>
          )}
          {suspended && token.suspendedBy === token.userId && (
            <button type="button" className="button primary" onClick={() => void resume()} disabled={busy}>
              Resume
            </button>
          )}
          {active && token.expiresAt && !rotateAfter && (
            <button type="button" className="button" onClick={() => open('rotate')}>
              Rotate
            </button>
          )}
          {!active && !suspended && (
            <button type="button" className="button primary" onClick={() => open('regenerate')}>
              Regenerate
            </button>
          )}
          <button type="button" className="button danger-outline" onClick={() => open('delete')}>
            Delete
          </button>
        </div>
        <Alert kind="error">{resumeError}</Alert>
        {active && !token.expiresAt && <p className="muted small-text">A token without an expiry date cannot be rotated.</p>}
        {active && token.expiresAt && rotateAfter && (
          <p className="muted small-text" data-testid="rotation-state">
            Rotated {formatDateTime(token.rotatedAt)}. A token can be rotated once every {Math.round(policy.rotationIntervalSeconds / 60)}{' '}
            minutes: you can rotate it again after {formatDateTime(rotateAfter)}.
          </p>
        )}
      </section>

      <ConfirmDialog
        open={action === 'revoke'}
        title={`Revoke "${token.name}"?`}
        body="Every request made with it will be refused from the next one on. You can regenerate it later with a new secret."
        confirmLabel="Revoke token"
        onConfirm={run}
        onClose={close}
        busy={busy}
        error={dialogError}
      />
      <ConfirmDialog
        open={action === 'suspend'}
        title={`Suspend "${token.name}"?`}
        body="Every request made with it is refused from the next one on, until you resume it. Nothing else changes: resuming keeps its secret and its expiry."
        confirmLabel="Suspend token"
        onConfirm={run}
        onClose={close}
        busy={busy}
        error={dialogError}
      />
      <ConfirmDialog
        open={action === 'delete'}
        title={`Delete "${token.name}"?`}
        body="The token and its settings are removed for good; anything that uses it is refused at once."
        confirmLabel="Delete token"
        onConfirm={run}
        onClose={close}
        busy={busy}
        error={dialogError}
      />
      <Dialog
        title={action === 'rotate' ? `Rotate "${token.name}"` : `Regenerate "${token.name}"`}
        open={action === 'rotate' || action === 'regenerate'}
        onClose={close}
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run();
          }}
        >
          <p>
            {action === 'rotate'
              ? `A new secret replaces the current one, which stops working at once. Afterwards it can be rotated again after ${formatDateTime(new Date(Date.now() + policy.rotationIntervalSeconds * 1000))}.`
              : 'The token becomes active again with a new secret. It keeps its name, description and permissions.'}
          </p>
          <ExpirationField
            label="New expiration"
            policy={policy}
            value={expiration}
            onChange={setExpiration}
            allowNever={action === 'regenerate'}
          />
          <Alert kind="error">{dialogError}</Alert>
          <div className="actions">
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? 'Working…' : action === 'rotate' ? 'Rotate token' : 'Regenerate token'}
            </button>
            <button type="button" className="button" onClick={close}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

function StatusSentence({ token }: { token: Token }) {
  if (token.status === 'revoked') return <span>Revoked {formatDateTime(token.revokedAt)}. It no longer works.</span>;
  if (token.status === 'expired') return <span>Expired {formatDateTime(token.expiresAt)}. It no longer works.</span>;
  if (token.status === 'suspended') {
    const by = token.suspendedBy === token.userId ? '' : ' by an administrator (only an administrator can resume it)';
    return (
      <span>
        Suspended {formatDateTime(token.suspendedAt)}
        {by}. It is refused until resumed{token.expiresAt ? `, and still expires ${formatDateTime(token.expiresAt)}` : ''}.
      </span>
    );
  }
  if (!token.expiresAt) return <span>Works until revoked: it never expires.</span>;
  return (
    <span>
      Works until {formatDateTime(token.expiresAt)} ({fromNow(token.expiresAt)}). {expiresSoon(token) && <ExpiresSoonBadge />}
    </span>
  );
}
