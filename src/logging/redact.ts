/** `<prefix>_<30+ base62>`: PATs, session tokens, and a host app's own prefixes. UUIDs never match. */
export const TOKEN_SHAPED = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{30,}/g;

/**
 * 30 or more base62 characters in a row: a token's random part, whatever surrounds it (a LIKE
 * pattern escapes the `_` after the prefix). Digests match too, which costs a log reader nothing.
 */
const SECRET_SHAPED_RUN = /[0-9A-Za-z]{30,}/g;

/** `text` with anything that may be a token's secret part replaced by `[redacted]`. */
export function maskTokens(text: string): string {
  return text.replace(SECRET_SHAPED_RUN, '[redacted]');
}
