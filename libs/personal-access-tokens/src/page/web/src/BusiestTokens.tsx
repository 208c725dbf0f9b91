import { useEffect, useState } from 'react';
import { api, query, type Session } from './api';
import { explain } from './errors';
import { formatDateTime } from './format';
import { follow, href, navigate, useLocation } from './router';
import { count, type BusiestToken } from './usage';
import { Alert, StatusBadge } from './ui';
import './usage.css';

const WINDOWS = [
  { key: '24h', label: 'Last 24 hours' },
  { key: '7d', label: 'Last 7 days' },
  { key: '30d', label: 'Last 30 days' },
] as const;

/** The busiest tokens of everyone, for administrators: most requests over a window (in the URL), with owner, refusals and last use. */
export function BusiestTokens({ session }: { session: Session }) {
  const { params } = useLocation();
  const chosen = WINDOWS.find((choice) => choice.key === params.get('window')) ?? WINDOWS[1];
  const [items, setItems] = useState<BusiestToken[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let current = true;
    setItems(null);
    setError('');
    api<{ items: BusiestToken[] }>('GET', `/admin/personal-access-tokens/busiest${query({ window: chosen.key, limit: 20 })}`).then(
      (answer) => current && setItems(answer.items),
      (failure) => current && setError(explain(failure).message),
    );
    return () => {
      current = false;
    };
  }, [chosen.key]);

  const pathOf = (item: BusiestToken) => (item.userId === session.user.id ? `/tokens/${item.tokenId}` : `/admin/tokens/${item.tokenId}`);
  return (
    <>
      <p className="breadcrumb">
        <a href={href('/admin')} onClick={follow('/admin')}>
          ← Everyone&apos;s tokens
        </a>
      </p>
      <div className="page-head">
        <h1 tabIndex={-1}>Busiest tokens</h1>
        <div className="usage-periods" role="group" aria-label="Period">
          {WINDOWS.map((choice) => (
            <button
              key={choice.key}
              type="button"
              className="button small"
              aria-pressed={choice.key === chosen.key}
              onClick={() => navigate('/admin/busiest', new URLSearchParams({ window: choice.key }), { replace: true })}
            >
              {choice.label}
            </button>
          ))}
        </div>
      </div>
      <p className="muted">
        The tokens with the most requests in the {chosen.label.toLowerCase()}, refused ones included, from the audit trail.
      </p>
      <Alert kind="error">{error}</Alert>
      {items === null ? (
        !error && <p role="status">Loading…</p>
      ) : items.length === 0 ? (
        <p>No token was used in the {chosen.label.toLowerCase()}.</p>
      ) : (
        <div className="table-wrap">
          <table className="tokens busiest">
            <caption className="visually-hidden">Busiest tokens in the {chosen.label.toLowerCase()}, most requests first</caption>
            <thead>
              <tr>
                <th scope="col">Token</th>
                <th scope="col">Owner</th>
                <th scope="col" className="number">
                  Requests
                </th>
                <th scope="col" className="number">
                  Denied
                </th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={item.tokenId}>
                  <td data-label="Token">
                    {item.status === null ? (
                      <span className="token-name">
                        {item.tokenName ?? item.tokenId} <span className="muted">(deleted)</span>
                      </span>
                    ) : (
                      <>
                        <a className="token-name" href={href(pathOf(item))} onClick={follow(pathOf(item))}>
                          {item.tokenName}
                        </a>{' '}
                        {item.status !== 'active' && <StatusBadge status={item.status} />}
                      </>
                    )}
                  </td>
                  <td data-label="Owner">{item.ownerEmail ?? item.userId ?? ''}</td>
                  <td data-label="Requests" className="number">
                    {count(item.requests)}
                  </td>
                  <td data-label="Denied" className="number">
                    {count(item.denied)}
                  </td>
                  <td data-label="Last used">{formatDateTime(item.lastUsedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
