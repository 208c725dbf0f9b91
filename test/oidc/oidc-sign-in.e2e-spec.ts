import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { CLIENT_ID, CLIENT_SECRET, signInAtProvider, TestProvider } from './support/test-provider';

const REDIRECT_URI = 'http://127.0.0.1:9/auth/oidc/callback';

describe.each(testDatabases())('OpenID Connect sign-in against a real provider (oidc-provider) on $name', (database) => {
  let provider: TestProvider;
  let t: TestApp;
  let admin: string;

  const oidcConfig = () => ({
    issuer: provider.issuer,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUri: REDIRECT_URI,
    label: 'Test IdP',
    scopes: ['openid', 'email', 'profile', 'groups'],
    roleClaim: 'groups',
    roleMap: { 'pat-admins': 'admin', engineering: 'member' },
    allowLoopbackHttp: true,
  });

  /** GET /auth/oidc/login: the provider's URL and this browser's state cookie. */
  async function start(app = t): Promise<{ authorizationUrl: string; cookie: string; state: string }> {
    const response = await app.get('/auth/oidc/login?target=api');
    expect(response.status).toBe(302);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] as string | string[]);
    const cookie = setCookie.find((c) => c.startsWith('pat_oidc_state='))!;
    expect(cookie).toMatch(/HttpOnly; SameSite=Lax/);
    const authorizationUrl = String(response.headers.location);
    const params = new URL(authorizationUrl).searchParams;
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('nonce')).toBeTruthy();
    return { authorizationUrl, cookie: cookie.split(';')[0], state: params.get('state')! };
  }

  /** The callback, as the browser would call it after the provider, with its cookie. */
  const callback = (url: string, cookie: string) => {
    const { pathname, search } = new URL(url);
    return t.get(`${pathname}${search}`, { headers: { cookie } });
  };

  async function signIn(login: string) {
    const { authorizationUrl, cookie } = await start();
    return callback(await signInAtProvider(authorizationUrl, login, REDIRECT_URI), cookie);
  }

  beforeAll(async () => {
    provider = await TestProvider.start([REDIRECT_URI], ['http://127.0.0.1:9/page']);
    provider.accounts.set('alice', { email: 'Alice@Example.test', email_verified: true, name: 'Alice A', groups: ['engineering'] });
    provider.accounts.set('outsider', { email: 'outsider@example.test', email_verified: true, groups: ['sales'] });
    provider.accounts.set('unverified', { email: 'admin@example.test', email_verified: false, groups: ['pat-admins'] });
    t = await TestApp.start(database, { oidc: oidcConfig() });
    admin = await t.loginAdmin();
  });

  afterAll(async () => {
    await t?.close();
    await provider?.close();
  });

  it('provisions a user on first sign-in, with the role the groups claim maps to, and the same user afterwards', async () => {
    const first = await signIn('alice');
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ accessToken: expect.stringMatching(/^pats_/), tokenType: 'Bearer', expiresAt: expect.any(String) });
    const me = await t.get('/user/me', { token: first.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'alice@example.test', displayName: 'Alice A', role: 'member' });
    const links = await t.app.get(DataSource).query('SELECT issuer, subject, user_id FROM oidc_identities');
    expect(links).toEqual([{ issuer: provider.issuer, subject: 'alice', user_id: me.body.id }]);

    // The groups changed at the provider: the role follows on the next sign-in.
    provider.accounts.get('alice')!.groups = ['engineering', 'pat-admins'];
    const second = await signIn('alice');
    const again = await t.get('/user/me', { token: second.body.accessToken });
    expect(again.body).toMatchObject({ id: me.body.id, role: 'admin' });
    provider.accounts.get('alice')!.groups = ['engineering'];

    // Sign-out ends the session.
    expect((await t.post('/auth/logout', {}, { token: second.body.accessToken })).status).toBe(204);
    expect((await t.get('/user/me', { token: second.body.accessToken })).status).toBe(401);
  });

  it('refuses a person the role map does not admit, and creates no account', async () => {
    const refused = await signIn('outsider');
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'oidc_role_not_mapped', message: expect.stringContaining('groups') });
    const users = await t.get('/admin/users?pageSize=100', { token: admin });
    expect(users.body.items.map((u: { email: string }) => u.email)).not.toContain('outsider@example.test');
  });

  it('refuses an unverified email instead of linking it to the account that has it', async () => {
    const refused = await signIn('unverified');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('oidc_email_missing');
  });

  it('refuses a deactivated user', async () => {
    const me = await t.get('/user/me', { token: (await signIn('alice')).body.accessToken });
    expect((await t.patch(`/admin/users/${me.body.id}`, { active: false }, { token: admin })).status).toBe(200);
    const refused = await signIn('alice');
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('user_inactive');
    expect((await t.patch(`/admin/users/${me.body.id}`, { active: true }, { token: admin })).status).toBe(200);
  });

  it('refuses a wrong state, a missing state cookie, and a state used twice', async () => {
    const { authorizationUrl, cookie } = await start();
    const back = await signInAtProvider(authorizationUrl, 'alice', REDIRECT_URI);
    const tampered = new URL(back);
    tampered.searchParams.set('state', 'x'.repeat(43));
    expect((await callback(tampered.href, cookie)).body).toMatchObject({ statusCode: 400, code: 'oidc_state_mismatch' });
    expect((await callback(back, '')).body).toMatchObject({ statusCode: 400, code: 'oidc_state_mismatch' });
    expect((await callback(back, cookie)).status).toBe(200);
    expect((await callback(back, cookie)).body).toMatchObject({ statusCode: 400, code: 'oidc_state_mismatch' });
  });

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    // Two sign-ins; the provider is sent the second one's nonce with the first one's state and PKCE challenge.
    const first = await start();
    const second = await start();
    const mixed = new URL(second.authorizationUrl);
    const firstParams = new URL(first.authorizationUrl).searchParams;
    mixed.searchParams.set('state', firstParams.get('state')!);
    mixed.searchParams.set('code_challenge', firstParams.get('code_challenge')!);
    const response = await callback(await signInAtProvider(mixed.href, 'alice', REDIRECT_URI), first.cookie);
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ code: 'oidc_sign_in_failed', message: expect.stringContaining('nonce') });
  });

  it('refuses an expired authorization code', async () => {
    provider.codeTtlSeconds = 1;
    try {
      const { authorizationUrl, cookie } = await start();
      const back = await signInAtProvider(authorizationUrl, 'alice', REDIRECT_URI);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      const response = await callback(back, cookie);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ code: 'oidc_sign_in_failed', message: expect.stringContaining('invalid_grant') });
    } finally {
      provider.codeTtlSeconds = 60;
    }
  });

  it('refuses a response that names another issuer (RFC 9207 iss)', async () => {
    const { authorizationUrl, cookie } = await start();
    const back = new URL(await signInAtProvider(authorizationUrl, 'alice', REDIRECT_URI));
    expect(back.searchParams.get('iss')).toBe(provider.issuer);
    back.searchParams.set('iss', 'https://evil.example.test');
    const response = await callback(back.href, cookie);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('oidc_sign_in_failed');
  });

  it('reads email and groups from the userinfo endpoint when the provider leaves them out of the ID token', async () => {
    const conforming = await TestProvider.start([REDIRECT_URI], ['http://127.0.0.1:9/page'], { claimsInIdToken: false });
    conforming.accounts.set('dora', { email: 'dora@example.test', email_verified: true, name: 'Dora D', groups: ['pat-admins'] });
    const other = await TestApp.start(database, { oidc: { ...oidcConfig(), issuer: conforming.issuer } });
    try {
      const started = await other.get('/auth/oidc/login?target=api');
      const cookie = ([] as string[]).concat(started.headers['set-cookie'] as string[]).find((c) => c.startsWith('pat_oidc_state='))!;
      const { pathname, search } = new URL(await signInAtProvider(String(started.headers.location), 'dora', REDIRECT_URI));
      const response = await other.get(`${pathname}${search}`, { headers: { cookie: cookie.split(';')[0] } });
      expect(response.status).toBe(200);
      other.secrets.add(response.body.accessToken);
      expect((await other.get('/user/me', { token: response.body.accessToken })).body).toMatchObject({
        email: 'dora@example.test',
        displayName: 'Dora D',
        role: 'admin',
      });
    } finally {
      await other.close();
      await conforming.close();
    }
  });

  it('does not start with an issuer that does not answer discovery', async () => {
    await expect(TestApp.start(database, { oidc: { ...oidcConfig(), issuer: 'http://127.0.0.1:9/unknown' } })).rejects.toThrow();
  });

  it('answers 400 for an unknown target, and 400 for target=page where no page is served', async () => {
    expect((await t.get('/auth/oidc/login?target=cli')).body).toMatchObject({
      statusCode: 400,
      details: [{ field: 'target', reason: 'must be page or api' }],
    });
    expect((await t.get('/auth/oidc/login')).body).toMatchObject({ statusCode: 400, code: 'page_not_served' });
  });

  it('with password sign-in off, refuses passwords on the API and on the page, and the page offers only the provider', async () => {
    // The page's API is what matters here, not its build: a one-file stand-in.
    const assetsDir = mkdtempSync(join(tmpdir(), 'pat-oidc-page-'));
    writeFileSync(join(assetsDir, 'index.html'), '<!doctype html><html><head></head><body></body></html>');
    const closed = await TestApp.start(database, {
      oidc: { ...oidcConfig(), passwordSignIn: false },
      page: { path: '/page', assetsDir },
    });
    try {
      const login = await closed.post('/auth/login', { email: 'admin@example.test', password: 'correct horse battery staple' });
      expect(login.status).toBe(403);
      expect(login.body.code).toBe('password_sign_in_disabled');
      const page = await closed.post(
        '/page/api/session',
        { email: 'admin@example.test', password: 'correct horse battery staple' },
        { headers: { origin: 'http://pat.test', host: 'pat.test' } },
      );
      expect(page.status).toBe(403);
      expect(page.body.code).toBe('password_sign_in_disabled');
      const methods = await closed.get('/page/api/session/methods');
      expect(methods.body).toEqual({
        password: false,
        providers: [{ label: 'Test IdP', signInUrl: '/auth/oidc/login?target=page', signOutUrl: '/auth/oidc/logout' }],
      });
    } finally {
      await closed.close();
    }
  });
});
