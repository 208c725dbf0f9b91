import { appendFileSync } from 'node:fs';
import { DataSource } from 'typeorm';

/** Where a broken invariant was seen: one fuzzed field of one route, with one value. */
export interface Case {
  route: string;
  field: string;
  value: string;
  caller: string;
}

/**
 * The broken invariants of a sweep, one line per (route, field, value), with the callers that saw
 * it and the first answer observed. Written as JSON lines to FUZZ_FINDINGS when it is set.
 */
export class Findings {
  private readonly byInvariant = new Map<string, Map<string, { where: Case; callers: Set<string>; observed: string }>>();

  add(invariant: string, where: Case, observed: string): void {
    if (!this.byInvariant.has(invariant)) this.byInvariant.set(invariant, new Map());
    const lines = this.byInvariant.get(invariant)!;
    const key = `${where.route} ${where.field}=${where.value}`;
    const line = lines.get(key) ?? { where, callers: new Set<string>(), observed };
    line.callers.add(where.caller);
    lines.set(key, line);
  }

  of(invariant: string): string[] {
    return [...(this.byInvariant.get(invariant) ?? new Map()).entries()].map(
      ([key, { callers, observed }]) => `${key} (${[...callers].join(', ')}): ${observed}`,
    );
  }

  write(database: string): void {
    const file = process.env.FUZZ_FINDINGS;
    if (!file) return;
    for (const [invariant, lines] of this.byInvariant)
      for (const { where, callers, observed } of lines.values())
        appendFileSync(file, JSON.stringify({ database, invariant, ...where, caller: [...callers].join(', '), observed }) + '\n');
  }
}

/** Columns a request may change just by being authenticated. */
const USAGE_COLUMNS = /^last_used/;

type Rows = Record<string, unknown>[];

/**
 * What a refused request must leave as it was: the users, and the tokens (with their scopes and
 * retired digests) and sessions of the users involved, read straight from the database.
 */
export async function snapshot(dataSource: DataSource, userIds: string[]): Promise<Record<string, Rows>> {
  const marks = userIds.map(() => '?').join(', ');
  const ofTokens = (table: string, order: string) =>
    dataSource.query(
      `SELECT x.* FROM ${table} x JOIN personal_access_tokens p ON p.id = x.token_id WHERE p.user_id IN (${marks}) ORDER BY ${order}`,
      userIds,
    );
  const [users, tokens, scopes, retired, sessions] = await Promise.all([
    dataSource.query('SELECT * FROM users ORDER BY id'),
    dataSource.query(`SELECT * FROM personal_access_tokens WHERE user_id IN (${marks}) ORDER BY id`, userIds),
    ofTokens('personal_access_token_scopes', 'x.token_id, x.scope'),
    ofTokens('personal_access_token_retired_digests', 'x.token_id, x.digest'),
    dataSource.query(`SELECT * FROM sessions WHERE user_id IN (${marks}) ORDER BY id`, userIds),
  ]);
  const withoutUsage = (rows: Rows) =>
    rows.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !USAGE_COLUMNS.test(column))));
  return { users, tokens: withoutUsage(tokens), scopes, retired, sessions };
}

/** What differs between two snapshots, briefly: `tokens: 1 added; users <id>: display_name`. */
export function differences(before: Record<string, Rows>, after: Record<string, Rows>): string[] {
  return Object.keys(before).flatMap((table) => {
    const key = (row: Record<string, unknown>) => String(row.id ?? JSON.stringify(row));
    const old = new Map(before[table].map((row) => [key(row), row]));
    const now = new Map(after[table].map((row) => [key(row), row]));
    const added = [...now.keys()].filter((id) => !old.has(id)).length;
    const removed = [...old.keys()].filter((id) => !now.has(id)).length;
    const changed = [...now].flatMap(([id, row]) => {
      const previous = old.get(id);
      if (!previous) return [];
      const columns = Object.keys(row).filter((column) => JSON.stringify(row[column]) !== JSON.stringify(previous[column]));
      return columns.length ? [`${table} ${id}: ${columns.join(', ')}`] : [];
    });
    return [...(added ? [`${table}: ${added} added`] : []), ...(removed ? [`${table}: ${removed} removed`] : []), ...changed];
  });
}
