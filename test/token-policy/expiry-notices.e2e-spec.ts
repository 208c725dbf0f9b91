import { TokenEvents } from '../../libs/personal-access-tokens/src';
import { resolveOptions } from '../../libs/personal-access-tokens/src/core/personal-access-tokens.options';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAppConfig } from '../../src/config/load-config';
import { ExpiryJob, TokenEvent } from '../support/library-internals';
import { FakeClock } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const at = (iso: string) => new Date(iso);

describe.each(testDatabases())('expiry notices at configurable leads on $name', (database) => {
  let t: TestApp;
  let user: TestUser;
  const events: TokenEvent[] = [];
  const notices = (tokenId: string) =>
    events
      .filter((e) => e.tokenId === tokenId && (e.type === 'token.expiring' || e.type === 'token.expired'))
      .map((e) => e.details?.threshold ?? e.type);

  afterEach(() => t.close());

  async function start(noticeLeadDays?: number[]) {
    events.length = 0;
    t = await TestApp.start(
      database,
      { expiryJob: { cron: false, batchSize: 500, revokeUnusedAfterDays: null, ...(noticeLeadDays && { noticeLeadDays }) } },
      new FakeClock(at('2026-06-01T12:00:00Z')),
    );
    t.app.get(TokenEvents).subscribe((event) => {
      events.push(event);
    });
    user = await t.createUser('member');
  }

  it('by default tells the owner 30, 7 and 1 days before and on the day, each once, naming the token', async () => {
    await start();
    const job = t.app.get(ExpiryJob);
    const token = await t.mintToken(user.session, { name: 'nightly-backup', expiresAt: '2026-07-11T18:00:00Z' });
    const soon = await t.mintToken(user.session, { name: 'short-lived', expiresAt: '2026-06-05T12:00:00Z' });
    const steps: Array<[string, string[]]> = [
      ['2026-06-01T12:00:00Z', []],
      ['2026-06-11T17:59:59Z', []],
      ['2026-06-11T18:00:00Z', ['30d']],
      ['2026-06-20T00:00:00Z', ['30d']],
      ['2026-07-04T18:00:00Z', ['30d', '7d']],
      ['2026-07-10T18:00:00Z', ['30d', '7d', '1d']],
      ['2026-07-10T23:59:59Z', ['30d', '7d', '1d']],
      ['2026-07-11T00:00:00Z', ['30d', '7d', '1d', 'day']],
      ['2026-07-11T18:00:00Z', ['30d', '7d', '1d', 'day', 'token.expired']],
    ];
    for (const [now, expected] of steps) {
      t.clock.set(at(now));
      await job.run();
      await job.run();
      expect([now, notices(token.id)]).toEqual([now, expected]);
    }
    // Minted inside 7 days: the 7-day notice only, not a late 30-day one too.
    expect(notices(soon.id).slice(0, 1)).toEqual(['7d']);
    const expiring = events.filter((e) => e.type === 'token.expiring' && e.tokenId === token.id);
    expect(expiring.every((e) => e.tokenName === 'nightly-backup' && e.details?.tokenName === 'nightly-backup')).toBe(true);
    expect(expiring.map((e) => e.details?.message)).toEqual([
      'Your personal access token "nightly-backup" expires within 30 days, at 2026-07-11T18:00:00.000Z.',
      'Your personal access token "nightly-backup" expires within 7 days, at 2026-07-11T18:00:00.000Z.',
      'Your personal access token "nightly-backup" expires within a day, at 2026-07-11T18:00:00.000Z.',
      'Your personal access token "nightly-backup" expires today, at 2026-07-11T18:00:00.000Z.',
    ]);
    // Weeks later: the session of the start has ended.
    const session = (await t.post('/auth/login', { email: user.email, password: user.password })).body.accessToken;
    const trail = await t.get(`/user/me/audit-events?tokenId=${token.id}&action=personal_access_token.expiring&limit=10`, {
      token: session,
    });
    expect(trail.body.items).toHaveLength(4);
  });

  it('uses the configured leads instead', async () => {
    await start([14, 2]);
    const job = t.app.get(ExpiryJob);
    const token = await t.mintToken(user.session, { expiresAt: '2026-07-01T12:00:00Z' });
    for (const now of [
      '2026-06-10T12:00:00Z',
      '2026-06-17T12:00:00Z',
      '2026-06-24T12:00:00Z',
      '2026-06-29T12:00:00Z',
      '2026-06-30T12:00:00Z',
      '2026-07-01T00:00:00Z',
    ]) {
      t.clock.set(at(now));
      await job.run();
    }
    expect(notices(token.id)).toEqual(['14d', '2d']);
  });
});

describe('expiry notice lead configuration', () => {
  it('refuses leads that are not whole days from 0 to 365', () => {
    for (const noticeLeadDays of [[-1], [1.5], [366], ['7'], [null], Array.from({ length: 11 }, (_, i) => i)] as unknown as number[][]) {
      expect(() => resolveOptions({ peppers: ['x'.repeat(32)], expiry: { noticeLeadDays } })).toThrow(/noticeLeadDays/);
    }
    expect(resolveOptions({ peppers: ['x'.repeat(32)], expiry: { noticeLeadDays: [1, 30, 1] } }).expiry.noticeLeadDays).toEqual([1, 30]);
    const dataDir = mkdtempSync(join(tmpdir(), 'pat-notices-'));
    for (const value of ['abc', '7,-1', '400', '7;1', '1.5']) {
      expect(() => loadAppConfig({ PAT_EXPIRY_NOTICE_DAYS: value, DATA_DIR: dataDir })).toThrow(/PAT_EXPIRY_NOTICE_DAYS/);
    }
  });
});
