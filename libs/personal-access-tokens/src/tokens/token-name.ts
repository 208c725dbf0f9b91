import { createHash } from 'node:crypto';

/**
 * What makes two token names "the same name" for one user: equal after Unicode normalisation and
 * case folding ("CI-Deploy" is "ci-deploy"), while accents still count ("café" is not "cafe").
 * Stored as a SHA-256 hex key, so that every database compares it byte for byte whatever its
 * collation (MariaDB's default one is case- and accent-insensitive, SQLite's is binary).
 */
export function tokenNameKey(name: string): string {
  const folded = name.normalize('NFC').toUpperCase().toLowerCase();
  return createHash('sha256').update(folded).digest('hex');
}
