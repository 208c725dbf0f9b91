import type { AuditEvent } from './api';
import { formatDateTime, formatTime } from './format';

/** An entry of the activity list: one event, or requests of one kind counted together (roll-ups, repeats). */
export interface ActivityRow {
  event: AuditEvent;
  /** How many requests the row stands for. */
  count: number;
  first: string;
  last: string;
}

const sameKind = (a: AuditEvent, b: AuditEvent) =>
  a.action === b.action &&
  a.tokenId === b.tokenId &&
  a.actorEmail === b.actorEmail &&
  a.authMethod === b.authMethod &&
  a.outcome === b.outcome &&
  a.statusCode === b.statusCode &&
  a.ip === b.ip;

/**
 * Runs of the same thing done the same way (a minute's roll-up of counted reads, a page viewed
 * again and again) as one row, newest first: its count is the sum of the entries' counts, and it
 * spans from the first one's first request to the last one's last.
 */
export function collapse(events: AuditEvent[]): ActivityRow[] {
  const rows: ActivityRow[] = [];
  for (const event of events) {
    const count = event.count ?? 1;
    const last = event.lastOccurredAt ?? event.occurredAt;
    const previous = rows[rows.length - 1];
    if (previous && sameKind(previous.event, event)) {
      previous.count += count;
      if (event.occurredAt < previous.first) previous.first = event.occurredAt;
      if (last > previous.last) previous.last = last;
    } else rows.push({ event, count, first: event.occurredAt, last });
  }
  return rows;
}

const sameDay = (a: string, b: string) => new Date(a).toDateString() === new Date(b).toDateString();
const minute = (value: string) => formatDateTime(value);

/**
 * A counted row in words: "1,204 times from 10.0.0.7 between 9:00 AM and 9:01 AM" (the day too
 * when the run spans two); "at 9:00 AM" when it fits in one minute. Empty for a single event.
 */
export function countedText(row: ActivityRow): string {
  if (row.count <= 1) return '';
  const from = row.event.ip ? ` from ${row.event.ip}` : '';
  const [first, last] = sameDay(row.first, row.last)
    ? [formatTime(row.first), formatTime(row.last)]
    : [minute(row.first), minute(row.last)];
  const when = first === last ? `at ${first}` : `between ${first} and ${last}`;
  return `${row.count.toLocaleString('en')} times${from} ${when}`;
}
