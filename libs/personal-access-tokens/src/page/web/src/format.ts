const dateTime = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('en', { dateStyle: 'medium' });
const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });

/** "Dec 3, 2026, 8:58 AM": the one format of a moment on every view and in every message. */
export function formatDateTime(value: string | Date | null | undefined): string {
  return value ? dateTime.format(new Date(value)) : '';
}

const SOON_MS = 7 * 86_400_000;

/** An active token that stops working within 7 days. */
export function expiresSoon(token: { status: string; expiresAt: string | null }, now = Date.now()): boolean {
  if (token.status !== 'active' || !token.expiresAt) return false;
  return new Date(token.expiresAt).getTime() - now <= SOON_MS;
}

const timeOnly = new Intl.DateTimeFormat('en', { timeStyle: 'short' });

/** "8:35 PM", for the second line of a table cell whose first line is the day. */
export function formatTime(value: string): string {
  return timeOnly.format(new Date(value));
}

export function formatDate(value: string | Date): string {
  return dateOnly.format(typeof value === 'string' ? new Date(value) : value);
}

/** "in 3 days", "2 hours ago". */
export function fromNow(value: string | Date): string {
  const ms = new Date(value).getTime() - Date.now();
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
  ];
  for (const [unit, size] of units) if (Math.abs(ms) >= size) return relative.format(Math.round(ms / size), unit);
  return ms >= 0 ? 'in less than a minute' : 'just now';
}

/** `personal_access_token.add_scope` -> "Add scope"; the audit trail's action names, read by people. */
export function describeAction(action: string): string {
  const names: Record<string, string> = {
    'personal_access_token.create': 'Created',
    'personal_access_token.read': 'Viewed',
    'personal_access_token.read_self': 'Looked itself up',
    'personal_access_token.update': 'Edited',
    'personal_access_token.delete': 'Deleted',
    'personal_access_token.revoke': 'Revoked',
    'personal_access_token.admin_revoke': 'Revoked by an administrator',
    'personal_access_token.rotate': 'Rotated',
    'personal_access_token.regenerate': 'Regenerated',
    'personal_access_token.add_scope': 'Scope added',
    'personal_access_token.remove_scope': 'Scope removed',
    'personal_access_token.remove_all_scopes': 'All scopes removed',
    'personal_access_token.list_scopes': 'Scopes listed',
    'personal_access_token.expired': 'Expired',
  };
  if (names[action]) return names[action];
  const last = action.includes('.') ? action.slice(action.lastIndexOf('.') + 1) : action;
  const text = last.replace(/_/g, ' ');
  return action.startsWith('GET ') || action.startsWith('POST ') ? action : text.charAt(0).toUpperCase() + text.slice(1);
}

/** Offers a file to save, without the data ever going through a URL of the server. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
