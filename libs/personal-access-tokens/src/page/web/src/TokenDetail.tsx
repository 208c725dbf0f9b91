import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, download, query, type AuditEvent, type CreatedToken, type Session, type Token } from './api';
import { useScopeCatalog } from './CreateToken';
import { explain, type FieldErrors } from './errors';
import { describeAction, formatDateTime, fromNow, saveFile } from './format';
import { follow, href, navigate } from './router';
import { Expires, LastUsed } from './TokenList';
import {
  Alert,
  ConfirmDialog,
  defaultExpiration,
  Dialog,
  EntityScopeInputs,
  ExpirationField,
  expirationBody,
  Field,
  groupScopes,
  Progress,
  SecretPanel,
  StatusBadge,
  type Expiration,
} from './ui';

const TOKENS = '/user/me/personal-access-tokens';

type Action = 'revoke' | 'delete' | 'rotate' | 'regenerate' | 'remove-all-scopes' | null;

export function TokenDetail({
  id,
  session,
  revealed,
  onSecret,
}: {
  id: string;
  session: Session;
  revealed: string | null;
  onSecret: (secret: string | null) => void;
}) {
  const [token, setToken] = useState<Token | null>(null);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [action, setAction] = useState<Action>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState('');
  const [expiration, setExpiration] = useState<Expiration>(() => defaultExpiration(session.policy));
  const [activityVersion, setActivityVersion] = useState(0);

  const load = useCallback(async () => {
    try {
      setToken(await api<Token>('GET', `${TOKENS}/${id}`));
    } catch (failure) {
      setError(explain(failure).message);
    }
  }, [id]);
  useEffect(() => void load(), [load]);

  const changed = (next: Token, text: string) => {
    setToken(next);
    setMessage(text);
    setActivityVersion((version) => version + 1);
  };

  const closeDialog = () => {
    setAction(null);
    setDialogError('');
  };

  const run = async () => {
    if (!token || !action) return;
    setBusy(true);
    setDialogError('');
    try {
      if (action === 'revoke') {
        changed(await api<Token>('POST', `${TOKENS}/${id}/revoke`), 'The token was revoked. Anything that uses it is refused from now on.');
      } else if (action === 'delete') {
        await api('DELETE', `${TOKENS}/${id}`);
        navigate('/');
        return;
      } else if (action === 'rotate' || action === 'regenerate') {
        const result =
          action === 'rotate'
            ? await api<CreatedToken>('PATCH', `${TOKENS}/${id}/rotate`, expirationBody(expiration))
            : await api<CreatedToken>('POST', `${TOKENS}/${id}/regenerate`, expirationBody(expiration));
        const { token: secret, ...rest } = result;
        onSecret(secret);
        changed(
          rest,
          action === 'rotate'
            ? 'The token was rotated: the old secret stopped working. Copy the new one below.'
            : 'The token was regenerated with the same name, description and scopes. Copy the new secret below.',
        );
      } else if (action === 'remove-all-scopes') {
        await api('DELETE', `${TOKENS}/${id}/scopes`);
        changed({ ...token, scopes: [] }, 'All scopes were removed: the token can no longer do anything until you add one.');
      }
      closeDialog();
    } catch (failure) {
      setDialogError(explain(failure).message);
    } finally {
      setBusy(false);
    }
  };

  const open = (next: Action) => {
    setExpiration(defaultExpiration(session.policy));
    setDialogError('');
    setAction(next);
  };

  if (!token) {
    return (
      <>
        <Back />
        <h1 tabIndex={-1}>Token</h1>
        {error ? <Alert kind="error">{error}</Alert> : <p role="status">Loading…</p>}
      </>
    );
  }
  const canRotate = token.status === 'active' && token.expiresAt !== null;
  return (
    <>
      <Back />
      <div className="page-head">
        <h1 tabIndex={-1}>
          {token.name} <StatusBadge status={token.status} />
        </h1>
      </div>
      {revealed && <SecretPanel secret={revealed} onDone={() => onSecret(null)} />}
      <Alert kind="success">{message}</Alert>
      <Alert kind="error">{error}</Alert>

      <section className="card status-row" aria-labelledby="status-title">
        <h2 id="status-title" className="visually-hidden">
          Status
        </h2>
        <p className="status-text">
          <StatusSentence token={token} />
        </p>
        <div className="actions">
          {token.status === 'active' && (
            <button type="button" className="button danger" onClick={() => open('revoke')}>
              Revoke
            </button>
          )}
          {token.status === 'active' && (
            <button type="button" className="button" onClick={() => open('rotate')} disabled={!canRotate}>
              Rotate
            </button>
          )}
          {token.status !== 'active' && (
            <button type="button" className="button primary" onClick={() => open('regenerate')}>
              Regenerate
            </button>
          )}
          <button type="button" className="button danger-outline" onClick={() => open('delete')}>
            Delete
          </button>
        </div>
        {token.status === 'active' && !token.expiresAt && (
          <p className="muted small-text">A token without an expiry date cannot be rotated.</p>
        )}
      </section>

      <div className="columns">
        <section className="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <dl className="details">
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
        </section>
        <EditDetails token={token} onSaved={(next) => changed(next, 'Your changes were saved.')} />
      </div>

      <Scopes token={token} onChanged={(next, text) => changed(next, text)} onRemoveAll={() => open('remove-all-scopes')} />
      <Activity tokenId={token.id} version={activityVersion} />

      <ConfirmDialog
        open={action === 'revoke'}
        title={`Revoke "${token.name}"?`}
        body="Every request made with it will be refused from the next one on. You can regenerate it later with a new secret."
        confirmLabel="Revoke token"
        onConfirm={run}
        onClose={closeDialog}
        busy={busy}
        error={dialogError}
      />
      <ConfirmDialog
        open={action === 'delete'}
        title={`Delete "${token.name}"?`}
        body="The token and its settings are removed for good; anything that uses it is refused at once."
        confirmLabel="Delete token"
        onConfirm={run}
        onClose={closeDialog}
        busy={busy}
        error={dialogError}
      />
      <ConfirmDialog
        open={action === 'remove-all-scopes'}
        title="Remove all scopes?"
        body="The token will keep working for nothing at all until you add a scope again."
        confirmLabel="Remove all scopes"
        onConfirm={run}
        onClose={closeDialog}
        busy={busy}
        error={dialogError}
      />
      <Dialog
        title={action === 'rotate' ? `Rotate "${token.name}"` : `Regenerate "${token.name}"`}
        open={action === 'rotate' || action === 'regenerate'}
        onClose={closeDialog}
      >
        <form
          onSubmit={(event) => {
            event.preventDefault();
            void run();
          }}
        >
          <p>
            {action === 'rotate'
              ? 'A new secret replaces the current one, which stops working at once. A token can be rotated once an hour.'
              : 'The token becomes active again with a new secret. It keeps its name, description and scopes.'}
          </p>
          <ExpirationField
            label="New expiration"
            policy={session.policy}
            value={expiration}
            onChange={setExpiration}
            allowNever={action === 'regenerate'}
          />
          <Alert kind="error">{dialogError}</Alert>
          <div className="actions">
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? 'Working…' : action === 'rotate' ? 'Rotate token' : 'Regenerate token'}
            </button>
            <button type="button" className="button" onClick={closeDialog}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </>
  );
}

function Back() {
  return (
    <p className="breadcrumb">
      <a href={href('/')} onClick={follow('/')}>
        ← Your tokens
      </a>
    </p>
  );
}

function StatusSentence({ token }: { token: Token }) {
  if (token.status === 'revoked') return <span>Revoked {token.revokedAt ? formatDateTime(token.revokedAt) : ''}. It no longer works.</span>;
  if (token.status === 'expired') return <span>Expired {token.expiresAt ? formatDateTime(token.expiresAt) : ''}. It no longer works.</span>;
  return (
    <span>
      {token.expiresAt
        ? `Works until ${formatDateTime(token.expiresAt)} (${fromNow(token.expiresAt)}).`
        : 'Works until revoked: it never expires.'}
    </span>
  );
}

function EditDetails({ token, onSaved }: { token: Token; onSaved: (token: Token) => void }) {
  const [name, setName] = useState(token.name);
  const [description, setDescription] = useState(token.description ?? '');
  const [error, setError] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setName(token.name);
    setDescription(token.description ?? '');
  }, [token.name, token.description]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setFields({ name: 'A token needs a name.' });
      return;
    }
    setBusy(true);
    setError('');
    setFields({});
    try {
      onSaved(await api<Token>('PATCH', `${TOKENS}/${token.id}`, { name: name.trim(), description: description.trim() || null }));
    } catch (failure) {
      const explained = explain(failure);
      setError(explained.message);
      setFields(explained.fields);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card" aria-labelledby="edit-title">
      <h2 id="edit-title">Name and description</h2>
      <form onSubmit={submit} noValidate>
        <Alert kind="error">{error}</Alert>
        <Field label="Name" error={fields.name}>
          {(props) => (
            <input {...props} value={name} onChange={(event) => setName(event.target.value)} maxLength={100} autoComplete="off" />
          )}
        </Field>
        <Field label="Description" error={fields.description}>
          {(props) => (
            <textarea {...props} value={description} onChange={(event) => setDescription(event.target.value)} maxLength={500} rows={2} />
          )}
        </Field>
        <p className="muted small-text">The expiry date can never be extended: rotate or regenerate the token instead.</p>
        <button type="submit" className="button" disabled={busy || (name === token.name && description === (token.description ?? ''))}>
          {busy ? 'Saving…' : 'Save changes'}
        </button>
      </form>
    </section>
  );
}

function Scopes({
  token,
  onChanged,
  onRemoveAll,
}: {
  token: Token;
  onChanged: (token: Token, message: string) => void;
  onRemoveAll: () => void;
}) {
  const { catalog } = useScopeCatalog();
  const [adding, setAdding] = useState('');
  const [base, setBase] = useState('');
  const [entity, setEntity] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState('');
  const grantable = catalog ? groupScopes(catalog).flatMap((group) => group.scopes.map((entry) => entry.scope)) : [];
  const available = grantable.filter((scope) => !token.scopes.includes(scope));
  const describe = (scope: string) => catalog?.find((entry) => entry.scope === scope.split(':').slice(0, 2).join(':'))?.description ?? '';
  useEffect(() => {
    if (!available.includes(adding)) setAdding(available[0] ?? '');
    if (!base && grantable[0]) setBase(grantable[0]);
  }, [available, adding, base, grantable]);

  const add = async (scope: string, field: 'scope' | 'entity') => {
    setError('');
    setFields({});
    try {
      const result = await api<{ scopes: string[] }>('POST', `${TOKENS}/${token.id}/scopes`, { scope });
      onChanged({ ...token, scopes: result.scopes }, `Scope ${scope} was added.`);
      setEntity('');
    } catch (failure) {
      const explained = explain(failure);
      if (Object.keys(explained.fields).length) setFields({ [field]: Object.values(explained.fields)[0] });
      else setError(explained.message);
    }
  };
  const remove = async (scope: string) => {
    setError('');
    try {
      await api('DELETE', `${TOKENS}/${token.id}/scopes/${encodeURIComponent(scope)}`);
      onChanged({ ...token, scopes: token.scopes.filter((s) => s !== scope) }, `Scope ${scope} was removed.`);
    } catch (failure) {
      setError(explain(failure).message);
    }
  };
  return (
    <section className="card" aria-labelledby="scopes-title">
      <div className="section-head">
        <h2 id="scopes-title">Scopes</h2>
        <button type="button" className="button small danger-outline" onClick={onRemoveAll} disabled={token.scopes.length === 0}>
          Delete all scopes
        </button>
      </div>
      <Alert kind="error">{error}</Alert>
      {token.scopes.length === 0 ? (
        <p className="muted">This token has no scopes: it can do nothing.</p>
      ) : (
        <table className="scopes-table">
          <caption className="visually-hidden">Scopes of this token</caption>
          <thead>
            <tr>
              <th scope="col">Scope</th>
              <th scope="col">What it allows</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {token.scopes.map((scope) => (
              <tr key={scope}>
                <td>
                  <code>{scope}</code>
                </td>
                <td>
                  {describe(scope)}
                  {scope.split(':').length === 3 && <span className="muted"> (only entity {scope.split(':')[2]})</span>}
                </td>
                <td className="row-actions">
                  <button
                    type="button"
                    className="icon-button danger-text"
                    aria-label={`Remove scope ${scope}`}
                    title={`Remove ${scope}`}
                    onClick={() => remove(scope)}
                  >
                    <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18">
                      <path fill="currentColor" d="M9 3h6l1 2h4v2H4V5h4l1-2zm-3 6h12l-1 12H7L6 9zm4 2v8h2v-8h-2zm4 0v8h2v-8h-2z" />
                    </svg>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="add-scope"
        onSubmit={(event) => {
          event.preventDefault();
          if (adding) void add(adding, 'scope');
        }}
      >
        <Field label="Add a scope" error={fields.scope}>
          {(props) => (
            <select {...props} value={adding} onChange={(event) => setAdding(event.target.value)} disabled={available.length === 0}>
              {available.length === 0 && <option value="">No other scope can be granted</option>}
              {available.map((scope) => (
                <option key={scope} value={scope}>
                  {scope}
                </option>
              ))}
            </select>
          )}
        </Field>
        <button type="submit" className="button" disabled={!adding}>
          Add scope
        </button>
      </form>
      {grantable.length > 0 && (
        <div className="add-entity">
          <p className="hint">Or add a scope for one entity only:</p>
          <EntityScopeInputs
            grantable={grantable}
            base={base}
            setBase={setBase}
            entity={entity}
            setEntity={setEntity}
            error={fields.entity}
            addLabel="Add entity scope"
            onAdd={() => {
              if (!/^[A-Za-z0-9_.-]{1,64}$/.test(entity.trim()))
                setFields({ entity: 'An entity id is 1 to 64 letters, digits, ".", "_" or "-".' });
              else void add(`${base}:${entity.trim()}`, 'entity');
            }}
          />
        </div>
      )}
    </section>
  );
}

/** Runs of the same thing done the same way (a page viewed again and again) shown as one row, newest first. */
function collapse(events: AuditEvent[]): { event: AuditEvent; times: number }[] {
  const rows: { event: AuditEvent; times: number }[] = [];
  const same = (a: AuditEvent, b: AuditEvent) =>
    a.action === b.action &&
    a.tokenId === b.tokenId &&
    a.actorEmail === b.actorEmail &&
    a.authMethod === b.authMethod &&
    a.outcome === b.outcome &&
    a.ip === b.ip;
  for (const event of events) {
    const last = rows[rows.length - 1];
    if (last && same(last.event, event)) last.times++;
    else rows.push({ event, times: 1 });
  }
  return rows;
}

function Activity({ tokenId, version }: { tokenId: string; version: number }) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [exporting, setExporting] = useState<number | null>(null);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const page = await api<{ items: AuditEvent[]; nextCursor: string | null }>(
        'GET',
        `/user/me/audit-events${query({ tokenId, limit: 20, cursor: after })}`,
      );
      setCursor(page.nextCursor);
      return page.items;
    },
    [tokenId],
  );
  useEffect(() => {
    fetchPage(null).then(setEvents, (failure) => setError(explain(failure).message));
  }, [fetchPage, version]);

  const more = async () => {
    try {
      const items = await fetchPage(cursor);
      setEvents((current) => [...(current ?? []), ...items]);
    } catch (failure) {
      setError(explain(failure).message);
    }
  };
  const runExport = async () => {
    setExporting(0);
    try {
      const blob = await download(`/user/me/audit-events${query({ tokenId, format: 'csv' })}`, (lines) =>
        setExporting(Math.max(0, lines - 1)),
      );
      saveFile(blob, `token-activity-${tokenId}.csv`);
    } catch (failure) {
      setError(explain(failure).message);
    } finally {
      setExporting(null);
    }
  };
  return (
    <section className="card" aria-labelledby="activity-title">
      <div className="section-head">
        <h2 id="activity-title">Activity</h2>
        <button type="button" className="button small" onClick={runExport} disabled={exporting !== null}>
          Export activity as CSV
        </button>
      </div>
      <p className="muted small-text">What was done with this token and to it, from the audit trail, newest first.</p>
      {exporting !== null && <Progress label={`Exporting activity: ${exporting} events so far`} />}
      <Alert kind="error">{error}</Alert>
      {events === null ? (
        <p role="status">Loading activity…</p>
      ) : events.length === 0 ? (
        <p className="muted">No activity yet.</p>
      ) : (
        <table className="activity">
          <caption className="visually-hidden">Activity of this token</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Outcome</th>
              <th scope="col">By</th>
              <th scope="col">IP</th>
            </tr>
          </thead>
          <tbody>
            {collapse(events).map(({ event, times }) => (
              <tr key={event.id}>
                <td className="nowrap">{formatDateTime(event.occurredAt)}</td>
                <td>
                  {describeAction(event.action)}
                  {times > 1 && <span className="muted small-text"> ({times} times)</span>}
                </td>
                <td>
                  <span className={`outcome outcome-${event.outcome}`}>
                    {event.outcome}
                    {event.statusCode ? ` (${event.statusCode})` : ''}
                  </span>
                </td>
                <td>
                  {event.actorEmail ?? 'System'}
                  <span className="muted small-text">
                    {' '}
                    ·{' '}
                    {event.authMethod === 'personal_access_token'
                      ? event.tokenId === tokenId
                        ? 'with this token'
                        : `with token ${event.tokenName ?? ''}`
                      : event.authMethod === 'session'
                        ? 'signed in'
                        : event.authMethod === 'system'
                          ? 'automatically'
                          : 'unauthenticated'}
                  </span>
                </td>
                <td>{event.ip ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {cursor && (
        <button type="button" className="button small" onClick={more}>
          Show older activity
        </button>
      )}
    </section>
  );
}
