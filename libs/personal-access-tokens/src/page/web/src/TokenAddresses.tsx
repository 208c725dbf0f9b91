import type { Token } from './api';
import { formatDateTime } from './format';
import { Field } from './ui';

/** The allow-list as typed (one entry a line, or separated by commas or spaces); empty for any address. */
export function parseAllowList(text: string): string[] | null {
  const entries = text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries.length ? entries : null;
}

export function allowListText(allowedIps: string[] | null): string {
  return (allowedIps ?? []).join('\n');
}

/** The token's IP allow-list, one address or CIDR range a line. */
export function AllowListField({ value, onChange, error }: { value: string; onChange: (value: string) => void; error?: string }) {
  return (
    <Field
      label="Allowed IP addresses (optional)"
      hint="One address or range a line, such as 203.0.113.7 or 10.0.0.0/8 (IPv4 or IPv6, at most 50). Requests from anywhere else are refused. Leave empty to allow any address."
      error={error}
    >
      {(props) => (
        <textarea
          {...props}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          rows={3}
          spellCheck={false}
          autoComplete="off"
          className="mono"
        />
      )}
    </Field>
  );
}

/** Where the token was used: its last five distinct addresses and the last user agent (GitLab's "IP usage"). */
export function WhereUsed({ token }: { token: Token }) {
  const addresses = token.recentAddresses ?? [];
  return (
    <section className="card" aria-labelledby="where-used-title">
      <h2 id="where-used-title">Where it was used</h2>
      {token.allowedIps ? (
        <p className="small-text">
          Only from: <code>{token.allowedIps.join(', ')}</code>
        </p>
      ) : (
        <p className="muted small-text">It may be used from any address.</p>
      )}
      {addresses.length === 0 ? (
        <p className="muted">Not used yet.</p>
      ) : (
        <ul className="address-list" aria-label="Recent addresses">
          {addresses.map((address) => (
            <li key={address.ip}>
              <code>{address.ip}</code>
              <span className="muted small-text">
                first {formatDateTime(address.firstSeenAt)}, last {formatDateTime(address.lastSeenAt)}
              </span>
            </li>
          ))}
        </ul>
      )}
      {token.lastUsedUserAgent && (
        <p className="small-text">
          Last client: <code>{token.lastUsedUserAgent}</code>
        </p>
      )}
    </section>
  );
}
