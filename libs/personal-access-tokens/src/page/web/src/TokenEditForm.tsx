import { useEffect, useState, type FormEvent } from 'react';
import { api, type Token } from './api';
import { explain, type FieldErrors } from './errors';
import { Alert, Field, useFocusFirstError } from './ui';

const TOKENS = '/user/me/personal-access-tokens';

/** Name and description of a token, edited in place (its expiry never: rotate or regenerate instead). */
export function TokenEditForm({ token, onSaved }: { token: Token; onSaved: (token: Token) => void }) {
  const [name, setName] = useState(token.name);
  const [description, setDescription] = useState(token.description ?? '');
  const [error, setError] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const { ref, focusFirstError } = useFocusFirstError<HTMLFormElement>();
  useEffect(() => {
    setName(token.name);
    setDescription(token.description ?? '');
  }, [token.name, token.description]);

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
      onSaved(await api<Token>('PATCH', `${TOKENS}/${token.id}`, { name: name.trim(), description: description.trim() || null }));
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
      <h2 id="edit-title">Name and description</h2>
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
        <p className="muted small-text">The expiry date can never be extended: rotate or regenerate the token instead.</p>
        <button type="submit" className="button" disabled={busy || (name === token.name && description === (token.description ?? ''))}>
          {busy ? 'Saving…' : 'Save changes'}
        </button>
      </form>
    </section>
  );
}
