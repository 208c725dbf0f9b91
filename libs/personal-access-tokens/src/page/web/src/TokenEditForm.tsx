import { useEffect, useState, type FormEvent } from 'react';
import { api, type Token } from './api';
import { explain, type FieldErrors } from './errors';
import { Alert, Field, useFocusFirstError } from './ui';
import { AllowListField, allowListText, parseAllowList } from './TokenAddresses';

const TOKENS = '/user/me/personal-access-tokens';

/** Name, description and IP allow-list of a token, edited in place (its expiry never: rotate or regenerate instead). */
export function TokenEditForm({ token, onSaved }: { token: Token; onSaved: (token: Token) => void }) {
  const [name, setName] = useState(token.name);
  const [description, setDescription] = useState(token.description ?? '');
  const [allowList, setAllowList] = useState(allowListText(token.allowedIps));
  const [error, setError] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const { ref, focusFirstError } = useFocusFirstError<HTMLFormElement>();
  useEffect(() => {
    setName(token.name);
    setDescription(token.description ?? '');
    setAllowList(allowListText(token.allowedIps));
  }, [token.name, token.description, token.allowedIps]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!name.trim()) {
      setFields({ name: 'A token needs a name.' });
      focusFirstError();
      return;
    }
    setBusy(true);
    setError('');
    setFields({});
    try {
      const allowedIps = parseAllowList(allowList);
      const listChanged = JSON.stringify(allowedIps) !== JSON.stringify(token.allowedIps);
      onSaved(
        await api<Token>('PATCH', `${TOKENS}/${token.id}`, {
          name: name.trim(),
          description: description.trim() || null,
          ...(listChanged && { allowedIps }),
        }),
      );
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
    <section className="card" aria-labelledby="edit-title">
      <h2 id="edit-title">Name, description and addresses</h2>
      <form onSubmit={submit} noValidate ref={ref}>
        <Alert kind="error">{error}</Alert>
        <Field label="Name" error={fields.name}>
          {(props) => (
            <input {...props} value={name} onChange={(event) => setName(event.target.value)} maxLength={100} autoComplete="off" />
          )}
        </Field>
        <Field label="Description" error={fields.description}>
          {(props) => (
            <textarea {...props} value={description} onChange={(event) => setDescription(event.target.value)} maxLength={500} rows={2} />
          )}
        </Field>
        <AllowListField value={allowList} onChange={setAllowList} error={fields.allowedIps} />
        <p className="muted small-text">The expiry date can never be extended: rotate or regenerate the token instead.</p>
        <button
          type="submit"
          className="button"
          disabled={
            busy || (name === token.name && description === (token.description ?? '') && allowList === allowListText(token.allowedIps))
          }
        >
          {busy ? 'Saving…' : 'Save changes'}
        </button>
      </form>
    </section>
  );
}
