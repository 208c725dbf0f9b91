import { ApiError } from './api';
import { formatDateTime } from './format';

/** Field errors by field name, as the form shows them next to their fields. */
export type FieldErrors = Record<string, string>;

const FIELD_CODES: Record<string, string> = {
  token_name_taken: 'name',
  expiry_in_past: 'expiration',
  expiry_too_far: 'expiration',
  expiry_required: 'expiration',
  expiry_conflict: 'expiration',
  scope_not_grantable: 'scopes',
  too_many_scopes: 'scopes',
  allow_list_required: 'allowedIps',
};

/** `scopes.0` -> `scopes`, `expiresAt` -> `expiration`: the form's own names for the API's fields. */
function fieldOf(field: string): string {
  const root = field.split(/[.[]/)[0];
  return root === 'expiresAt' || root === 'expiresIn' ? 'expiration' : root;
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1) + (/[.!?]$/.test(trimmed) ? '' : '.');
}

/**
 * What to tell the person: the fields to fix, or one message that says what happened and what to
 * do next (never the raw answer).
 */
export function explain(error: unknown): { message: string; fields: FieldErrors } {
  if (!(error instanceof ApiError)) return { message: 'Something went wrong in the page. Reload it and try again.', fields: {} };
  const fields: FieldErrors = {};
  for (const detail of error.details) {
    const field = fieldOf(detail.field);
    // `allowedIps[2]`: the form shows the list one entry a line, so it names the line.
    const line = /\[(\d+)\]$/.exec(detail.field);
    fields[field] ??= sentence(line ? `line ${Number(line[1]) + 1} ${detail.reason}` : `${detail.reason}`);
  }
  const field = FIELD_CODES[error.code];
  if (field && !fields[field]) fields[field] = sentence(error.message);
  if (Object.keys(fields).length) return { message: 'Please correct the highlighted fields.', fields };
  return { message: messageOf(error), fields };
}

function messageOf(error: ApiError): string {
  const wait = error.retryAfterSeconds
    ? ` Try again in ${error.retryAfterSeconds < 120 ? `${error.retryAfterSeconds} seconds` : `${Math.ceil(error.retryAfterSeconds / 60)} minutes`}.`
    : ' Try again later.';
  switch (error.status) {
    case 0:
      return error.message;
    case 401:
      return error.code === 'invalid_credentials' ? 'Wrong email or password.' : 'Your session has ended. Sign in again.';
    case 403:
      if (error.code === 'cross_site_request')
        return 'This action was blocked because it did not come from this page. Reload the page and try again.';
      return `You are not allowed to do this with your role. ${sentence(error.message)}`;
    case 404:
      return 'This token no longer exists. It may have been deleted in another window.';
    case 409:
      return conflictAdvice(error);
    case 429:
      return `Too many attempts.${wait}`;
    case 503:
      return `The service is temporarily unavailable.${wait}`;
    default:
      return error.status >= 500 ? 'The service ran into a problem. Try again in a moment.' : sentence(error.message);
  }
}

/** A 409 says what to do next. */
function conflictAdvice(error: ApiError): string {
  switch (error.code) {
    case 'token_limit_reached':
      return `${sentence(error.message)} Open the table, then revoke or delete a token you no longer use.`;
    case 'rotation_too_soon': {
      const at = /at (\S+Z)/.exec(error.message)?.[1];
      return `This token was rotated recently. You can rotate it again ${at ? `after ${formatDateTime(at)}` : 'later'}.`;
    }
    case 'token_state_conflict':
      return `${sentence(error.message)}`;
    case 'rotation_conflict':
      return 'The token changed while it was being rotated. Reload the page to see its current state, then try again.';
    default:
      return `${sentence(error.message)} Reload the page to see the current state, then try again.`;
  }
}
