import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TokenBookkeepingService } from '../libs/personal-access-tokens/src/tokens/token-bookkeeping.service';
import { TestApp } from './support/test-app';
import { TestDatabase, testDatabases } from './support/test-database';

const digest = (pepper: string, secret: string) => createHmac('sha256', pepper).update(secret).digest('hex');

/**
 * TOKEN_PEPPER_PREVIOUS: the pepper is rotated by restarting with the new one first and the old
 * one after it. Tokens and sessions made under the old pepper keep working, and each is re-keyed
 * on its first use, so that after every credential was used once the old pepper can be dropped.
 */
describe.each(testDatabases())('pepper rotation on $name', (kind) => {
  let database: TestDatabase;
  let dataDir: string | undefined;

  beforeEach(async () => {
    if (kind.name === 'sqlite') {
      // One file that outlives each instance (an in-memory database is the instance's own).
      dataDir = mkdtempSync(join(tmpdir(), 'pat-pepper-'));
      database = { config: { type: 'sqlite', file: join(dataDir, 'pat.sqlite') }, drop: async () => undefined };
    } else database = await kind.create();
  });
  afterEach(async () => {
    await database.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps tokens and sessions of the old pepper working, re-keys them on use, and then needs only the new one', async () => {
    const oldPepper = randomBytes(32).toString('hex');
    const newPepper = randomBytes(32).toString('hex');

    const before = await TestApp.start(database, { peppers: [oldPepper] });
    const user = await before.createUser('member');
    const pat = await before.mintToken(user.session, { scopes: ['user:read'] });
    await before.close();

    const rotating = await TestApp.start(database, { peppers: [newPepper, oldPepper] });
    try {
      const dataSource = rotating.app.get(DataSource);
      const stored = async () => ({
        token: (await dataSource.query('SELECT digest FROM personal_access_tokens WHERE id = ?', [pat.id]))[0].digest,
        session: (await dataSource.query('SELECT digest FROM sessions WHERE user_id = ?', [user.id]))[0].digest,
      });
      expect(await stored()).toEqual({ token: digest(oldPepper, pat.token), session: digest(oldPepper, user.session) });

      expect((await rotating.get('/user/me', { token: pat.token })).status).toBe(200);
      expect((await rotating.get('/user/me', { token: user.session })).status).toBe(200);
      await rotating.app.get(TokenBookkeepingService).settled(); // the token's re-keying is written after the answer
      expect(await stored()).toEqual({ token: digest(newPepper, pat.token), session: digest(newPepper, user.session) });
      rotating.secrets.add(pat.token).add(user.session);
    } finally {
      await rotating.close();
    }

    const after = await TestApp.start(database, { peppers: [newPepper] });
    try {
      after.secrets.add(pat.token).add(user.session);
      expect((await after.get('/user/me', { token: pat.token })).body.id).toBe(user.id);
      expect((await after.get('/user/me', { token: user.session })).body.id).toBe(user.id);
    } finally {
      await after.close();
    }
  });

  it('without the old pepper, credentials made under it are refused', async () => {
    const oldPepper = randomBytes(32).toString('hex');
    const before = await TestApp.start(database, { peppers: [oldPepper] });
    const user = await before.createUser('member');
    const pat = await before.mintToken(user.session, { scopes: ['user:read'] });
    await before.close();

    const after = await TestApp.start(database, { peppers: [randomBytes(32).toString('hex')] });
    try {
      after.secrets.add(pat.token).add(user.session);
      expect((await after.get('/user/me', { token: pat.token })).status).toBe(401);
      expect((await after.get('/user/me', { token: user.session })).status).toBe(401);
    } finally {
      await after.close();
    }
  });
});
