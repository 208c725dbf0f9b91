import { useEffect, useState, type FormEvent } from 'react';
import { api } from './api';
import { type FieldErrors } from './errors';
import { follow, href, navigate } from './router';
import { useScopeCatalog } from './scope-catalog';
import { ExchangeEvents } from './TrustPolicyExchanges';
import {
  conditionsOf,
  DEFAULT_LIFETIME,
  explainPolicyError,
  lifetimeLabel,
  LIFETIMES,
  POLICIES,
  rowsOf,
  type ConditionRow,
  TRUST_POLICIES_PATH,
  type TrustPolicy,
  useUsers,
} from './trust-policies';
import { Alert, ConfirmDialog, Field, useFocusFirstError } from './ui';

function BackToPolicies() {
  return (
    <p className="breadcrumb">
      <a href={href(TRUST_POLICIES_PATH)} onClick={follow(TRUST_POLICIES_PATH)}>
        ← Trust policies
      </a>
    </p>
  );
}

interface Draft {
  name: string;
  issuer: string;
  audience: string;
  rows: ConditionRow[];
  userId: string;
  scopes: string[];
  tokenLifetimeSeconds: number;
  enabled: boolean;
}

const EMPTY: Draft = {
  name: '',
  issuer: 'https://token.actions.githubusercontent.com',
  audience: '',
  rows: [
    { claim: 'repository', value: '' },
    { claim: 'ref', value: 'refs/heads/main' },
  ],
  userId: '',
  scopes: [],
  tokenLifetimeSeconds: DEFAULT_LIFETIME,
  enabled: true,
};

function draftOf(policy: TrustPolicy): Draft {
  return { ...policy, rows: rowsOf(policy.conditions) };
}

/**
 * A new trust policy, or one to edit (`id`): issuer, audience, claim conditions, whose tokens with
 * which scopes, for how long. The API checks everything and its messages appear beside their
 * fields. Name, issuer and user stay as created (a policy for another issuer or user is another policy).
 */
export function TrustPolicyForm({ id }: { id?: string }) {
  const users = useUsers();
  const { catalog } = useScopeCatalog();
  const { ref, focusFirstError } = useFocusFirstError<HTMLFormElement>();
  const [policy, setPolicy] = useState<TrustPolicy | null>(null);
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [fields, setFields] = useState<FieldErrors>({});
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [deleteError, setDeleteError] = useState('');

  useEffect(() => {
    if (!id) return;
    api<TrustPolicy>('GET', `${POLICIES}/${id}`).then(
      (found) => {
        setPolicy(found);
        setDraft(draftOf(found));
      },
      (failure) => setError(explainPolicyError(failure).message),
    );
  }, [id]);

  const set = <K extends keyof Draft>(key: K, value: Draft[K], field: string = key) => {
    setDraft((current) => ({ ...current, [key]: value }));
    if (fields[field]) setFields(({ [field]: _fixed, ...rest }) => rest);
  };
  const setRow = (index: number, change: Partial<ConditionRow>) =>
    set(
      'rows',
      draft.rows.map((row, at) => (at === index ? { ...row, ...change } : row)),
      'conditions',
    );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setMessage('');
    const common = {
      audience: draft.audience.trim(),
      conditions: conditionsOf(draft.rows),
      scopes: draft.scopes,
      tokenLifetimeSeconds: draft.tokenLifetimeSeconds,
      enabled: draft.enabled,
    };
    try {
      if (policy) {
        const saved = await api<TrustPolicy>('PATCH', `${POLICIES}/${policy.id}`, common);
        setPolicy(saved);
        setDraft(draftOf(saved));
        setMessage(`Trust policy "${saved.name}" was saved.`);
      } else {
        const created = await api<TrustPolicy>('POST', POLICIES, {
          ...common,
          name: draft.name.trim(),
          issuer: draft.issuer.trim(),
          userId: draft.userId,
        });
        navigate(`${TRUST_POLICIES_PATH}/${created.id}`);
        return;
      }
      setFields({});
      setError('');
    } catch (failure) {
      const explained = explainPolicyError(failure);
      setFields(explained.fields);
      setError(explained.message);
      focusFirstError();
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!policy) return;
    setBusy(true);
    try {
      await api('DELETE', `${POLICIES}/${policy.id}`);
      navigate(TRUST_POLICIES_PATH);
    } catch (failure) {
      setDeleteError(explainPolicyError(failure).message);
    } finally {
      setBusy(false);
    }
  };

  if (id && !policy) {
    return (
      <>
        <BackToPolicies />
        <h1 tabIndex={-1}>Trust policy</h1>
        {error ? <Alert kind="error">{error}</Alert> : <p role="status">Loading the trust policy…</p>}
      </>
    );
  }

  // Scopes the catalog knows, and any the policy holds beyond it (one entity's, say).
  const scopeChoices = [...new Set([...(catalog ?? []).map((entry) => entry.scope), ...draft.scopes])];
  const describe = (scope: string) => catalog?.find((entry) => entry.scope === scope)?.description;
  const lifetimes = LIFETIMES.includes(draft.tokenLifetimeSeconds)
    ? LIFETIMES
    : [...LIFETIMES, draft.tokenLifetimeSeconds].sort((a, b) => a - b);
  const owner = users?.find((user) => user.id === draft.userId);

  return (
    <>
      <BackToPolicies />
      <h1 tabIndex={-1}>{policy ? `Trust policy ${policy.name}` : 'New trust policy'}</h1>
      <Alert kind="success">{message}</Alert>
      <form className="card form" onSubmit={submit} ref={ref} noValidate aria-label={policy ? 'Edit trust policy' : 'New trust policy'}>
        <Alert kind="error">{error}</Alert>
        {policy ? (
          <dl className="details policy-facts">
            <dt>Name</dt>
            <dd>{policy.name}</dd>
            <dt>Issuer</dt>
            <dd className="wrap-anywhere">{policy.issuer}</dd>
            <dt>Tokens for</dt>
            <dd>{owner ? `${owner.email} (${owner.role})` : policy.userId}</dd>
          </dl>
        ) : (
          <>
            <Field label="Name" hint="Letters, digits, '.', '_' or '-'; part of the name of every token it issues." error={fields.name}>
              {(props) => (
                <input {...props} value={draft.name} onChange={(e) => set('name', e.target.value)} maxLength={60} autoComplete="off" />
              )}
            </Field>
            <Field
              label="Issuer"
              hint="The iss of the ID tokens, exactly: https://token.actions.githubusercontent.com for GitHub Actions, https://gitlab.com (or your instance) for GitLab CI."
              error={fields.issuer}
            >
              {(props) => (
                <input {...props} type="url" value={draft.issuer} onChange={(e) => set('issuer', e.target.value)} maxLength={255} />
              )}
            </Field>
          </>
        )}
        <Field
          label="Audience"
          hint="The aud the ID tokens must carry: GitHub's getIDToken audience, or GitLab's id_tokens aud. Usually this service's URL."
          error={fields.audience}
        >
          {(props) => <input {...props} value={draft.audience} onChange={(e) => set('audience', e.target.value)} maxLength={255} />}
        </Field>
        <fieldset className={`field${fields.conditions ? ' field-invalid' : ''}`} aria-describedby="conditions-hint">
          <legend>Claim conditions</legend>
          <div className="hint" id="conditions-hint">
            Every claim must have one of its values; * matches any run of characters (refs/tags/v*). Pin the repository (GitHub) or
            project_path (GitLab): the issuer signs tokens for every repository it hosts.
          </div>
          {draft.rows.map((row, index) => (
            <div className="condition-row" key={index}>
              <div className="field">
                <label htmlFor={`claim-${index}`}>Claim</label>
                <input
                  id={`claim-${index}`}
                  value={row.claim}
                  onChange={(e) => setRow(index, { claim: e.target.value })}
                  aria-invalid={fields.conditions ? true : undefined}
                  maxLength={100}
                  autoComplete="off"
                />
              </div>
              <div className="field grow">
                <label htmlFor={`value-${index}`}>Value</label>
                <input
                  id={`value-${index}`}
                  value={row.value}
                  onChange={(e) => setRow(index, { value: e.target.value })}
                  aria-invalid={fields.conditions ? true : undefined}
                  maxLength={255}
                  autoComplete="off"
                />
              </div>
              <button
                type="button"
                className="button small"
                aria-label={`Remove condition ${index + 1}${row.claim ? ` (${row.claim})` : ''}`}
                onClick={() =>
                  set(
                    'rows',
                    draft.rows.filter((_, at) => at !== index),
                    'conditions',
                  )
                }
              >
                Remove
              </button>
            </div>
          ))}
          <button
            type="button"
            className="button small"
            onClick={() => set('rows', [...draft.rows, { claim: '', value: '' }], 'conditions')}
          >
            Add condition
          </button>
          {fields.conditions && <div className="field-error">{fields.conditions}</div>}
        </fieldset>
        {!policy && (
          <Field
            label="Tokens for"
            hint="The user (a service account, say) the tokens belong to; its role must grant the scopes."
            error={fields.userId}
          >
            {(props) =>
              users && users.length > 0 ? (
                <select {...props} value={draft.userId} onChange={(e) => set('userId', e.target.value)}>
                  <option value="">Choose a user…</option>
                  {users
                    .filter((user) => user.active)
                    .map((user) => (
                      <option key={user.id} value={user.id}>
                        {user.email} ({user.role})
                      </option>
                    ))}
                </select>
              ) : (
                <input {...props} value={draft.userId} onChange={(e) => set('userId', e.target.value.trim())} placeholder="User id" />
              )
            }
          </Field>
        )}
        <fieldset className={`field scopes${fields.scopes ? ' field-invalid' : ''}`}>
          <legend>Scopes</legend>
          <div className="hint">What the issued tokens may do. A job may ask for fewer with scope=.</div>
          {catalog === null && <p role="status">Loading scopes…</p>}
          <div className="scope-choices">
            {scopeChoices.map((scope) => (
              <label key={scope} className="check">
                <input
                  type="checkbox"
                  checked={draft.scopes.includes(scope)}
                  aria-invalid={fields.scopes ? true : undefined}
                  onChange={(e) =>
                    set('scopes', e.target.checked ? [...draft.scopes, scope] : draft.scopes.filter((entry) => entry !== scope))
                  }
                />
                <code>{scope}</code>
                {describe(scope) && <span className="muted small-text"> {describe(scope)}</span>}
              </label>
            ))}
          </div>
          {fields.scopes && <div className="field-error">{fields.scopes}</div>}
        </fieldset>
        <Field
          label="Token lifetime"
          hint="No refresh: a job exchanges a new ID token when it needs more time."
          error={fields.tokenLifetimeSeconds}
        >
          {(props) => (
            <select {...props} value={draft.tokenLifetimeSeconds} onChange={(e) => set('tokenLifetimeSeconds', Number(e.target.value))}>
              {lifetimes.map((seconds) => (
                <option key={seconds} value={seconds}>
                  {lifetimeLabel(seconds)}
                  {seconds === DEFAULT_LIFETIME ? ' (default)' : ''}
                </option>
              ))}
            </select>
          )}
        </Field>
        <label className="check">
          <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} /> Enabled (a disabled policy
          issues nothing)
        </label>
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Saving…' : policy ? 'Save changes' : 'Create trust policy'}
          </button>
          {policy && (
            <button type="button" className="button danger-outline" onClick={() => setConfirmDelete(true)}>
              Delete policy
            </button>
          )}
        </div>
      </form>
      {policy && <ExchangeEvents policies={[policy]} policy={policy} />}
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete trust policy "${policy?.name ?? ''}"?`}
        body="CI jobs can no longer exchange ID tokens under it. Tokens it already issued live out their short lives."
        confirmLabel="Delete policy"
        onConfirm={remove}
        onClose={() => {
          setConfirmDelete(false);
          setDeleteError('');
        }}
        busy={busy}
        error={deleteError}
      />
    </>
  );
}
