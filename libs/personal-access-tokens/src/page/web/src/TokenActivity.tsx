import { useCallback, useEffect, useState } from 'react';
import { collapse, countedText } from './activity-rollup';
import { api, download, query, type AuditEvent } from './api';
import { explain } from './errors';
import { describeAction, formatDateTime, saveFile } from './format';
import { Alert, Progress } from './ui';

/**
 * A token's activity from the audit trail (what was done with it and to it), newest first, with
 * older pages on demand and a CSV export; `source` is the caller's audit route (own or admin).
 */
export function TokenActivity({
  tokenId,
  version,
  source = '/user/me/audit-events',
}: {
  tokenId: string;
  version: number;
  source?: string;
}) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [exporting, setExporting] = useState<number | null>(null);

  const fetchPage = useCallback(
    async (after: string | null) => {
      const page = await api<{ items: AuditEvent[]; nextCursor: string | null }>(
        'GET',
        `${source}${query({ tokenId, limit: 20, cursor: after })}`,
      );
      setCursor(page.nextCursor);
      return page.items;
    },
    [tokenId, source],
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
      const blob = await download(`${source}${query({ tokenId, format: 'csv' })}`, (lines) => setExporting(Math.max(0, lines - 1)));
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
        // Focusable: on a phone it scrolls sideways, and a keyboard must be able to scroll it too.
        <table className="activity" tabIndex={0}>
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
            {collapse(events).map(({ event, ...run }) => (
              <tr key={event.id}>
                <td className="nowrap">{formatDateTime(run.first)}</td>
                <td>
                  {describeAction(event.action)}
                  {run.count > 1 && <span className="counted muted small-text second-line">{countedText({ event, ...run })}</span>}
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
