import { useEffect, useId, useState } from 'react';
import { api, query } from './api';
import { explain } from './errors';
import { formatDateTime } from './format';
import { bucketName, count, OUTCOMES, PERIODS, total, type Period, type TokenUsage as Usage } from './usage';
import { UsageChart } from './UsageChart';
import { Alert } from './ui';
import './usage.css';

/** "15 requests in the last 24 hours: 12 succeeded, 2 denied, 1 failed. The busiest hour: …" */
function summaryOf(usage: Usage, period: Period): string {
  const { totals } = usage;
  const when = period.label.toLowerCase();
  if (totals.total === 0) return `No requests with this token in the ${when}.`;
  const parts = OUTCOMES.map(({ key, label }) => `${count(totals[key])} ${label.toLowerCase()}`).join(', ');
  const busiest = usage.buckets.reduce((best, bucket) => (total(bucket) > total(best) ? bucket : best));
  const unit = usage.granularity === 'hour' ? 'hour' : 'day';
  return (
    `${count(totals.total)} ${totals.total === 1 ? 'request' : 'requests'} in the ${when}: ${parts}. ` +
    `The busiest ${unit}: ${bucketName(busiest.start, usage.granularity)}${unit === 'day' ? ' (UTC)' : ''}, with ${count(total(busiest))}.`
  );
}

/**
 * A token's usage: requests per hour (last 24 hours, last 7 days) or per day (last 30 days) as a
 * chart by outcome, the same in words and as a table, and the addresses it was used from.
 * `source` is the caller's token route (own or admin); `version` reloads it after a change.
 */
export function TokenUsage({
  tokenId,
  version = 0,
  source = '/user/me/personal-access-tokens',
}: {
  tokenId: string;
  version?: number;
  source?: string;
}) {
  const [period, setPeriod] = useState<Period>(PERIODS[0]);
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState('');
  const summaryId = useId();

  useEffect(() => {
    let current = true;
    setError('');
    api<Usage>('GET', `${source}/${tokenId}/usage${query({ granularity: period.granularity, days: period.days })}`).then(
      (next) => current && setUsage(next),
      (failure) => current && setError(explain(failure).message),
    );
    return () => {
      current = false;
    };
  }, [tokenId, source, period, version]);

  const unit = period.granularity === 'hour' ? 'Hour' : 'Day (UTC)';
  return (
    <section className="card" aria-labelledby="usage-title">
      <div className="section-head">
        <h2 id="usage-title">Usage</h2>
        <div className="usage-periods" role="group" aria-label="Period">
          {PERIODS.map((choice) => (
            <button
              key={choice.key}
              type="button"
              className="button small"
              aria-pressed={choice.key === period.key}
              onClick={() => {
                if (choice.key === period.key) return;
                setUsage(null);
                setPeriod(choice);
              }}
            >
              {choice.label}
            </button>
          ))}
        </div>
      </div>
      <Alert kind="error">{error}</Alert>
      {!usage ? (
        !error && <p role="status">Loading usage…</p>
      ) : (
        <>
          <p id={summaryId} className="usage-summary" aria-live="polite">
            {summaryOf(usage, period)}
          </p>
          <UsageChart buckets={usage.buckets} granularity={usage.granularity} labelledBy={summaryId} />
          {usage.totals.total > 0 && (
            <details className="usage-numbers">
              <summary>Show the numbers</summary>
              <table className="usage-table">
                <caption className="visually-hidden">Requests per {unit.toLowerCase()}, by outcome</caption>
                <thead>
                  <tr>
                    <th scope="col">{unit}</th>
                    {OUTCOMES.map(({ key, label }) => (
                      <th scope="col" key={key} className="number">
                        {label}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {usage.buckets
                    .filter((bucket) => total(bucket) > 0)
                    .map((bucket) => (
                      <tr key={bucket.start}>
                        <td>{bucketName(bucket.start, usage.granularity)}</td>
                        {OUTCOMES.map(({ key }) => (
                          <td key={key} className="number">
                            {count(bucket[key])}
                          </td>
                        ))}
                      </tr>
                    ))}
                </tbody>
              </table>
            </details>
          )}
          <h3 className="usage-addresses-title">Used from</h3>
          {usage.addresses.length === 0 ? (
            <p className="muted">No address in this period.</p>
          ) : (
            <table className="usage-addresses">
              <caption className="visually-hidden">Addresses this token was used from, the latest first</caption>
              <thead>
                <tr>
                  <th scope="col">IP address</th>
                  <th scope="col">Last seen</th>
                  <th scope="col" className="number">
                    Requests
                  </th>
                  <th scope="col" className="number">
                    Denied
                  </th>
                </tr>
              </thead>
              <tbody>
                {usage.addresses.map((address) => (
                  <tr key={address.ip}>
                    <td>{address.ip}</td>
                    <td>{formatDateTime(address.lastSeenAt)}</td>
                    <td className="number">{count(address.requests)}</td>
                    <td className="number">{count(address.denied)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
