import { useCallback, useEffect, useState } from 'react';
import { api, ApiError, query, type AuditEvent } from './api';
import { explain } from './errors';
import { formatDateTime } from './format';
import { follow, href } from './router';
import { EXCHANGE_ACTION, TRUST_POLICIES_PATH, type TrustPolicy } from './trust-policies';

/** An exchange as the audit trail holds it: the policy, issuer, subject and the claims that matched, or what failed. */
interface ExchangeEvent extends AuditEvent {
  kind: 'event' | 'rollup';
  count: number;
  details: {
    code?: string;
    issuer?: string;
    subject?: string;
    policy?: string;
    policyId?: string;
    matched?: Record<string, string>;
    failedConditions?: Record<string, string[]>;
    matchedPolicies?: string[];
  } | null;
}

const PAGE = 100;

/** The policies an exchange concerned: the one that minted, those whose conditions failed, those that matched. */
function policiesOf(event: ExchangeEvent): string[] {
  const details = event.details ?? {};
  return [...(details.policy ? [details.policy] : []), ...Object.keys(details.failedConditions ?? {}), ...(details.matchedPolicies ?? [])];
}

function PolicyName({ name, id }: { name?: string; id?: string }) {
  if (!name) return <span className="muted">None</span>;
  if (!id) return <>{name}</>;
  const path = `${TRUST_POLICIES_PATH}/${id}`;
  return (
    <a href={href(path)} onClick={follow(path)}>
      {name}
    </a>
  );
}

function Outcome({ event }: { event: ExchangeEvent }) {
  const label = event.outcome === 'success' ? 'Token issued' : 'Refused';
  return (
    <span className={`outcome outcome-${event.outcome}`}>
      {label}
      {event.outcome !== 'success' && event.details?.code && <span className="muted small-text second-line">{event.details.code}</span>}
    </span>
  );
}

function What({ event, policy }: { event: ExchangeEvent; policy?: TrustPolicy }) {
  const details = event.details ?? {};
  const failed = Object.entries(details.failedConditions ?? {}).filter(([name]) => !policy || name === policy.name);
  return (
    <>
      {details.matched && (
        <span>
          Matched{' '}
          {Object.entries(details.matched).map(([claim, value]) => (
            <code key={claim} className="claim">
              {claim}={value}
            </code>
          ))}
        </span>
      )}
      {failed.map(([name, claims]) => (
        <span key={name} className="second-line">
          {policy ? 'Failed' : `${name}: failed`}{' '}
          {claims.map((claim) => (
            <code key={claim} className="claim">
              {claim}
            </code>
          ))}
        </span>
      ))}
      {details.matchedPolicies && !details.matched && (
        <span className="second-line">Policies matched: {details.matchedPolicies.join(', ')}</span>
      )}
      {details.subject && <span className="muted small-text second-line">sub {details.subject}</span>}
    </>
  );
}

/**
 * Each exchange's audit events, newest first: all of them on the list of policies, or those of
 * one policy (the one that minted, or whose conditions failed) on its page. Refusals of one kind
 * after the first in a minute are one roll-up row with its count.
 */
export function ExchangeEvents({ policies, policy }: { policies: TrustPolicy[]; policy?: TrustPolicy }) {
  const [events, setEvents] = useState<ExchangeEvent[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const fetchPage = useCallback(
    async (after: string | null, previous: ExchangeEvent[]) => {
      setBusy(true);
      try {
        const page = await api<{ items: ExchangeEvent[]; nextCursor: string | null }>(
          'GET',
          `/admin/audit-events${query({ action: EXCHANGE_ACTION, limit: PAGE, cursor: after })}`,
        );
        const mine = policy ? page.items.filter((event) => policiesOf(event).includes(policy.name)) : page.items;
        setEvents([...previous, ...mine]);
        setCursor(page.nextCursor);
        setError('');
      } catch (failure) {
        setError(
          failure instanceof ApiError && failure.status === 403
            ? 'Your role may not read the audit trail, so exchanges are not shown here.'
            : explain(failure).message,
        );
      } finally {
        setBusy(false);
      }
    },
    [policy?.name],
  );
  useEffect(() => void fetchPage(null, []), [fetchPage]);

  const idOf = (name: string) => policies.find((entry) => entry.name === name)?.id;
  return (
    <section className="exchanges" aria-labelledby="exchanges-title">
      <div className="section-head">
        <h2 id="exchanges-title">{policy ? 'Exchanges under this policy' : 'Recent exchanges'}</h2>
        <button type="button" className="button small" onClick={() => void fetchPage(null, [])} disabled={busy}>
          Refresh
        </button>
      </div>
      {error && <p className="alert alert-error">{error}</p>}
      {events === null && !error && <p role="status">Loading exchanges…</p>}
      {events?.length === 0 && <p className="empty">{cursor ? 'None among the latest exchanges.' : 'No exchange yet.'}</p>}
      {events && events.length > 0 && (
        <div className="table-wrap">
          <table className="tokens exchange-events">
            <caption className="visually-hidden">{policy ? `Exchanges under ${policy.name}` : 'Recent token exchanges'}</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Outcome</th>
                {!policy && <th scope="col">Policy</th>}
                <th scope="col">Claims</th>
                <th scope="col">From</th>
              </tr>
            </thead>
            <tbody>
              {events.map((event) => (
                <tr key={event.id}>
                  <td data-label="When" className="nowrap">
                    {formatDateTime(event.occurredAt)}
                    {event.kind === 'rollup' && <span className="muted small-text second-line">{event.count} times in this minute</span>}
                  </td>
                  <td data-label="Outcome">
                    <Outcome event={event} />
                  </td>
                  {!policy && (
                    <td data-label="Policy">
                      <PolicyName name={event.details?.policy} id={event.details?.policy ? idOf(event.details.policy) : undefined} />
                    </td>
                  )}
                  <td data-label="Claims" className="wrap-anywhere">
                    <What event={event} policy={policy} />
                  </td>
                  <td data-label="From" className="wrap-anywhere">
                    {event.details?.issuer ?? <span className="muted">Unknown issuer</span>}
                    {event.ip && <span className="muted small-text second-line">{event.ip}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {cursor && (
        <div className="actions">
          <button type="button" className="button" onClick={() => void fetchPage(cursor, events ?? [])} disabled={busy}>
            {busy ? 'Loading…' : 'Show older exchanges'}
          </button>
        </div>
      )}
    </section>
  );
}
