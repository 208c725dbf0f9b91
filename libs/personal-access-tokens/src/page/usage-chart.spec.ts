import type { AuditEvent } from './web/src/api';
import { collapse, countedText } from './web/src/activity-rollup';
import { axisLabels, axisOf, type UsageBucket } from './web/src/usage';

function entry(fields: Partial<AuditEvent>): AuditEvent {
  return {
    id: fields.id ?? 'e1',
    kind: 'rollup',
    count: 1,
    occurredAt: '2026-12-03T09:00:05.000Z',
    lastOccurredAt: '2026-12-03T09:00:05.000Z',
    actorUserId: 'u1',
    actorEmail: 'ada@example.test',
    tokenId: 't1',
    tokenName: 'ci',
    authMethod: 'personal_access_token',
    action: 'user.read_self',
    targetType: null,
    targetId: null,
    outcome: 'success',
    statusCode: 200,
    ip: '10.0.0.7',
    ...fields,
  };
}

describe('roll-ups in the activity', () => {
  it('sums the counts of a run of the same requests and spans its first to its last', () => {
    const rows = collapse([
      entry({ id: 'b', count: 700, occurredAt: '2026-12-03T09:01:00.000Z', lastOccurredAt: '2026-12-03T09:01:40.000Z' }),
      entry({ id: 'a', count: 504, occurredAt: '2026-12-03T09:00:02.000Z', lastOccurredAt: '2026-12-03T09:00:59.000Z' }),
      entry({ id: 'c', kind: 'event', ip: '10.0.0.8' }),
    ]);
    expect(rows.map((row) => [row.event.id, row.count, row.first, row.last])).toEqual([
      ['b', 1204, '2026-12-03T09:00:02.000Z', '2026-12-03T09:01:40.000Z'],
      ['c', 1, '2026-12-03T09:00:05.000Z', '2026-12-03T09:00:05.000Z'],
    ]);
    expect(countedText(rows[0])).toMatch(/^1,204 times from 10\.0\.0\.7 between \d{1,2}:00\s[AP]M and \d{1,2}:01\s[AP]M$/);
    expect(countedText(rows[1])).toBe('');
  });

  it('says "at" for a run within one minute, and keeps refusals of another status apart', () => {
    const rows = collapse([entry({ count: 3 }), entry({ id: 'd', count: 2, outcome: 'denied', statusCode: 403 })]);
    expect(rows).toHaveLength(2);
    expect(countedText(rows[0])).toMatch(/^3 times from 10\.0\.0\.7 at \d{1,2}:00\s[AP]M$/);
  });
});

describe('the usage chart axes', () => {
  it('rounds the y axis up to steps of 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 10, 37, 1204].map((max) => axisOf(max))).toEqual([
      { top: 1, step: 1 },
      { top: 1, step: 1 },
      { top: 3, step: 1 },
      { top: 10, step: 5 },
      { top: 40, step: 10 },
      { top: 1500, step: 500 },
    ]);
  });

  it('labels days every few bars, counted from today, so that labels never crowd', () => {
    const days: UsageBucket[] = Array.from({ length: 30 }, (_, i) => ({
      start: new Date(Date.UTC(2026, 10, 9 + i)).toISOString(),
      success: 0,
      denied: 0,
      error: 0,
    }));
    const narrow = axisLabels(days, 'day', 11);
    expect([...narrow.keys()]).toEqual([29, 24, 19, 14, 9, 4]);
    expect(narrow.get(29)).toBe('Dec 8');
    expect([...axisLabels(days, 'day', 40).keys()]).toHaveLength(15);
  });
});
