import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import type { Policy, TokenStatus } from './api';
import { formatDate } from './format';

export function StatusBadge({ status }: { status: TokenStatus }) {
  const label = { active: 'Active', suspended: 'Suspended', expired: 'Expired', revoked: 'Revoked' }[status];
  return <span className={`badge badge-${status}`}>{label}</span>;
}

/** "Expires soon" beside an active token that stops working within 7 days. */
export function ExpiresSoonBadge() {
  return <span className="badge badge-soon">Expires soon</span>;
}

/** A message for the whole form or view; errors are announced at once. */
export function Alert({ kind, children }: { kind: 'error' | 'success' | 'info'; children: ReactNode }) {
  if (!children) return null;
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

/** A labelled field with its hint and its error (tied to the control through aria-describedby). */
export function Field({
  label,
  hint,
  error,
  children,
}: {
  label: string;
  hint?: ReactNode;
  error?: string;
  children: (props: { id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) => ReactNode;
}) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {hint && (
        <div className="hint" id={`${id}-hint`}>
          {hint}
        </div>
      )}
      {children({ id, 'aria-describedby': described || undefined, 'aria-invalid': error ? true : undefined })}
      {error && (
        <div className="field-error" id={`${id}-error`}>
          {error}
        </div>
      )}
    </div>
  );
}

/**
 * Moves focus to the first field in error after a failed submit, so a keyboard or screen-reader
 * user lands where the fix is: put `ref` on the form, call `focusFirstError()` once errors are set.
 */
export function useFocusFirstError<T extends HTMLElement>() {
  const ref = useRef<T>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (attempt) ref.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [attempt]);
  return { ref, focusFirstError: () => setAttempt((count) => count + 1) };
}

/** A modal dialog (the browser's own: focus is kept inside, Escape closes it). */
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} className="dialog">
      {open && (
        <>
          <h2 id={titleId}>{title}</h2>
          {children}
        </>
      )}
    </dialog>
  );
}

/** Asks before something that cannot be undone. */
export function ConfirmDialog({
  open,
  title,
  body,
  confirmLabel,
  onConfirm,
  onClose,
  busy,
  error,
}: {
  open: boolean;
  title: string;
  body: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  busy?: boolean;
  error?: string;
}) {
  return (
    <Dialog title={title} open={open} onClose={onClose}>
      <p>{body}</p>
      <Alert kind="error">{error}</Alert>
      <div className="actions">
        <button type="button" className="button danger" onClick={onConfirm} disabled={busy}>
          {busy ? 'Working…' : confirmLabel}
        </button>
        <button type="button" className="button" onClick={onClose} autoFocus>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}

const DAY = 86_400_000;
const LIFETIMES: { value: string; label: string; days: number }[] = [
  { value: '1h', label: '1 hour', days: 1 / 24 },
  { value: '1d', label: '1 day', days: 1 },
  { value: '7d', label: '7 days', days: 7 },
  { value: '30d', label: '30 days', days: 30 },
  { value: '60d', label: '60 days', days: 60 },
  { value: '90d', label: '90 days', days: 90 },
];

export interface Expiration {
  choice: string;
  /** yyyy-mm-dd, for `custom`. */
  date: string;
}

function isoDay(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 10);
}

/** The policy's default lifetime, as one of the choices when it is one, else as a custom date. */
export function defaultExpiration(policy: Policy): Expiration {
  const days = Math.min(policy.defaultLifetimeDays, policy.maxLifetimeDays);
  const match = LIFETIMES.find((lifetime) => lifetime.days === days);
  return match ? { choice: match.value, date: '' } : { choice: 'custom', date: isoDay(new Date(Date.now() + days * DAY)) };
}

/** The request body's expiry fields for a choice. */
export function expirationBody(expiration: Expiration): { expiresIn?: string; expiresAt?: string | null } {
  if (expiration.choice === 'never') return { expiresAt: null };
  if (expiration.choice === 'custom') {
    // The end of the chosen day, in the person's own time zone.
    return { expiresAt: expiration.date ? new Date(`${expiration.date}T23:59:59`).toISOString() : '' };
  }
  return { expiresIn: expiration.choice };
}

/**
 * Expiration: the lifetimes the policy permits, a custom date up to its maximum, and "No
 * expiration" only where the policy allows tokens that never expire.
 */
export function ExpirationField({
  policy,
  value,
  onChange,
  error,
  allowNever,
  label = 'Expiration',
}: {
  policy: Policy;
  value: Expiration;
  onChange: (value: Expiration) => void;
  error?: string;
  allowNever: boolean;
  label?: string;
}) {
  const choices = LIFETIMES.filter((lifetime) => lifetime.days <= policy.maxLifetimeDays);
  const defaultChoice = defaultExpiration(policy).choice;
  const expiresOn = (() => {
    const lifetime = LIFETIMES.find((entry) => entry.value === value.choice);
    if (lifetime) return `Expires ${lifetime.days < 1 ? 'in one hour' : `on ${formatDate(new Date(Date.now() + lifetime.days * DAY))}`}.`;
    if (value.choice === 'never') return 'The token never expires. Revoke it when it is no longer needed.';
    return value.date ? `Expires at the end of ${formatDate(new Date(`${value.date}T23:59:59`))}.` : 'Pick a date.';
  })();
  const dateId = useId();
  return (
    <Field label={label} hint={`${expiresOn} At most ${policy.maxLifetimeDays} days.`} error={error}>
      {(props) => (
        <div className="expiration">
          <select {...props} value={value.choice} onChange={(event) => onChange({ ...value, choice: event.target.value })}>
            {choices.map((lifetime) => (
              <option key={lifetime.value} value={lifetime.value}>
                {lifetime.label}
                {lifetime.value === defaultChoice ? ' (default)' : ''}
              </option>
            ))}
            <option value="custom">Custom date…</option>
            {allowNever && policy.allowNoExpiry && <option value="never">No expiration</option>}
          </select>
          {value.choice === 'custom' && (
            <>
              <label htmlFor={dateId} className="visually-hidden">
                Expiration date
              </label>
              <input
                id={dateId}
                type="date"
                value={value.date}
                min={isoDay(new Date(Date.now() + DAY))}
                max={isoDay(new Date(Date.now() + policy.maxLifetimeDays * DAY))}
                onChange={(event) => onChange({ ...value, date: event.target.value })}
                aria-invalid={error ? true : undefined}
                required
              />
            </>
          )}
        </div>
      )}
    </Field>
  );
}

/** A progress bar with its label, for exports. */
export function Progress({ label, value, max }: { label: string; value?: number; max?: number }) {
  const id = useId();
  return (
    <div className="progress" role="status">
      <span id={id}>{label}</span>
      <progress aria-labelledby={id} value={value} max={max} />
    </div>
  );
}

/**
 * The secret, shown once: kept only in the page's memory (never in storage, a cookie or the URL),
 * with a copy button and the lines to use it. Gone on reload.
 */
export function SecretPanel({ secret, onDone }: { secret: string; onDone: () => void }) {
  const [copied, setCopied] = useState('');
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => ref.current?.focus(), []);
  const copy = async (text: string, what: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(`${what} copied to the clipboard.`);
    } catch {
      setCopied('Copying is not allowed here: select the text and copy it by hand.');
    }
  };
  return (
    <div className="secret" ref={ref} tabIndex={-1} aria-labelledby="secret-title">
      <h2 id="secret-title">Copy your new token now</h2>
      <p>
        This is the only time it is shown: once you leave this page it is gone for good. Store it somewhere safe, such as a password manager
        or your CI's secret store.
      </p>
      <div className="secret-row">
        <code className="secret-value" data-testid="secret">
          {secret}
        </code>
        <button type="button" className="button primary" onClick={() => copy(secret, 'Token')}>
          Copy token
        </button>
      </div>
      <p className="usage-title">Use it in the Authorization header:</p>
      <pre className="usage">
        <code>Authorization: Bearer {secret}</code>
        {'\n'}
        <code>Authorization: ApiKey {secret}</code>
      </pre>
      <div className="actions">
        <button type="button" className="button" onClick={() => copy(`Authorization: Bearer ${secret}`, 'Header line')}>
          Copy header line
        </button>
        <button type="button" className="button" onClick={onDone}>
          I have stored it
        </button>
      </div>
      <p role="status" className="muted">
        {copied}
      </p>
    </div>
  );
}
