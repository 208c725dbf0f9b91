import { useCallback, useEffect, useState } from 'react';
import { api, query, type Page, type Session, type Token } from './api';
import { CannotCreate, GENERATE } from './CreateToken';
import { explain } from './errors';
import { follow, href, navigate, useLocation } from './router';
import { ExportProgress, exportTokens, TokenCells, TokenListTable } from './TokenList';
import { Alert, ConfirmDialog } from './ui';

const TOKENS = '/user/me/personal-access-tokens';
type SortField = 'createdAt' | 'expiresAt' | 'lastUsedAt';

/** Column header that sorts the list by it (a button, with aria-sort on the header cell). */
export function SortHeader({
  field,
  label,
  sort,
  order,
  onSort,
}: {
  field: SortField;
  label: string;
  sort: string;
  order: string;
  onSort: (field: SortField, order: 'asc' | 'desc') => void;
}) {
  const active = sort === field;
  const next = active && order === 'desc' ? 'asc' : 'desc';
  return (
    <th scope="col" aria-sort={active ? (order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort" onClick={() => onSort(field, next)}>
        {label}
        <span aria-hidden="true">{active ? (order === 'asc' ? ' ▲' : ' ▼') : ' ↕'}</span>
        <span className="visually-hidden">{active ? `, sorted ${order === 'asc' ? 'oldest' : 'newest'} first` : ''}</span>
      </button>
    </th>
  );
}

export function TokensTable({ session }: { session: Session }) {
  const { params } = useLocation();
  const canCreate = session.user.privileges.includes(GENERATE);
  const status = params.get('status') ?? '';
  const search = params.get('search') ?? '';
  const sort = params.get('sort') ?? 'createdAt';
  const order = params.get('order') ?? 'desc';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const pageSize = [10, 20, 50, 100].includes(Number(params.get('pageSize'))) ? Number(params.get('pageSize')) : 20;

  const [data, setData] = useState<Page<Token> | null>(null);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [searchText, setSearchText] = useState(search);
  const [deleting, setDeleting] = useState<Token | 'all' | null>(null);
  const [busy, setBusy] = useState(false);
  const [dialogError, setDialogError] = useState('');
  const [exporting, setExporting] = useState<{ done: number; total: number } | null>(null);

  const update = (changes: Record<string, string | number | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined || value === '') next.delete(key);
      else next.set(key, String(value));
    }
    navigate('/', next, { replace: true });
  };

  const load = useCallback(async () => {
    try {
      setData(await api<Page<Token>>('GET', `${TOKENS}${query({ status, search, sort, order, page, pageSize })}`));
      setError('');
    } catch (failure) {
      setError(explain(failure).message);
    }
  }, [status, search, sort, order, page, pageSize]);

  useEffect(() => void load(), [load]);
  useEffect(() => setSearchText(search), [search]);

  const confirmDelete = async () => {
    if (!deleting) return;
    setBusy(true);
    setDialogError('');
    try {
      if (deleting === 'all') {
        await api('DELETE', TOKENS);
        setMessage('All your tokens were deleted. Anything that used them is now refused.');
        update({ page: undefined });
      } else {
        await api('DELETE', `${TOKENS}/${deleting.id}`);
        setMessage(`Token "${deleting.name}" was deleted.`);
      }
      setDeleting(null);
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
      await exportTokens(TOKENS, { status, search, sort, order }, (done, total) => setExporting({ done, total }));
      setMessage('The export is ready: personal-access-tokens.csv.');
    } catch (failure) {
      setError(explain(failure).message);
    } finally {
      setExporting(null);
    }
  };

  const filtered = Boolean(status || search);
  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Your personal access tokens</h1>
        {canCreate && (
          <a className="button primary" href={href('/tokens/new')} onClick={follow('/tokens/new')}>
            Create token
          </a>
        )}
      </div>
      <p className="muted">Tokens let scripts, CLIs and CI jobs act as you, with only the permissions you give them.</p>
      {!canCreate && <CannotCreate session={session} />}
      <Alert kind="success">{message}</Alert>
      <Alert kind="error">{error}</Alert>
      <form
        className="toolbar"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          update({ search: searchText.trim(), page: undefined });
        }}
      >
        <div className="field inline">
          <label htmlFor="status-filter">Status</label>
          <select id="status-filter" value={status} onChange={(event) => update({ status: event.target.value, page: undefined })}>
            <option value="">All</option>
            <option value="active">Active</option>
            <option value="suspended">Suspended</option>
            <option value="expired">Expired</option>
            <option value="revoked">Revoked</option>
          </select>
        </div>
        <div className="field inline grow">
          <label htmlFor="token-search">Search by name</label>
          <input
            id="token-search"
            type="search"
            value={searchText}
            onChange={(event) => setSearchText(event.target.value)}
            maxLength={100}
          />
        </div>
        <button type="submit" className="button">
          Search
        </button>
        <div className="field inline">
          <label htmlFor="page-size">Per page</label>
          <select id="page-size" value={pageSize} onChange={(event) => update({ pageSize: event.target.value, page: undefined })}>
            {[10, 20, 50, 100].map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </div>
      </form>
      <TokenListTable
        data={data}
        caption="Your personal access tokens"
        empty={
          <div className="empty">
            <p>{filtered ? 'No token matches these filters.' : 'You have no personal access tokens yet.'}</p>
            {!filtered && canCreate && (
              <a className="button primary" href={href('/tokens/new')} onClick={follow('/tokens/new')}>
                Create your first token
              </a>
            )}
          </div>
        }
        columns={
          <>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">Status</th>
            <th scope="col">Scopes</th>
            <SortHeader
              field="createdAt"
              label="Created"
              sort={sort}
              order={order}
              onSort={(s, o) => update({ sort: s, order: o, page: undefined })}
            />
            <SortHeader
              field="expiresAt"
              label="Expires"
              sort={sort}
              order={order}
              onSort={(s, o) => update({ sort: s, order: o, page: undefined })}
            />
            <SortHeader
              field="lastUsedAt"
              label="Last used"
              sort={sort}
              order={order}
              onSort={(s, o) => update({ sort: s, order: o, page: undefined })}
            />
          </>
        }
        row={(token) => (
          <tr key={token.id}>
            <td data-label="Name">
              <a className="token-name" href={href(`/tokens/${token.id}`)} onClick={follow(`/tokens/${token.id}`)}>
                {token.name}
              </a>
            </td>
            <td className="description" data-label="Description">
              {token.description ?? <span className="muted">—</span>}
            </td>
            <TokenCells token={token} />
            <td className="row-actions">
              <a
                className="button small"
                href={href(`/tokens/${token.id}`)}
                onClick={follow(`/tokens/${token.id}`)}
                aria-label={`View ${token.name}`}
              >
                View
              </a>
              <button
                type="button"
                className="button small danger-outline"
                onClick={() => setDeleting(token)}
                aria-label={`Delete ${token.name}`}
              >
                Delete
              </button>
            </td>
          </tr>
        )}
        page={page}
        pageSize={pageSize}
        onPage={(next) => update({ page: next })}
      />
      <div className="actions bottom">
        <button type="button" className="button" onClick={runExport} disabled={!data?.total || exporting !== null}>
          Export as CSV
        </button>
        <button type="button" className="button danger" onClick={() => setDeleting('all')} disabled={!data?.total || filtered}>
          Delete all tokens
        </button>
        {filtered && data?.total ? <span className="muted small-text">Clear the filters to delete all tokens.</span> : null}
      </div>
      <ExportProgress exporting={exporting} />
      <ConfirmDialog
        open={deleting !== null}
        title={deleting === 'all' ? 'Delete all your tokens?' : `Delete token "${deleting?.name ?? ''}"?`}
        body={
          deleting === 'all'
            ? `All ${data?.total ?? ''} of your tokens will be deleted, and every script or job using them will be refused at once. This cannot be undone.`
            : 'Anything that uses this token will be refused at once. This cannot be undone.'
        }
        confirmLabel={deleting === 'all' ? 'Delete all tokens' : 'Delete token'}
        busy={busy}
        error={dialogError}
        onConfirm={confirmDelete}
        onClose={() => {
          setDeleting(null);
          setDialogError('');
        }}
      />
    </>
  );
}
