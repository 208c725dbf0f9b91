import { useCallback, useEffect, useState } from 'react';
import { api, query, type Page, type Token } from './api';
import { explain } from './errors';
import { csvField, formatDate, formatDateTime, formatTime, fromNow, saveFile } from './format';
import { follow, href, navigate, useLocation } from './router';
import { Alert, ConfirmDialog, Progress, StatusBadge } from './ui';

const TOKENS = '/user/me/personal-access-tokens';
type SortField = 'createdAt' | 'expiresAt' | 'lastUsedAt';

export function ScopeList({ scopes, max = 3 }: { scopes: string[]; max?: number }) {
  if (scopes.length === 0) return <span className="muted">None</span>;
  const shown = scopes.slice(0, max);
  return (
    <span className="scope-list">
      {shown.map((scope) => (
        <code key={scope} className="scope">
          {scope}
        </code>
      ))}
      {scopes.length > max && <span className="muted"> +{scopes.length - max} more</span>}
    </span>
  );
}

/** A moment in a table cell: the day, then the time and what else is worth knowing on a second line. */
export function When({ value, extra }: { value: string; extra?: string | null }) {
  return (
    <span>
      <span className="nowrap">{formatDate(value)}</span>
      <span className="muted small-text second-line nowrap">
        {formatTime(value)}
        {extra ? ` · ${extra}` : ''}
      </span>
    </span>
  );
}

export function Expires({ token, compact }: { token: Token; compact?: boolean }) {
  if (!token.expiresAt) return <span>Never</span>;
  if (compact) return <When value={token.expiresAt} extra={token.status === 'active' ? fromNow(token.expiresAt) : null} />;
  return (
    <span>
      <span className="nowrap">{formatDateTime(token.expiresAt)}</span>
      {token.status === 'active' && <span className="muted small-text second-line">{fromNow(token.expiresAt)}</span>}
    </span>
  );
}

export function LastUsed({ token, compact }: { token: Pick<Token, 'lastUsedAt' | 'lastUsedIp'>; compact?: boolean }) {
  if (!token.lastUsedAt) return <span className="muted">Never used</span>;
  if (compact) return <When value={token.lastUsedAt} extra={token.lastUsedIp && `from ${token.lastUsedIp}`} />;
  return (
    <span>
      <span className="nowrap">{formatDateTime(token.lastUsedAt)}</span>
      {token.lastUsedIp && <span className="muted small-text second-line">from {token.lastUsedIp}</span>}
    </span>
  );
}

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

export function Pager({
  page,
  pageSize,
  total,
  onPage,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  return (
    <nav className="pager" aria-label="Pages">
      <span>
        {first}–{last} of {total} · Page {page} of {pages}
      </span>
      <button type="button" className="button small" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        Previous page
      </button>
      <button type="button" className="button small" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        Next page
      </button>
    </nav>
  );
}

/** Fetches every page of a token list (100 at a time), reporting progress, into a CSV file. */
export async function exportTokens(
  path: string,
  params: Record<string, string | undefined>,
  onProgress: (done: number, total: number) => void,
  owner?: (token: Token) => string,
): Promise<void> {
  const header = [
    'id',
    ...(owner ? ['owner'] : []),
    'name',
    'description',
    'status',
    'scopes',
    'createdAt',
    'expiresAt',
    'lastUsedAt',
    'lastUsedIp',
  ];
  const rows = [header.join(',')];
  let page = 1;
  let total = 0;
  do {
    const result = await api<Page<Token>>('GET', `${path}${query({ ...params, page, pageSize: 100 })}`);
    total = result.total;
    for (const t of result.items) {
      const fields = [
        t.id,
        ...(owner ? [owner(t)] : []),
        t.name,
        t.description,
        t.status,
        t.scopes.join(' '),
        t.createdAt,
        t.expiresAt,
        t.lastUsedAt,
        t.lastUsedIp,
      ];
      rows.push(fields.map(csvField).join(','));
    }
    onProgress(rows.length - 1, total);
    if (result.items.length === 0) break;
    page++;
  } while (rows.length - 1 < total);
  saveFile(new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }), 'personal-access-tokens.csv');
}

export function TokensTable() {
  const { params } = useLocation();
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
        <a className="button primary" href={href('/tokens/new')} onClick={follow('/tokens/new')}>
          Create token
        </a>
      </div>
      <p className="muted">Tokens let scripts, CLIs and CI jobs act as you, with only the scopes you give them.</p>
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
      {data === null ? (
        <p role="status">Loading tokens…</p>
      ) : data.total === 0 ? (
        <div className="empty">
          <p>{filtered ? 'No token matches these filters.' : 'You have no personal access tokens yet.'}</p>
          {!filtered && (
            <a className="button primary" href={href('/tokens/new')} onClick={follow('/tokens/new')}>
              Create your first token
            </a>
          )}
        </div>
      ) : (
        <>
          <div className="table-wrap">
            <table className="tokens">
              <caption className="visually-hidden">Your personal access tokens</caption>
              <thead>
                <tr>
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
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((token) => (
                  <tr key={token.id}>
                    <td>
                      <a className="token-name" href={href(`/tokens/${token.id}`)} onClick={follow(`/tokens/${token.id}`)}>
                        {token.name}
                      </a>
                    </td>
                    <td className="description">{token.description ?? <span className="muted">—</span>}</td>
                    <td>
                      <StatusBadge status={token.status} />
                    </td>
                    <td>
                      <ScopeList scopes={token.scopes} />
                    </td>
                    <td>
                      <When value={token.createdAt} />
                    </td>
                    <td>
                      <Expires token={token} compact />
                    </td>
                    <td>
                      <LastUsed token={token} compact />
                    </td>
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
                ))}
              </tbody>
            </table>
          </div>
          <Pager page={page} pageSize={pageSize} total={data.total} onPage={(next) => update({ page: next })} />
        </>
      )}
      <div className="actions bottom">
        <button type="button" className="button" onClick={runExport} disabled={!data?.total || exporting !== null}>
          Export as CSV
        </button>
        <button type="button" className="button danger" onClick={() => setDeleting('all')} disabled={!data?.total || filtered}>
          Delete all tokens
        </button>
        {filtered && data?.total ? <span className="muted small-text">Clear the filters to delete all tokens.</span> : null}
      </div>
      {exporting && (
        <Progress
          label={`Exporting tokens: ${exporting.done} of ${exporting.total}`}
          value={exporting.done}
          max={Math.max(1, exporting.total)}
        />
      )}
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
