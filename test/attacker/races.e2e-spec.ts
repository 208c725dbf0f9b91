import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { TokenEvents } from '../../libs/personal-access-tokens/src';
import { AuditWriter, TokenEvent } from '../support/library-internals';
import { SECOND } from '../support/fake-clock';
import { Response, TestApp, TestUser } from '../support/test-app';
import { TestDatabase, testDatabases } from '../support/test-database';

const BASE = '/user/me/personal-access-tokens';
const WRITE = 'personal_access_tokens:write';
const mariadb = testDatabases().filter((kind) => kind.name === 'mariadb');
const describeOnMariaDb = mariadb.length ? describe.each(mariadb) : describe.skip.each(testDatabases());

/**
 * An attacker's view of check-then-act races, with real parallel connections (MariaDB pool of 10):
 * every request of a burst is in flight with its siblings. SQLite runs every write transaction
 * one after the other (see `UnitOfWork`), so these interleavings cannot happen there: MariaDB only.
 */
describeOnMariaDb('attacker: races on $name', (kind) => {
  let t: TestApp;
  let adminSession: string;
  const events: TokenEvent[] = [];

  beforeAll(async () => {
    t = await TestApp.start(kind);
    adminSession = await t.loginAdmin();
    t.app.get(TokenEvents).subscribe((event) => {
      events.push(event);
    });
  });
  afterAll(() => t.close());

  const eventsOf = (type: TokenEvent['type'], tokenIds: string[]) => events.filter((e) => e.type === type && tokenIds.includes(e.tokenId));
  const liveTokensOf = async (userId: string): Promise<number> => {
    const rows = await t.app
      .get(DataSource)
      .query("SELECT COUNT(*) AS n FROM personal_access_tokens WHERE user_id = ? AND status = 'active'", [userId]);
    return Number(rows[0].n);
  };
  const revokeAll = (user: TestUser) => t.post(`/admin/users/${user.id}/personal-access-tokens/revoke`, {}, { token: adminSession });
  /** The burst, with `middle` sent in the middle of it, so that it lands among the others. */
  const burst = async (count: number, one: (i: number) => Promise<Response>, middle: () => Promise<Response>) => {
    const half = Math.floor(count / 2);
    const sent = [
      ...Array.from({ length: half }, (_, i) => one(i)),
      middle(),
      ...Array.from({ length: count - half }, (_, i) => one(half + i)),
    ];
    const answers = await Promise.all(sent);
    return { middle: answers[half], others: [...answers.slice(0, half), ...answers.slice(half + 1)] };
  };

  describe('revoke-all of a user vs requests in flight with that user’s credentials', () => {
    it.each(['session', 'personal access token'])(
      'creates by a %s: each either committed first and is revoked, or is refused with 401',
      async (credential) => {
        for (let round = 0; round < 8; round++) {
          const victim = await t.createUser('member');
          const caller =
            credential === 'session' ? victim.session : (await t.mintToken(victim.session, { scopes: [WRITE, 'reports:read'] })).token;
          const before = await liveTokensOf(victim.id);
          const { middle, others } = await burst(
            10,
            (i) => t.post(BASE, { name: `in-flight-${i}`, scopes: ['reports:read'], expiresIn: '7d' }, { token: caller }),
            () => revokeAll(victim),
          );
          expect(middle.status).toBe(200);
          const created = others.filter((a) => a.status === 201);
          for (const refused of others.filter((a) => a.status !== 201)) {
            expect(refused.status).toBe(401);
            expect(refused.body.code).toBe('invalid_token');
          }
          // Nothing minted by the revoked credential outlives the revocation, and the count says so.
          expect(await liveTokensOf(victim.id)).toBe(0);
          expect(middle.body.revokedTokens).toBe(before + created.length);
          for (const answer of created) expect((await t.get('/user/me', { token: answer.body.token })).status).toBe(401);
        }
      },
    );

    it('rotations by the session: no rotated secret works afterwards', async () => {
      for (let round = 0; round < 3; round++) {
        const victim = await t.createUser('member');
        const tokens: Array<{ id: string }> = [];
        for (let i = 0; i < 8; i++) tokens.push(await t.mintToken(victim.session, { scopes: ['reports:read'], expiresIn: '30d' }));
        const { middle, others } = await burst(
          8,
          (i) => t.patch(`${BASE}/${tokens[i].id}/rotate`, { expiresIn: '7d' }, { token: victim.session }),
          () => revokeAll(victim),
        );
        expect(middle.status).toBe(200);
        expect(middle.body.revokedTokens).toBe(8);
        expect(others.filter((a) => ![200, 401, 409].includes(a.status))).toEqual([]);
        expect(await liveTokensOf(victim.id)).toBe(0);
        for (const answer of others.filter((a) => a.status === 200)) {
          expect((await t.get('/user/me', { token: answer.body.token })).status).toBe(401);
        }
      }
    });
  });

  describe('deletes and revokes count the rows they changed: one winner, one event', () => {
    it('20 parallel deletes of one token: one 204 and one delete event, the rest 404', async () => {
      const owner = await t.createUser('member');
      const token = await t.mintToken(owner.session, { scopes: ['reports:read'] });
      const answers = await Promise.all(Array.from({ length: 20 }, () => t.delete(`${BASE}/${token.id}`, { token: owner.session })));
      expect(answers.filter((a) => a.status === 204)).toHaveLength(1);
      for (const loser of answers.filter((a) => a.status !== 204)) {
        expect(loser.status).toBe(404);
        expect(loser.body.code).toBe('token_not_found');
      }
      expect(eventsOf('token.deleted', [token.id])).toHaveLength(1);
      await t.app.get(AuditWriter).flush();
      const audited = await t.app
        .get(DataSource)
        .query("SELECT outcome, status_code, event_count FROM audit_events WHERE action = 'personal_access_token.delete' AND target_id = ?", [
          token.id,
        ]);
      const successes = audited.filter((row: { outcome: string }) => row.outcome === 'success');
      expect(successes).toHaveLength(1);
      expect(Number(successes[0].event_count)).toBe(1);
      // Every request is in the trail: the 404s as events or counted into a roll-up of their kind.
      expect(audited.reduce((sum: number, row: { event_count: unknown }) => sum + Number(row.event_count), 0)).toBe(20);
    });

    it('parallel "delete all" of one user: each token deleted and announced once', async () => {
      const owner = await t.createUser('member');
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await t.mintToken(owner.session, { scopes: ['reports:read'] })).id);
      const answers = await Promise.all(Array.from({ length: 5 }, () => t.delete(BASE, { token: owner.session })));
      expect(answers.map((a) => a.status)).toEqual(Array(5).fill(204));
      expect(
        eventsOf('token.deleted', ids)
          .map((e) => e.tokenId)
          .sort(),
      ).toEqual([...ids].sort());
    });

    it('20 parallel revokes of one token, by its owner and by an administrator: revoked once, one event', async () => {
      const owner = await t.createUser('member');
      const token = await t.mintToken(owner.session, { scopes: ['reports:read'] });
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2
            ? t.post(`${BASE}/${token.id}/revoke`, {}, { token: owner.session })
            : t.post(`/admin/personal-access-tokens/${token.id}/revoke`, {}, { token: adminSession }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(new Set(answers.map((a) => a.body.revokedAt)).size).toBe(1);
      expect(eventsOf('token.revoked', [token.id])).toHaveLength(1);
    });

    it('revoke-all racing the owner revoking each token: every token revoked and announced exactly once', async () => {
      const owner = await t.createUser('member');
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) ids.push((await t.mintToken(owner.session, { scopes: ['reports:read'] })).id);
      const pat = await t.mintToken(owner.session, { scopes: [WRITE] });
      ids.push(pat.id);
      const { middle, others } = await burst(
        10,
        (i) => t.post(`${BASE}/${ids[i]}/revoke`, {}, { token: pat.token }),
        () => revokeAll(owner),
      );
      expect(middle.status).toBe(200);
      expect(others.filter((a) => ![200, 401].includes(a.status))).toEqual([]);
      const revokedByOwner = others.filter((a) => a.status === 200).length;
      // The administrator's count is what it revoked itself, not what it saw at the start.
      expect(middle.body.revokedTokens).toBe(ids.length - revokedByOwner);
      expect(
        eventsOf('token.revoked', ids)
          .map((e) => e.tokenId)
          .sort(),
      ).toEqual([...ids].sort());
    });

    it('parallel revoke-alls of one user: the counts add up to the tokens there were, each announced once', async () => {
      const owner = await t.createUser('member');
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push((await t.mintToken(owner.session, { scopes: ['reports:read'] })).id);
      const answers = await Promise.all(Array.from({ length: 5 }, () => revokeAll(owner)));
      expect(answers.map((a) => a.status)).toEqual(Array(5).fill(200));
      expect(answers.reduce((sum, a) => sum + a.body.revokedTokens, 0)).toBe(6);
      expect(eventsOf('token.revoked', ids)).toHaveLength(6);
    });
  });

  it('20 parallel rotations of a token by itself: one new secret, and only it works', async () => {
    const owner = await t.createUser('member');
    const token = await t.mintToken(owner.session, { scopes: ['reports:read'], expiresIn: '30d' });
    t.clock.advance(SECOND);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => t.patch(`${BASE}/${token.id}/rotate`, { expiresIn: '7d' }, { token: token.token })),
    );
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    // A loser either lost the rotation (409) or came in with the secret the winner had just retired (401).
    expect(answers.filter((a) => a.status !== 200 && ![401, 409].includes(a.status))).toEqual([]);
    expect(eventsOf('token.rotated', [token.id])).toHaveLength(1);
    expect((await t.get(`${BASE}/self`, { token: winners[0].body.token })).status).toBe(200);
  });
});

/**
 * The same race made deterministic: another instance still trusts the revoked PAT from its
 * verification cache (bounded staleness, `verificationCacheTtlSeconds`), as a request in flight
 * would. What it may not do is change anything with it.
 */
describeOnMariaDb('attacker: revoke-all seen late by a second instance ($name)', (kind) => {
  let database: TestDatabase;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    database = await kind.create();
    const peppers = [randomBytes(32).toString('hex')];
    first = await TestApp.start(database, { peppers, verificationCacheTtlSeconds: 60 });
    second = await TestApp.start(database, { peppers, verificationCacheTtlSeconds: 60 });
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database.drop();
  });

  it('a PAT revoked on one instance mints, rotates and regenerates nothing on the other', async () => {
    const admin = await first.loginAdmin();
    const victim = await first.createUser('member');
    const pat = await first.mintToken(victim.session, { scopes: [WRITE, 'reports:read'], expiresIn: '30d' });
    const other = await first.mintToken(victim.session, { scopes: ['reports:read'], expiresIn: '7d' });
    // The second instance verifies the PAT once and keeps it in its cache.
    expect((await second.get(`${BASE}/self`, { token: pat.token })).status).toBe(200);
    const revoked = await first.post(`/admin/users/${victim.id}/personal-access-tokens/revoke`, {}, { token: admin });
    expect(revoked.body.revokedTokens).toBe(2);
    const answers = [
      await second.post(BASE, { name: 'after-revocation', scopes: ['reports:read'], expiresIn: '7d' }, { token: pat.token }),
      await second.patch(`${BASE}/${other.id}/rotate`, { expiresIn: '1d' }, { token: pat.token }),
      await second.post(`${BASE}/${other.id}/regenerate`, { expiresIn: '1d' }, { token: pat.token }),
      await second.post(`${BASE}/${other.id}/scopes`, { scope: 'reports:read:7' }, { token: pat.token }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body.code).toBe('invalid_token');
      expect(answer.body).not.toHaveProperty('token');
    }
    const rows = await first.app
      .get(DataSource)
      .query("SELECT COUNT(*) AS n FROM personal_access_tokens WHERE user_id = ? AND status = 'active'", [victim.id]);
    expect(Number(rows[0].n)).toBe(0);
    const scopes = await first.app.get(DataSource).query('SELECT scope FROM personal_access_token_scopes WHERE token_id = ?', [other.id]);
    expect(scopes.map((row: { scope: string }) => row.scope)).toEqual(['reports:read']);
  });
});
