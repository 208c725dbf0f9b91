import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { api, query, type Page, type Session, type Token, type User } from './api';
import { explain } from './errors';
import { follow, href, navigate, useLocation } from './router';
import { ExportProgress, exportTokens, TokenCells, TokenListTable } from './TokenList';
import { SortHeader } from './TokensTable';
import { Alert, ConfirmDialog } from './ui';

const ADMIN_TOKENS = '/admin/personal-access-tokens';

interface Filters {
  userId: string;
  status: string;
  search: string;
  createdAfter: string;
  createdBefore: string;
  lastUsedAfter: string;
  lastUsedBefore: string;
}

const EMPTY: Filters = { userId: '', status: '', search: '', createdAfter: '', createdBefore: '', lastUsedAfter: '', lastUsedBefore: '' };
const FILTER_KEYS = Object.keys(EMPTY) as (keyof Filters)[];

/** The filters as the URL holds them, so that a reload or a shared link shows the same list. */
function filtersOf(params: URLSearchParams): Filters {
  return Object.fromEntries(FILTER_KEYS.map((key) => [key, params.get(key) ?? ''])) as unknown as Filters;
}

/** The token's detail for an administrator: its own page for one's own tokens, else the admin one. */
export function adminTokenPath(token: Token, session: Session): string {
  return token.userId === session.user.id ? `/tokens/${token.id}` : `/admin/tokens/${token.id}`;
}

/** yyyy-mm-dd (the person's day) -> the instant it starts, for the API's date filters. */
function startOf(day: string): string | undefined {
  return day ? new Date(`${day}T00:00:00`).toISOString() : undefined;
}

function apiFilters(filters: Filters): Record<string, string | undefined> {
  return {
    userId: filters.userId || undefined,
    status: filters.status || undefined,
    search: filters.search || undefined,
    createdAfter: startOf(filters.createdAfter),
    createdBefore: startOf(filters.createdBefore),
    lastUsedAfter: startOf(filters.lastUsedAfter),
    lastUsedBefore: startOf(filters.lastUsedBefore),
  };
}

/** Everyone's tokens, for administrators: filter, revoke any, revoke all of one user. */
export function Admin({ session }: { session: Session }) {
  const { params } = useLocation();
  const filters = filtersOf(params);
  const filterKey = FILTER_KEYS.map((key) => filters[key]).join('\n');
  const page = Math.max(1, Number(params.get('page')) || 1);
  const sort = params.get('sort') ?? 'createdAt';
  const order = params.get('order') ?? 'desc';
  const [draft, setDraft] = useState<Filters>(filters);
  useEffect(() => setDraft(filters), [filterKey]);
  const [data, setData] = useState<Page<Token> | null>(null);
  const [users, setUsers] = useState<User[] | null>(null);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [confirm, setConfirm] = useState<{ kind: 'token'; token: Token } | { kind: 'user'; user: User } | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState('');
  const [exporting, setExporting] = useState<{ done: number; total: number } | null>(null);

  useEffect(() => {
    // Owners by email; without the user-management privilege (or with a host's own users) the id is shown.
    api<Page<User>>('GET', '/admin/users?pageSize=100').then(
      (result) => setUsers(result.items),
      () => setUsers([]),
    );
  }, []);

  const update = (changes: Partial<Filters> & { page?: number; sort?: string; order?: string }) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || value === '' || (key === 'page' && value === 1)) next.delete(key);
      else next.set(key, String(value));
    }
    navigate('/admin', next, { replace: true });
  };

  const load = useCallback(async () => {
    try {
      setData(await api<Page<Token>>('GET', `${ADMIN_TOKENS}${query({ ...apiFilters(filters), sort, order, page, pageSize: 20 })}`));
      setError('');
    } catch (failure) {
      setError(explain(failure).message);
    }
    // `filters` is a new object each render; its text is what changes.
  }, [filterKey, sort, order, page]);
  useEffect(() => void load(), [load]);

  const ownerOf = (userId: string) => users?.find((user) => user.id === userId)?.email ?? userId;
  const selectedUser = users?.find((user) => user.id === filters.userId);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    update({ ...draft, search: draft.search.trim(), page: 1 });
  };

  const run = async () => {
    if (!confirm) return;
    setBusy(true);
    setDialogError('');
    try {
      if (confirm.kind === 'token') {
        await api('POST', `${ADMIN_TOKENS}/${confirm.token.id}/revoke`);
        setMessage(
          `Token "${confirm.token.name}" of ${ownerOf(confirm.token.userId)} was revoked${session.ownersNotified ? '; its owner is notified' : ''}.`,
        );
      } else {
        const result = await api<{ revokedTokens: number; endedSessions: number }>(
          'POST',
          `/admin/users/${confirm.user.id}/personal-access-tokens/revoke`,
        );
        setMessage(
          `${confirm.user.email}: ${result.revokedTokens} token${result.revokedTokens === 1 ? '' : 's'} revoked and ${result.endedSessions} session${result.endedSessions === 1 ? '' : 's'} ended.`,
        );
      }
      setConfirm(null);
      await load();
    } catch (failure) {
      setDialogError(explain(failure).message);
    } finally {
      setBusy(false);
    }
  };

  const runExport = async () => {
    setExporting({ done: 0, total: data?.total ?? 0 });
    try {
      await exportTokens(
        ADMIN_TOKENS,
        { ...apiFilters(filters), sort, order },
        (done, total) => setExporting({ done, total }),
        (token) => ownerOf(token.userId),
      );
      setMessage('The export is ready: personal-access-tokens.csv.');
    } catch (failure) {
      setError(explain(failure).message);
    } finally {
      setExporting(null);
    }
  };

  const set = (key: keyof Filters) => (event: { target: { value: string } }) => setDraft({ ...draft, [key]: event.target.value });
  return (
    <>
      <h1 tabIndex={-1}>Everyone's tokens</h1>
      <p className="muted">
        As an administrator ({session.user.email}) you can see every token of the organisation and revoke any of them.{' '}
        <a href={href('/admin/busiest')} onClick={follow('/admin/busiest')}>
          See the busiest tokens
        </a>
      </p>
      <Alert kind="success">{message}</Alert>
      <Alert kind="error">{error}</Alert>
      <form className="card filters" onSubmit={apply} aria-label="Filters">
        <div className="filter-grid">
          <div className="field">
            <label htmlFor="admin-user">Owner</label>
            <select id="admin-user" value={draft.userId} onChange={set('userId')}>
              <option value="">Everyone</option>
              {(users ?? []).map((user) => (
                <option key={user.id} value={user.id}>
                  {user.email}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="admin-status">Status</label>
            <select id="admin-status" value={draft.status} onChange={set('status')}>
              <option value="">All</option>
              <option value="active">Active</option>
              <option value="suspended">Suspended</option>
              <option value="expired">Expired</option>
              <option value="revoked">Revoked</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="admin-search">Token name contains</label>
            <input id="admin-search" type="search" value={draft.search} onChange={set('search')} maxLength={100} />
          </div>
          <div className="field">
            <label htmlFor="created-after">Created on or after</label>
            <input id="created-after" type="date" value={draft.createdAfter} onChange={set('createdAfter')} />
          </div>
          <div className="field">
            <label htmlFor="created-before">Created before</label>
            <input id="created-before" type="date" value={draft.createdBefore} onChange={set('createdBefore')} />
          </div>
          <div className="field">
            <label htmlFor="used-after">Last used on or after</label>
            <input id="used-after" type="date" value={draft.lastUsedAfter} onChange={set('lastUsedAfter')} />
          </div>
          <div className="field">
            <label htmlFor="used-before">Last used before</label>
            <input id="used-before" type="date" value={draft.lastUsedBefore} onChange={set('lastUsedBefore')} />
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="button primary">
            Apply filters
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setDraft(EMPTY);
              navigate('/admin', new URLSearchParams(), { replace: true });
            }}
          >
            Clear filters
          </button>
        </div>
      </form>
      {selectedUser && (
        <div className="card user-actions">
          <p>
            Showing the tokens of <strong>{selectedUser.email}</strong> ({selectedUser.role}).
          </p>
          <button type="button" className="button danger" onClick={() => setConfirm({ kind: 'user', user: selectedUser })}>
            Revoke all tokens of {selectedUser.email}
          </button>
        </div>
      )}
      <TokenListTable
        data={data}
        caption="Everyone's personal access tokens"
        empty={<p className="empty">No token matches these filters.</p>}
        columns={
          <>
            <th scope="col">Owner</th>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Scopes</th>
            <SortHeader
              field="createdAt"
              label="Created"
              sort={sort}
              order={order}
              onSort={(s, o) => update({ sort: s, order: o, page: 1 })}
            />
            <SortHeader
              field="expiresAt"
              label="Expires"
              sort={sort}
              order={order}
              onSort={(s, o) => update({ sort: s, order: o, page: 1 })}
            />
            <SortHeader
              field="lastUsedAt"
              label="Last used"
              sort={sort}
              order={order}
              onSort={(s, o) => update({ sort: s, order: o, page: 1 })}
            />
          </>
        }
        row={(token) => (
          <tr key={token.id}>
            <td data-label="Owner">{ownerOf(token.userId)}</td>
            <td data-label="Name">
              <a className="token-name" href={href(adminTokenPath(token, session))} onClick={follow(adminTokenPath(token, session))}>
                {token.name}
              </a>
              {token.description && <div className="muted small-text">{token.description}</div>}
            </td>
            <TokenCells token={token} />
            <td className="row-actions">
              {token.status !== 'revoked' && (
                <button
                  type="button"
                  className="button small danger-outline"
                  aria-label={`Revoke ${token.name} of ${ownerOf(token.userId)}`}
                  onClick={() => setConfirm({ kind: 'token', token })}
                >
                  Revoke
                </button>
              )}
            </td>
          </tr>
        )}
        page={page}
        pageSize={20}
        onPage={(next) => update({ page: next })}
      />
      <div className="actions bottom">
        <button type="button" className="button" onClick={runExport} disabled={!data?.total || exporting !== null}>
          Export as CSV
        </button>
      </div>
      <ExportProgress exporting={exporting} />
      <ConfirmDialog
        open={confirm !== null}
        title={
          confirm?.kind === 'user'
            ? `Revoke all tokens of ${confirm.user.email}?`
            : `Revoke "${confirm?.kind === 'token' ? confirm.token.name : ''}"?`
        }
        body={
          confirm?.kind === 'user'
            ? 'Every token of this user is revoked and their sign-in sessions end; the account itself stays.'
            : `Every request made with this token is refused from the next one on.${session.ownersNotified ? ' Its owner is notified.' : ''}`
        }
        confirmLabel={confirm?.kind === 'user' ? 'Revoke all' : 'Revoke token'}
        onConfirm={run}
        onClose={() => {
          setConfirm(null);
          setDialogError('');
        }}
        busy={busy}
        error={dialogError}
      />
    </>
  );
}
