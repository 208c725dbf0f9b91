import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 32 base62 characters: about 190 bits from the CSPRNG. */
const RANDOM_LENGTH = 32;
/** CRC32 (< 2^32) fits in 6 base62 characters (62^6 ≈ 5.7e10). */
const CHECKSUM_LENGTH = 6;
const BODY = /^[0-9A-Za-z]+$/;

/**
 * Token secrets look like GitHub's: `<prefix><32 random base62><6 base62 CRC32>`. The checksum
 * lets a secret scanner, and our own guard, reject a look-alike with no database query.
 *
 * @example
 * const secret = generateTokenSecret('pat_'); // "pat_Zk3…q9" (42 characters)
 * hasValidTokenFormat(secret, 'pat_');     // true
 */
export function generateTokenSecret(prefix: string): string {
  const body = randomBase62(RANDOM_LENGTH);
  return prefix + body + checksumOf(prefix + body);
}

export function hasValidTokenFormat(secret: string, prefix: string): boolean {
  if (secret.length !== prefix.length + RANDOM_LENGTH + CHECKSUM_LENGTH || !secret.startsWith(prefix)) return false;
  const body = secret.slice(prefix.length);
  if (!BODY.test(body)) return false;
  const payload = secret.slice(0, secret.length - CHECKSUM_LENGTH);
  return secret.slice(-CHECKSUM_LENGTH) === checksumOf(payload);
}

function checksumOf(payload: string): string {
  let value = crc32(payload);
  let encoded = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    encoded = BASE62[value % 62] + encoded;
    value = Math.floor(value / 62);
  }
  return encoded;
}

/** Uniform base62 by rejection sampling: bytes >= 248 would bias the modulo, so they are skipped. */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}
