import { useCallback, useEffect, useState } from 'react';
import { api, type Session, type Token } from './api';
import { explain } from './errors';
import { follow, href } from './router';
import { TokenActivity } from './TokenActivity';
import { TokenEditForm } from './TokenEditForm';
import { TokenFacts } from './TokenFacts';
import { TokenScopes } from './TokenScopes';
import { TokenStatusActions } from './TokenStatusActions';
import { WhereUsed } from './TokenAddresses';
import { TokenUsage } from './TokenUsage';
import { Alert, SecretPanel, StatusBadge } from './ui';

const TOKENS = '/user/me/personal-access-tokens';

/**
 * One of your tokens: its secret when just handed out, its status and actions, its details,
 * name and description, permissions and activity. Each section is its own component; this one
 * loads the token and passes each change on to the others (and to the activity, which reloads).
 */
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
    // Actions answer the token without where it was used: keep what was loaded.
    setToken((previous) => ({ ...next, recentAddresses: next.recentAddresses ?? previous?.recentAddresses }));
    setMessage(text);
    setActivityVersion((version) => version + 1);
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
  return (
    <>
      <Back />
      <div className="page-head">
        <h1 tabIndex={-1}>
          <span className="token-title">{token.name}</span> <StatusBadge status={token.status} />
        </h1>
      </div>
      {revealed && <SecretPanel secret={revealed} onDone={() => onSecret(null)} />}
      <Alert kind="success">{message}</Alert>
      <Alert kind="error">{error}</Alert>
      <TokenStatusActions token={token} policy={session.policy} onChanged={changed} onSecret={onSecret} />
      <div className="columns">
        <section className="card" aria-labelledby="details-title">
          <h2 id="details-title">Details</h2>
          <TokenFacts token={token} />
        </section>
        <TokenEditForm token={token} onSaved={(next) => changed(next, 'Your changes were saved.')} />
      </div>
      <WhereUsed token={token} />
      <TokenScopes token={token} onChanged={changed} />
      <TokenUsage tokenId={token.id} version={activityVersion} />
      <TokenActivity tokenId={token.id} version={activityVersion} />
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
