import { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { TokenEvents, TokensService } from '../../libs/personal-access-tokens/src';
import { AuditWriter, ExpiryJob, TokenEvent } from '../support/library-internals';
import { CreateTokenDto } from '../../libs/personal-access-tokens/src/tokens/dto/token.dto';
import { DAY, SECOND } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const BASE = '/user/me/personal-access-tokens';
const mariadb = testDatabases().filter((kind) => kind.name === 'mariadb');
const describeOnMariaDb = mariadb.length ? describe.each(mariadb) : describe.skip.each(testDatabases());

/**
 * Check-then-act races with real parallel connections (MariaDB pool of 10): every request below
 * is in flight at the same time as its siblings. SQLite serializes writes, so this runs on MariaDB only.
 */
describeOnMariaDb('races on $name', (kind) => {
  let t: TestApp;
  let alice: TestUser;

  beforeAll(async () => {
    t = await TestApp.start(kind, {
      policy: {
        defaultLifetimeDays: 90,
        maxLifetimeDays: 365,
        allowNoExpiry: false,
        maxActiveTokensPerUser: 5,
        rotationIntervalSeconds: 3600,
      },
    });
    alice = await t.createUser('member');
  });
  afterAll(() => t.close());

  it('20 parallel rotations of one token: exactly one wins, and only its secret works', async () => {
    const token = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '30d' });
    t.clock.advance(3601 * SECOND);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => t.patch(`${BASE}/${token.id}/rotate`, {}, { token: alice.session })),
    );
    const winners = answers.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of answers.filter((a) => a.status !== 200)) {
      expect(loser.status).toBe(409);
      expect(['rotation_conflict', 'rotation_too_soon', 'token_not_active']).toContain(loser.body.code);
    }
    expect((await t.get('/user/me', { token: winners[0].body.token })).status).toBe(200);
    const listed = await t.get(`${BASE}/${token.id}`, { token: alice.session });
    expect(listed.body.status).toBe('active');
  });

  it('revoke racing with use: once the revoke has answered, no request with the token succeeds', async () => {
    // Real sockets: in-process inject of cache hits never yields to I/O and would starve the revoke.
    await t.app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    for (let round = 0; round < 3; round++) {
      const token = await t.mintToken(alice.session, { scopes: ['user:read'] });
      let revokedAnswered = false;
      const afterRevoke: number[] = [];
      let successes = 0;
      // Each user keeps going until it has sent a few requests after the revoke answered.
      const user = async () => {
        let sentAfter = 0;
        for (let i = 0; i < 2000 && sentAfter < 5; i++) {
          const sentAfterRevoke = revokedAnswered;
          const response = await fetch(`${url}/user/me`, { headers: { authorization: `Bearer ${token.token}` } });
          await response.arrayBuffer();
          if (response.status === 200) successes++;
          if (sentAfterRevoke) {
            sentAfter++;
            afterRevoke.push(response.status);
          }
        }
      };
      const revoke = async () => {
        await waitFor('10 successful uses before the revoke', () => successes >= 10);
        const response = await fetch(`${url}${BASE}/${token.id}/revoke`, {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.session}`, 'content-type': 'application/json' },
          body: '{}',
        });
        expect(response.status).toBe(200);
        await response.arrayBuffer();
        revokedAnswered = true;
      };
      await Promise.all([user(), user(), user(), user(), user(), revoke()]);
      expect(afterRevoke).toHaveLength(25);
      expect(afterRevoke.filter((status) => status !== 401)).toEqual([]);
    }
  });

  it('20 parallel creates cannot exceed a cap of 5 live tokens', async () => {
    const bob = await t.createUser('member');
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.post(BASE, { name: `parallel-${i}`, scopes: ['user:read'] }, { token: bob.session })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(5);
    for (const refused of answers.filter((a) => a.status !== 201)) {
      expect(refused.status).toBe(409);
      expect(refused.body.code).toBe('token_limit_reached');
    }
    const list = await t.get(`${BASE}?status=active`, { token: bob.session });
    expect(list.body.total).toBe(5);
  });

  it('parallel scope additions cannot exceed 50 scopes', async () => {
    const token = await t.mintToken(alice.session, { scopes: Array.from({ length: 45 }, (_, i) => `reports:read:e${i}`) });
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.post(`${BASE}/${token.id}/scopes`, { scope: `reports:read:x${i}` }, { token: alice.session })),
    );
    expect(answers.filter((a) => a.status === 200 || a.status === 201)).toHaveLength(5);
    expect((await t.get(`${BASE}/${token.id}/scopes`, { token: alice.session })).body.scopes).toHaveLength(50);
  });
});

describeOnMariaDb('two instances on one database ($name)', (kind) => {
  let instances: Awaited<ReturnType<typeof TestApp.startInstances>>;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    instances = await TestApp.startInstances(kind, 2);
    [first, second] = instances.apps;
  });
  afterAll(() => instances?.close());

  it('20 parallel creates over two instances sharing the database: the cap holds, and nothing answers 5xx', async () => {
    const user = await first.createUser('member');
    // Five short of the cap, so that 5 of the 20 fit.
    const cap = first.config.policy.maxActiveTokensPerUser;
    const tokens = first.app.get(TokensService);
    for (let i = 0; i < cap - 5; i++) await tokens.mint(user.id, { name: `before-${i}`, scopes: ['user:read'] } as CreateTokenDto);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? second : first).post(BASE, { name: `both-${i}`, scopes: ['user:read'] }, { token: user.session }),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(5);
    expect(answers.filter((a) => a.status !== 201 && !(a.status === 409 && a.body.code === 'token_limit_reached'))).toEqual([]);
  });

  it('change each row once: one expiry event per token, whichever instance ran', async () => {
    const user = await first.createUser('member');
    const ids = [];
    for (let i = 0; i < 30; i++) ids.push((await first.mintToken(user.session, { scopes: ['user:read'], expiresIn: '1d' })).id);
    const events: TokenEvent[] = [];
    for (const app of [first, second])
      app.app.get(TokenEvents).subscribe((event: TokenEvent) => {
        events.push(event);
      });
    for (const app of [first, second]) app.clock.advance(DAY + SECOND);
    const [a, b] = await Promise.all([first.app.get(ExpiryJob).run(), second.app.get(ExpiryJob).run()]);
    // Whether they overlapped or ran one after the other, the rows expired exactly once in total.
    expect(a.expired + b.expired).toBe(30);
    const expiredEvents = events.filter((e) => e.type === 'token.expired');
    expect(expiredEvents.map((e) => e.tokenId).sort()).toEqual([...ids].sort());
    const rows = await first.app.get(DataSource).query('SELECT status FROM personal_access_tokens WHERE user_id = ?', [user.id]);
    expect(rows.map((r: { status: string }) => r.status)).toEqual(Array(30).fill('expired'));
    for (const app of [first, second]) await app.app.get(AuditWriter).flush();
  });
});
