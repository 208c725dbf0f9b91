import { useCallback, useEffect, useState } from 'react';
import { api, type Session } from './api';
import { ScopeList } from './TokenList';
import { follow, href } from './router';
import { ExchangeEvents } from './TrustPolicyExchanges';
import { TrustPolicyForm } from './TrustPolicyForm';
import { explainPolicyError, lifetimeLabel, POLICIES, rowsOf, TRUST_POLICIES_PATH, useUsers, type TrustPolicy } from './trust-policies';
import { Alert } from './ui';
import './trust-policies.css';

const MANAGE_USERS = 'MANAGE_USERS';
const POLICY_ID = /^\/admin\/trust-policies\/([0-9a-f-]{36})$/;

/** Whether the signed-in person manages trust policies here (the API asks for the user-management privilege). */
export function managesTrustPolicies(session: Session): boolean {
  return session.tokenExchange && session.user.privileges.includes(MANAGE_USERS);
}

/**
 * CI token exchange's trust policies, for administrators: the list with each policy's recent
 * exchanges (`/admin/trust-policies`), a new one (`/new`) and one policy to edit or delete (`/<id>`).
 */
export function TrustPolicies({ session, path }: { session: Session; path: string }) {
  if (!managesTrustPolicies(session)) {
    return (
      <>
        <h1 tabIndex={-1}>Trust policies</h1>
        <Alert kind="info">
          {session.tokenExchange
            ? `Trust policies are managed by administrators. Your role (${session.user.role}) does not have the privilege to manage users.`
            : 'Token exchange for CI is not turned on in this service, so there are no trust policies to manage.'}
        </Alert>
      </>
    );
  }
  if (path === `${TRUST_POLICIES_PATH}/new`) return <TrustPolicyForm />;
  const id = POLICY_ID.exec(path)?.[1];
  if (id) return <TrustPolicyForm key={id} id={id} />;
  return <PolicyList />;
}

function Conditions({ policy }: { policy: TrustPolicy }) {
  return (
    <ul className="conditions">
      {rowsOf(policy.conditions).map(({ claim, value }) => (
        <li key={`${claim}=${value}`}>
          <code>{claim}</code> = <code>{value}</code>
        </li>
      ))}
    </ul>
  );
}

function PolicyList() {
  const users = useUsers();
  const [policies, setPolicies] = useState<TrustPolicy[] | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(async () => {
    try {
      setPolicies((await api<{ items: TrustPolicy[] }>('GET', POLICIES)).items);
    } catch (failure) {
      setError(explainPolicyError(failure).message);
    }
  }, []);
  useEffect(() => void load(), [load]);
  const ownerOf = (userId: string) => users?.find((user) => user.id === userId)?.email ?? userId;

  return (
    <>
      <div className="page-head">
        <h1 tabIndex={-1}>Trust policies</h1>
        <a className="button primary" href={href(`${TRUST_POLICIES_PATH}/new`)} onClick={follow(`${TRUST_POLICIES_PATH}/new`)}>
          New trust policy
        </a>
      </div>
      <p className="muted">
        A CI job (GitHub Actions, GitLab CI) exchanges its own OIDC ID token at <code>POST /oauth/token</code> for a short-lived token of
        the user a policy names, with the policy&apos;s scopes, when the ID token comes from the policy&apos;s issuer and audience and meets
        every claim condition.
      </p>
      <Alert kind="error">{error}</Alert>
      {policies === null && !error && <p role="status">Loading trust policies…</p>}
      {policies?.length === 0 && <p className="empty">No trust policy yet: no CI job can exchange an ID token here.</p>}
      {policies && policies.length > 0 && (
        <div className="table-wrap">
          <table className="tokens policies">
            <caption className="visually-hidden">Trust policies of token exchange</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Issuer and audience</th>
                <th scope="col">Conditions</th>
                <th scope="col">Tokens for</th>
                <th scope="col">Scopes</th>
                <th scope="col">Lifetime</th>
              </tr>
            </thead>
            <tbody>
              {policies.map((policy) => (
                <tr key={policy.id}>
                  <td data-label="Name">
                    <a
                      className="token-name"
                      href={href(`${TRUST_POLICIES_PATH}/${policy.id}`)}
                      onClick={follow(`${TRUST_POLICIES_PATH}/${policy.id}`)}
                    >
                      {policy.name}
                    </a>
                    {!policy.enabled && <span className="badge badge-revoked">Disabled</span>}
                  </td>
                  <td data-label="Issuer and audience" className="wrap-anywhere">
                    {policy.issuer}
                    <span className="muted small-text second-line">aud {policy.audience}</span>
                  </td>
                  <td data-label="Conditions">
                    <Conditions policy={policy} />
                  </td>
                  <td data-label="Tokens for" className="wrap-anywhere">
                    {ownerOf(policy.userId)}
                  </td>
                  <td data-label="Scopes">
                    <ScopeList scopes={policy.scopes} />
                  </td>
                  <td data-label="Lifetime" className="nowrap">
                    {lifetimeLabel(policy.tokenLifetimeSeconds)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ExchangeEvents policies={policies ?? []} />
    </>
  );
}
