/** What stands in for whatever lies beyond the bounds: the event is kept, the excess is not. */
export const TRUNCATED = '[truncated]';

const MAX_DEPTH = 4;
const MAX_ENTRIES = 50;
const MAX_STRING = 200;
/** Values and characters per event: a text column (64 KB on MySQL) holds the result with room to spare. */
const MAX_VALUES = 200;
const MAX_CHARACTERS = 8_000;

/**
 * A copy of request details fit for an audit event, bounded in depth, width and size whatever the
 * input (20,000 nested arrays, 60,000 keys, a megabyte string): strings cut to 200 characters,
 * containers to 50 entries, nesting to 4 levels, and the whole to 200 values and 8,000 characters,
 * with `[truncated]` beyond. The recursion is as deep as MAX_DEPTH at most. Keys and strings pass
 * through `scrub`, which masks anything shaped like a secret.
 */
export function boundedDetails(details: Record<string, unknown>, scrub: (text: string) => string): Record<string, unknown> {
  let values = MAX_VALUES;
  let characters = MAX_CHARACTERS;
  const text = (value: string): string => {
    const cut = value.length > MAX_STRING || value.length > characters;
    const kept = value.slice(0, Math.min(MAX_STRING, characters));
    characters -= kept.length;
    return scrub(kept) + (cut ? TRUNCATED : '');
  };
  const copy = (value: unknown, depth: number): unknown => {
    if (values-- <= 0 || characters <= 0) return TRUNCATED;
    if (typeof value === 'string') return text(value);
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (typeof value !== 'object') return undefined;
    if (depth >= MAX_DEPTH) return TRUNCATED;
    if (Array.isArray(value)) {
      const items: unknown[] = [];
      for (let i = 0; i < value.length && i < MAX_ENTRIES; i++) items.push(copy(value[i], depth + 1));
      if (value.length > MAX_ENTRIES) items.push(TRUNCATED);
      return items;
    }
    // Entries, not assignment: a key such as `__proto__` stays a plain key.
    const entries: [string, unknown][] = [];
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      if (entries.length === MAX_ENTRIES) {
        entries.push([TRUNCATED, TRUNCATED]);
        break;
      }
      entries.push([text(key), copy((value as Record<string, unknown>)[key], depth + 1)]);
    }
    return Object.fromEntries(entries);
  };
  return copy(details, 0) as Record<string, unknown>;
}
