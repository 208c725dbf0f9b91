import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-PAT-Signature';
export const TIMESTAMP_HEADER = 'X-PAT-Timestamp';

/**
 * The `X-PAT-Signature` value of a webhook request: `sha256=` + hex HMAC-SHA256, keyed with the
 * webhook secret, over `<X-PAT-Timestamp>.<raw body>`. Covering the timestamp lets a receiver
 * refuse replays of an old delivery (compare it with its own clock, e.g. 5 minutes either way).
 *
 * @example
 * const expected = signWebhookPayload(secret, req.headers['x-pat-timestamp'], rawBody);
 */
export function signWebhookPayload(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * Whether a received webhook request is authentic, compared in constant time.
 *
 * @example
 * if (!verifyWebhookSignature(secret, headers['x-pat-timestamp'], rawBody, headers['x-pat-signature'])) reply(401);
 */
export function verifyWebhookSignature(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhookPayload(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
