import { DataSource } from 'typeorm';
import { TokenEvents } from '../libs/personal-access-tokens/src';
import { ExpiryJob, TokenEvent } from './support/library-internals';
import { JOB_LEASE_SECONDS } from '../libs/personal-access-tokens/src/tokens/expiry/job-lock';
import { PersonalAccessToken } from '../libs/personal-access-tokens/src/tokens/personal-access-token.entity';
import { DAY, HOUR, MINUTE, SECOND } from './support/fake-clock';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';

/** Everything the job publishes, for "exactly once" checks. */
function recordEvents(t: TestApp): TokenEvent[] {
  const events: TokenEvent[] = [];
  t.app.get(TokenEvents).subscribe((event) => {
    events.push(event);
  });
  return events;
}

const ofType = (events: TokenEvent[], type: string) => events.filter((e) => e.type === type);
const tokenIdsOf = (events: TokenEvent[]) => events.map((e) => e.tokenId).sort();

async function storedStatus(t: TestApp, id: string): Promise<string> {
  const [row] = await t.app.get(DataSource).query('SELECT status FROM personal_access_tokens WHERE id = ?', [id]);
  return row.status;
}

describe.each(testDatabases())('expiry job on $name', (database) => {
  let t: TestApp;
  let job: ExpiryJob;
  let events: TokenEvent[];
  let user: TestUser;

  beforeAll(async () => {
    // The 7- and 1-day notices only (test/token-policy/expiry-notices covers the configurable leads).
    t = await TestApp.start(database, { expiryJob: { cron: false, batchSize: 2, revokeUnusedAfterDays: null, noticeLeadDays: [7, 1] } });
    job = t.app.get(ExpiryJob);
    events = recordEvents(t);
    // Leave nothing due from earlier tests' clocks.
    await job.run();
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    await job.run();
    events.length = 0;
    user = await t.createUser('member');
  });

  const mint = async (expiresAt: Date) => (await t.mintToken(user.session, { expiresAt: expiresAt.toISOString() })).id as string;
  const at = (ms: number) => new Date(t.clock.now().getTime() + ms);

  it('expires exactly the tokens past their expiry, each once, in batches', async () => {
    const due = [await mint(at(1 * HOUR)), await mint(at(1 * HOUR + MINUTE)), await mint(at(1 * HOUR + 2 * MINUTE))];
    const later = await mint(at(3 * HOUR));
    const revoked = await mint(at(1 * HOUR));
    expect((await t.post(`${BASE}/${revoked}/revoke`, {}, { token: user.session })).status).toBe(200);
    events.length = 0;

    t.clock.advance(2 * HOUR);
    const first = await job.run();
    expect(first).toMatchObject({ ran: true, expired: 3 });
    expect(tokenIdsOf(ofType(events, 'token.expired'))).toEqual([...due].sort());
    expect(ofType(events, 'token.expired').every((e) => e.actor.type === 'system' && e.userId === user.id)).toBe(true);
    for (const id of due) expect(await storedStatus(t, id)).toBe('expired');
    expect(await storedStatus(t, later)).toBe('active');
    expect(await storedStatus(t, revoked)).toBe('revoked');

    expect((await job.run()).expired).toBe(0);
    expect(ofType(events, 'token.expired')).toHaveLength(3);

    t.clock.advance(HOUR);
    expect((await job.run()).expired).toBe(1);
    expect(tokenIdsOf(ofType(events, 'token.expired'))).toEqual([...due, later].sort());
  });

  it('two runs at once change each token once and both finish', async () => {
    const due = [];
    for (let i = 0; i < 7; i++) due.push(await mint(at(HOUR + i * MINUTE)));
    t.clock.advance(2 * HOUR);
    const results = await Promise.all([job.run(), job.run()]);
    expect(results[0].expired + results[1].expired).toBe(7);
    // One of them found the other holding the lease and did nothing.
    expect(results.filter((r) => r.ran)).toHaveLength(1);
    expect(tokenIdsOf(ofType(events, 'token.expired'))).toEqual([...due].sort());
  });

  it('a run stopped half-way is finished by the next one', async () => {
    const due = [];
    for (let i = 0; i < 5; i++) due.push(await mint(at(HOUR + i * MINUTE)));
    t.clock.advance(2 * HOUR);
    const stop = new AbortController();
    const unsubscribe = t.app.get(TokenEvents).subscribe(() => stop.abort());
    const interrupted = await job.run({ signal: stop.signal });
    unsubscribe();
    expect(interrupted.interrupted).toBeDefined();
    expect(interrupted.expired).toBe(2);

    const next = await job.run();
    expect(next).toMatchObject({ ran: true, expired: 3 });
    expect(tokenIdsOf(ofType(events, 'token.expired'))).toEqual([...due].sort());
    for (const id of due) expect(await storedStatus(t, id)).toBe('expired');
  });

  it('a batch stopped between marking its tokens and writing their events changes nothing; the next run records each token once', async () => {
    const due: string[] = [];
    const expiries = new Map<string, string>();
    for (let i = 0; i < 5; i++) {
      const expiresAt = at(HOUR + i * MINUTE);
      due.push(await mint(expiresAt));
      expiries.set(due[i], expiresAt.toISOString());
    }
    t.clock.advance(2 * HOUR);
    // The second batch fails after its UPDATE and its audit rows, before its commit: as if the
    // process had stopped there (the audit trail's recorder ran first, this one throws).
    let batches = 0;
    const unsubscribe = t.app.get(TokenEvents).subscribeRecorder(async () => {
      if (++batches === 2) throw new Error('stopped mid-batch');
    });
    await expect(job.run()).rejects.toThrow('stopped mid-batch');
    unsubscribe();
    const expiredEvents = () =>
      t.app
        .get(DataSource)
        .query(
          "SELECT token_id, token_name, subject_user_id, auth_method, details FROM audit_events WHERE action = 'personal_access_token.expired' AND subject_user_id = ?",
          [user.id],
        ) as Promise<Array<{ token_id: string; token_name: string; subject_user_id: string; auth_method: string; details: string }>>;
    const statuses = await Promise.all(due.map((id) => storedStatus(t, id)));
    expect(statuses.filter((s) => s === 'expired')).toHaveLength(2);
    expect((await expiredEvents()).map((e) => e.token_id).sort()).toEqual(due.filter((_, i) => statuses[i] === 'expired').sort());

    expect(await job.run()).toMatchObject({ ran: true, expired: 3 });
    for (const id of due) expect(await storedStatus(t, id)).toBe('expired');
    const recorded = await expiredEvents();
    expect(recorded.map((e) => e.token_id).sort()).toEqual([...due].sort());
    const names = new Map(
      (await t.app.get(DataSource).query('SELECT id, name FROM personal_access_tokens WHERE user_id = ?', [user.id])).map(
        (r: { id: string; name: string }) => [r.id, r.name],
      ),
    );
    expect(recorded.every((e) => e.token_name === names.get(e.token_id) && e.auth_method === 'system')).toBe(true);
    // The same details the event carries: its token's expiry, as JSON writes a date.
    expect(recorded.map((e) => JSON.parse(e.details))).toEqual(recorded.map((e) => ({ expiresAt: expiries.get(e.token_id) })));
    expect(tokenIdsOf(ofType(events, 'token.expired'))).toEqual([...due].sort());
  });

  it('stops when another run takes its lease, which runs out if its holder dies; the next run finishes', async () => {
    const due = [];
    for (let i = 0; i < 5; i++) due.push(await mint(at(HOUR + i * MINUTE)));
    t.clock.advance(2 * HOUR);
    const dataSource = t.app.get(DataSource);
    let taken = false;
    const unsubscribe = t.app.get(TokenEvents).subscribe(async () => {
      if (taken) return;
      taken = true;
      // As if this run's lease had run out and an instance that then died had taken it.
      await dataSource.query("UPDATE job_leases SET holder = 'a-run-that-died'");
    });
    const cut = await job.run();
    unsubscribe();
    expect(cut.interrupted).toMatch(/lost the job lease/);
    expect(cut.expired).toBe(2);

    expect(await job.run()).toMatchObject({ ran: false, expired: 0 });
    t.clock.advance(JOB_LEASE_SECONDS * SECOND);
    const next = await job.run();
    expect(next).toMatchObject({ ran: true, expired: 3 });
    expect(tokenIdsOf(ofType(events, 'token.expired'))).toEqual([...due].sort());
  });

  it('sends each expiry notice once per threshold, and again for a new expiry after rotation', async () => {
    const notices = () => ofType(events, 'token.expiring').map((e) => `${e.tokenId === soon ? 'soon' : 'later'}:${e.details?.threshold}`);
    const later = await mint(at(10 * DAY));
    const soon = await mint(at(12 * HOUR));

    await job.run();
    // Already inside one day: only the 1-day notice, not a late 7-day one too.
    expect(notices()).toEqual(['soon:1d']);
    await job.run();
    expect(notices()).toEqual(['soon:1d']);

    t.clock.advance(4 * DAY);
    await job.run();
    expect(notices()).toEqual(['soon:1d', 'later:7d']);
    expect(ofType(events, 'token.expiring')[1].details).toMatchObject({ threshold: '7d', expiresAt: at(6 * DAY) });
    await job.run();
    expect(notices()).toEqual(['soon:1d', 'later:7d']);

    t.clock.advance(5 * DAY + 12 * HOUR);
    await job.run();
    await job.run();
    expect(notices()).toEqual(['soon:1d', 'later:7d', 'later:1d']);

    // Rotation gives the token a new expiry: its notices start over.
    const session = (await t.post('/auth/login', { email: user.email, password: user.password })).body.accessToken;
    const rotated = await t.patch(`${BASE}/${later}/rotate`, { expiresIn: '30d' }, { token: session });
    expect(rotated.status).toBe(200);
    await job.run();
    expect(notices()).toHaveLength(3);
    t.clock.advance(24 * DAY);
    await job.run();
    await job.run();
    expect(notices()).toEqual(['soon:1d', 'later:7d', 'later:1d', 'later:7d']);
  });

  it('deletes login sessions that expired or were revoked', async () => {
    const dataSource = t.app.get(DataSource);
    const sessionsOf = async (userId: string) =>
      Number((await dataSource.query('SELECT COUNT(*) AS n FROM sessions WHERE user_id = ?', [userId]))[0].n);
    const other = await t.createUser('member');
    expect((await t.post('/auth/logout', {}, { token: other.session })).status).toBe(204);
    expect(await sessionsOf(other.id)).toBe(1);
    const result = await job.run();
    expect(result.sessionsPurged).toBeGreaterThanOrEqual(1);
    expect(await sessionsOf(other.id)).toBe(0);
    // A live session stays until it expires.
    expect(await sessionsOf(user.id)).toBe(1);
    t.clock.advance(13 * HOUR);
    await job.run();
    expect(await sessionsOf(user.id)).toBe(0);
  });
});

describe.each(testDatabases())('revoking unused tokens on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start(database, { expiryJob: { cron: false, batchSize: 500, revokeUnusedAfterDays: 30 } });
  });
  afterAll(() => t.close());

  it('revokes tokens not used for N days, and only those', async () => {
    const events = recordEvents(t);
    const user = await t.createUser('member');
    const idle = (await t.mintToken(user.session)).id;
    const used = (await t.mintToken(user.session)).id;
    t.clock.advance(20 * DAY);
    await t.app.get(DataSource).getRepository(PersonalAccessToken).update({ id: used }, { lastUsedAt: t.clock.now() });
    t.clock.advance(11 * DAY);
    const result = await t.app.get(ExpiryJob).run();
    expect(result.revokedUnused).toBe(1);
    expect(tokenIdsOf(ofType(events, 'token.revoked'))).toEqual([idle]);
    expect(ofType(events, 'token.revoked')[0]).toMatchObject({ actor: { type: 'system' }, details: { reason: 'unused' } });
    const list = await t.get(`${BASE}?status=active`, { token: (await t.createUser('member')).session });
    expect(list.status).toBe(200);
    const statuses = await t.app
      .get(DataSource)
      .query('SELECT id, status FROM personal_access_tokens WHERE user_id = ? ORDER BY id', [user.id]);
    expect(Object.fromEntries(statuses.map((r: { id: string; status: string }) => [r.id, r.status]))).toEqual({
      [idle]: 'revoked',
      [used]: 'active',
    });
  });
});
