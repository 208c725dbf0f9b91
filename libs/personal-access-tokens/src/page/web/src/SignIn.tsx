import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from './api';
import { explain, type FieldErrors } from './errors';
import { Alert, Field } from './ui';

const SESSION = `${document.querySelector<HTMLMetaElement>('meta[name="pat-page-base"]')?.content ?? ''}/api/session`;

/** How this service lets people sign in (`GET <page>/api/session/methods`). */
export interface SignInMethods {
  password: boolean;
  providers: { label: string; signInUrl: string; signOutUrl: string | null }[];
}

export const fetchSignInMethods = () => api<SignInMethods>('GET', `${SESSION}/methods`);

export function SignIn({ notice, onSignedIn }: { notice: string; onSignedIn: () => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [fields, setFields] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  const [methods, setMethods] = useState<SignInMethods>({ password: true, providers: [] });
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    fetchSignInMethods().then(setMethods, () => undefined);
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    setFields({});
    try {
      await api('POST', SESSION, { email, password });
      setPassword('');
      await onSignedIn();
    } catch (failure) {
      const explained = explain(failure);
      setError(explained.message);
      setFields(explained.fields);
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <header className="topbar">
        <div className="container topbar-inner">
          <span className="brand">Access tokens</span>
        </div>
      </header>
      <main className="container narrow" id="main">
        <h1 tabIndex={-1} ref={heading}>
          Sign in
        </h1>
        <p className="muted">Manage your personal access tokens: create, inspect, rotate and revoke them.</p>
        <Alert kind="info">{notice}</Alert>
        {methods.providers.map((provider) => (
          <p key={provider.signInUrl}>
            <a className="button primary" href={provider.signInUrl}>
              Sign in with {provider.label}
            </a>
          </p>
        ))}
        {methods.password && (
          <form onSubmit={submit} className="card" noValidate>
            <Alert kind="error">{error}</Alert>
            <Field label="Email" error={fields.email}>
              {(props) => (
                <input {...props} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
              )}
            </Field>
            <Field label="Password" error={fields.password}>
              {(props) => (
                <input
                  {...props}
                  type="password"
                  autoComplete="current-password"
                  value={password}
                  onChange={(e) => setPassword(e.target.value)}
                  required
                />
              )}
            </Field>
            <button type="submit" className="button primary" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
          </form>
        )}
      </main>
    </>
  );
}
