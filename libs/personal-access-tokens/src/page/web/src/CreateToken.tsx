import { useState, type FormEvent } from 'react';
import { api, type CreatedToken, type Session } from './api';
import { explain, type FieldErrors } from './errors';
import { PermissionsPicker } from './Permissions';
import { follow, href } from './router';
import { useScopeCatalog } from './scope-catalog';
import { AllowListField, parseAllowList } from './TokenAddresses';
import { Alert, defaultExpiration, ExpirationField, expirationBody, Field, useFocusFirstError, type Expiration } from './ui';

export const GENERATE = 'GENERATE_PERSONAL_ACCESS_TOKENS';

/** Why a person without the privilege cannot create tokens, and what to do about it. */
export function CannotCreate({ session }: { session: Session }) {
  return (
    <Alert kind="info">
      Your role ({session.user.role}) may not create tokens: it does not have the privilege to generate personal access tokens. Ask an
      administrator for a role that has it, such as member.
    </Alert>
  );
}

export function CreateToken({ session, onCreated }: { session: Session; onCreated: (token: CreatedToken) => void }) {
  if (!session.user.privileges.includes(GENERATE)) {
    return (
      <>
        <BackToTokens />
        <h1 tabIndex={-1}>Create a personal access token</h1>
        <CannotCreate session={session} />
      </>
    );
  }
  return <CreateTokenForm session={session} onCreated={onCreated} />;
}

function BackToTokens() {
  return (
    <p className="breadcrumb">
      <a href={href('/')} onClick={follow('/')}>
        ← Your tokens
      </a>
    </p>
  );
}

function CreateTokenForm({ session, onCreated }: { session: Session; onCreated: (token: CreatedToken) => void }) {
  const { catalog, error: catalogError } = useScopeCatalog();
  const { ref, focusFirstError } = useFocusFirstError<HTMLFormElement>();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [expiration, setExpiration] = useState<Expiration>(() => defaultExpiration(session.policy));
  const [scopes, setScopes] = useState<string[]>([]);
  const [allowList, setAllowList] = useState('');
  const [error, setError] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  /** A change to a field takes its error away (and the summary with the last one). */
  const edit =
    <T,>(field: string, set: (value: T) => void) =>
    (value: T) => {
      set(value);
      if (!fields[field]) return;
      const { [field]: _fixed, ...rest } = fields;
      setFields(rest);
      if (Object.keys(rest).length === 0) setError('');
    };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problems: FieldErrors = {};
    if (!name.trim()) problems.name = 'Give the token a name you will recognize, such as dx-cli-laptop.';
    if (scopes.length === 0) problems.scopes = 'Choose at least one permission.';
    if (expiration.choice === 'custom' && !expiration.date) problems.expiration = 'Pick the date the token expires.';
    setFields(problems);
    if (Object.keys(problems).length) {
      setError('Please correct the highlighted fields.');
      focusFirstError();
      return;
    }
    setBusy(true);
    setError('');
    try {
      const body = {
        name: name.trim(),
        ...(description.trim() && { description: description.trim() }),
        scopes,
        ...expirationBody(expiration),
        ...(parseAllowList(allowList) && { allowedIps: parseAllowList(allowList) }),
      };
      onCreated(await api<CreatedToken>('POST', '/user/me/personal-access-tokens', body));
    } catch (failure) {
      const explained = explain(failure);
      setError(explained.message);
      setFields(explained.fields);
      focusFirstError();
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <BackToTokens />
      <h1 tabIndex={-1}>Create a personal access token</h1>
      <form className="card form" onSubmit={submit} noValidate ref={ref}>
        <Alert kind="error">{error || catalogError}</Alert>
        <Field label="Name" hint="A label you will recognize later, such as dx-cli-laptop. Unique among your tokens." error={fields.name}>
          {(props) => (
            <input
              {...props}
              value={name}
              onChange={(event) => edit('name', setName)(event.target.value)}
              maxLength={100}
              required
              autoComplete="off"
            />
          )}
        </Field>
        <Field label="Description (optional)" hint="What the token is for, and where it is stored." error={fields.description}>
          {(props) => (
            <textarea
              {...props}
              value={description}
              onChange={(event) => edit('description', setDescription)(event.target.value)}
              maxLength={500}
              rows={2}
            />
          )}
        </Field>
        <ExpirationField
          policy={session.policy}
          value={expiration}
          onChange={edit('expiration', setExpiration)}
          error={fields.expiration}
          allowNever
        />
        {catalog === null ? (
          <p role="status">Loading scopes…</p>
        ) : (
          <PermissionsPicker catalog={catalog} value={scopes} onChange={edit('scopes', setScopes)} error={fields.scopes} />
        )}
        <AllowListField value={allowList} onChange={edit('allowedIps', setAllowList)} error={fields.allowedIps} />
        <div className="actions">
          <button type="submit" className="button primary" disabled={busy}>
            {busy ? 'Creating…' : 'Create token'}
          </button>
          <a className="button" href={href('/')} onClick={follow('/')}>
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
