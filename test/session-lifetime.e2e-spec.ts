import { SECOND } from './support/fake-clock';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp } from './support/test-app';
import { testDatabases } from './support/test-database';

const TTL_SECONDS = 3600;

/** SESSION_TTL_SECONDS: a login session works until its lifetime is over, and not a moment longer. */
describe.each(testDatabases())('session lifetime on $name', (database) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await TestApp.start(database, { sessionTtlSeconds: TTL_SECONDS });
  });
  afterAll(() => t.close());

  it('answers until the lifetime is over, then refuses the session as an invalid token', async () => {
    const login = await t.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    const session = login.body.accessToken;
    expect(new Date(login.body.expiresAt).getTime()).toBe(t.clock.now().getTime() + TTL_SECONDS * SECOND);

    t.clock.advance((TTL_SECONDS - 1) * SECOND);
    expect((await t.get('/user/me', { token: session })).status).toBe(200);
    t.clock.advance(1 * SECOND);
    const refused = await t.get('/user/me', { token: session });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    // The lifetime is the session's own: a new login works at once.
    expect(await t.loginAdmin()).toEqual(expect.any(String));
  });
});
