import type { ReactNode } from 'react';
import { api, query, type Page, type Token } from './api';
import { expiresSoon, formatDate, formatDateTime, formatTime, fromNow, saveFile } from './format';
import { tokenCsvRow, tokensCsvHeader } from './tokens-csv';
import { ExpiresSoonBadge, Progress, StatusBadge } from './ui';

/* The parts of a list of tokens that "Your tokens" and the administrators' list share. */

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
  const soon = expiresSoon(token) && <ExpiresSoonBadge />;
  if (compact)
    return (
      <>
        <When value={token.expiresAt} extra={token.status === 'active' ? fromNow(token.expiresAt) : null} />
        {soon}
      </>
    );
  return (
    <span>
      <span className="nowrap">{formatDateTime(token.expiresAt)}</span> {soon}
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
  const rows = [tokensCsvHeader(owner !== undefined)];
  let page = 1;
  let total = 0;
  do {
    const result = await api<Page<Token>>('GET', `${path}${query({ ...params, page, pageSize: 100 })}`);
    total = result.total;
    for (const t of result.items) rows.push(tokenCsvRow(t, owner));
    onProgress(rows.length - 1, total);
    if (result.items.length === 0) break;
    page++;
  } while (rows.length - 1 < total);
  saveFile(new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }), 'personal-access-tokens.csv');
}

/** The cells every token list shows, in this order: status, scopes, created, expires, last used. */
export function TokenCells({ token }: { token: Token }) {
  return (
    <>
      <td data-label="Status">
        <StatusBadge status={token.status} />
      </td>
      <td data-label="Scopes">
        <ScopeList scopes={token.scopes} />
      </td>
      <td data-label="Created">
        <When value={token.createdAt} />
      </td>
      <td data-label="Expires">
        <Expires token={token} compact />
      </td>
      <td data-label="Last used">
        <LastUsed token={token} compact />
      </td>
    </>
  );
}

/**
 * One page of a token list: "Loading" until it comes, `empty` when it has no token, else the
 * table (`columns` are its header cells, `row` one token's row) with the pager below it.
 */
export function TokenListTable({
  data,
  caption,
  empty,
  columns,
  row,
  page,
  pageSize,
  onPage,
}: {
  data: Page<Token> | null;
  caption: string;
  empty: ReactNode;
  columns: ReactNode;
  row: (token: Token) => ReactNode;
  page: number;
  pageSize: number;
  onPage: (page: number) => void;
}) {
  if (data === null) return <p role="status">Loading tokens…</p>;
  if (data.total === 0) return empty;
  return (
    <>
      <div className="table-wrap">
        <table className="tokens">
          <caption className="visually-hidden">{caption}</caption>
          <thead>
            <tr>
              {columns}
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>{data.items.map(row)}</tbody>
        </table>
      </div>
      <Pager page={page} pageSize={pageSize} total={data.total} onPage={onPage} />
    </>
  );
}

/** The progress of a CSV export while it runs; nothing otherwise. */
export function ExportProgress({ exporting }: { exporting: { done: number; total: number } | null }) {
  if (!exporting) return null;
  return (
    <Progress
      label={`Exporting tokens: ${exporting.done} of ${exporting.total}`}
      value={exporting.done}
      max={Math.max(1, exporting.total)}
    />
  );
}
