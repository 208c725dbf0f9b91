import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp } from './support/test-app';
import { testDatabases } from './support/test-database';

describe.each(testDatabases())('authentication and accounts on $name', (database) => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await TestApp.start(database, {
      loginRateLimit: { perIp: 1000, failuresPerEmail: 3, windowSeconds: 60 },
    });
    admin = await t.loginAdmin();
  });
  afterAll(() => t.close());

  describe('login', () => {
    it('returns an opaque session token that opens /user/me', async () => {
      const login = await t.post('/auth/login', {
        email: ADMIN_EMAIL,
        password: ADMIN_PASSWORD,
      });
      expect(login.status).toBe(200);
      expect(login.body).toEqual({
        accessToken: expect.stringMatching(/^pats_[0-9A-Za-z]{38}$/),
        tokenType: 'Bearer',
        expiresAt: expect.any(String),
      });
      expect(new Date(login.body.expiresAt).getTime() - t.clock.now().getTime()).toBe(12 * 3600 * 1000);
      const me = await t.get('/user/me', { token: login.body.accessToken });
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        email: ADMIN_EMAIL,
        role: 'admin',
        authMethod: 'session',
      });
      expect(me.body.privileges).toContain('MANAGE_USERS');
    });

    it('answers a wrong password and an unknown email the same way', async () => {
      const wrongPassword = await t.post('/auth/login', {
        email: ADMIN_EMAIL,
        password: 'not the password',
      });
      const unknownEmail = await t.post('/auth/login', {
        email: 'nobody@example.test',
        password: 'not the password',
      });
      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(401);
      const strip = (body: any) => ({ ...body, requestId: undefined });
      expect(strip(wrongPassword.body)).toEqual(strip(unknownEmail.body));
    });

    it('limits failed logins per email with 429 and Retry-After', async () => {
      const user = await t.createUser('member');
      for (let i = 0; i < 3; i++)
        expect(
          (
            await t.post('/auth/login', {
              email: user.email,
              password: 'wrong password',
            })
          ).status,
        ).toBe(401);
      const limited = await t.post('/auth/login', {
        email: user.email,
        password: user.password,
      });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.body.code).toBe('rate_limited');
      t.clock.advance(61_000);
      expect(
        (
          await t.post('/auth/login', {
            email: user.email,
            password: user.password,
          })
        ).status,
      ).toBe(200);
    });

    it('validates the body', async () => {
      const response = await t.post('/auth/login', { email: ADMIN_EMAIL });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({
        code: 'validation_failed',
        details: [{ field: 'password', reason: expect.any(String) }],
      });
    });

    it('logs out: the session stops working', async () => {
      const session = await t.loginAdmin();
      expect((await t.post('/auth/logout', {}, { token: session })).status).toBe(204);
      const after = await t.get('/user/me', { token: session });
      expect(after.status).toBe(401);
      expect(after.body.code).toBe('invalid_token');
    });
  });

  describe('RFC 6750', () => {
    it('no credentials: 401 with a bare challenge', async () => {
      const response = await t.get('/user/me');
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="personal-access-tokens"');
    });

    it('another scheme counts as no credentials', async () => {
      const response = await t.get('/user/me', {
        headers: { authorization: 'Basic YWRtaW46cGFzcw==' },
      });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="personal-access-tokens"');
    });

    it.each([
      ['Bearer', 'no token'],
      ['Bearer a b', 'two tokens'],
      ['Bearer pat_{}', 'characters outside b64token'],
    ])('malformed %p (%s): 400 invalid_request', async (authorization) => {
      const response = await t.get('/user/me', {
        headers: { authorization },
      });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_request');
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="personal-access-tokens", error="invalid_request"/);
    });

    it('unknown token: 401 invalid_token', async () => {
      const response = await t.get('/user/me', {
        token: 'pat_0000000000000000000000000000000000000000',
      });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    });

    it('token in the query string: 400 invalid_request, even a valid one', async () => {
      const response = await t.get(`/user/me?access_token=${admin}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('invalid_request');
    });

    it('accepts the ApiKey scheme', async () => {
      const response = await t.get('/user/me', {
        headers: { authorization: `ApiKey ${admin}` },
      });
      expect(response.status).toBe(200);
    });

    it('PAT by Bearer and by ApiKey on /user/me', async () => {
      const pat = await t.mintToken(admin, { scopes: ['user:read'] });
      for (const scheme of ['Bearer', 'ApiKey']) {
        const response = await t.get('/user/me', {
          headers: { authorization: `${scheme} ${pat.token}` },
        });
        expect(response.status).toBe(200);
        expect(response.body).toMatchObject({
          authMethod: 'personal_access_token',
          token: { id: pat.id, name: pat.name, scopes: ['user:read'] },
        });
      }
    });
  });

  describe('admin user management', () => {
    it('creates, lists and updates users', async () => {
      const created = await t.post(
        '/admin/users',
        {
          email: 'New.Person@Example.test',
          password: 'a long password 1',
          displayName: 'New Person',
          role: 'member',
        },
        { token: admin },
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        email: 'new.person@example.test',
        role: 'member',
        active: true,
      });
      expect(JSON.stringify(created.body)).not.toMatch(/password/i);

      const clash = await t.post(
        '/admin/users',
        {
          email: 'new.person@example.test',
          password: 'a long password 1',
          displayName: 'Again',
          role: 'member',
        },
        { token: admin },
      );
      expect(clash.status).toBe(409);
      expect(clash.body.code).toBe('email_taken');

      const badRole = await t.post(
        '/admin/users',
        {
          email: 'x@example.test',
          password: 'a long password 1',
          displayName: 'X',
          role: 'emperor',
        },
        { token: admin },
      );
      expect(badRole.status).toBe(400);
      expect(badRole.body.code).toBe('unknown_role');

      const list = await t.get('/admin/users?page=1&pageSize=2', {
        token: admin,
      });
      expect(list.status).toBe(200);
      expect(list.body).toMatchObject({
        page: 1,
        pageSize: 2,
        total: expect.any(Number),
      });
      expect(list.body.items.length).toBeLessThanOrEqual(2);

      const updated = await t.patch(`/admin/users/${created.body.id}`, { role: 'viewer', displayName: 'Renamed' }, { token: admin });
      expect(updated.status).toBe(200);
      expect(updated.body).toMatchObject({
        role: 'viewer',
        displayName: 'Renamed',
      });
    });

    it('caps the page size', async () => {
      const response = await t.get('/admin/users?pageSize=101', {
        token: admin,
      });
      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('pageSize');
    });

    it('refuses non-admins with 403', async () => {
      const member = await t.createUser('member');
      const response = await t.get('/admin/users', { token: member.session });
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('missing_privilege');
      const create = await t.post(
        '/admin/users',
        {
          email: 'y@example.test',
          password: 'a long password 1',
          displayName: 'Y',
          role: 'admin',
        },
        { token: member.session },
      );
      expect(create.status).toBe(403);
    });

    it('deactivation ends sessions and tokens on the very next request', async () => {
      const member = await t.createUser('member');
      const pat = await t.mintToken(member.session, {
        scopes: ['user:read'],
      });
      expect((await t.get('/user/me', { token: member.session })).status).toBe(200);
      expect((await t.get('/user/me', { token: pat.token })).status).toBe(200);
      expect((await t.patch(`/admin/users/${member.id}`, { active: false }, { token: admin })).status).toBe(200);
      expect((await t.get('/user/me', { token: member.session })).status).toBe(401);
      expect((await t.get('/user/me', { token: pat.token })).status).toBe(401);
      expect(
        (
          await t.post('/auth/login', {
            email: member.email,
            password: member.password,
          })
        ).status,
      ).toBe(401);
    });

    it('lists roles', async () => {
      const response = await t.get('/roles', { token: admin });
      expect(response.status).toBe(200);
      expect(response.body.map((r: any) => r.name)).toEqual(['admin', 'member', 'viewer']);
      expect(response.body[1]).toMatchObject({
        privileges: ['GENERATE_PERSONAL_ACCESS_TOKENS'],
        scopes: expect.arrayContaining(['*']),
      });
    });
  });

  describe('health and docs', () => {
    it('answers /health and /health/ready without credentials', async () => {
      expect((await t.get('/health')).body).toEqual({ status: 'ok' });
      expect((await t.get('/health/ready')).body).toEqual({
        status: 'ok',
        database: 'up',
      });
    });

    it('serves the OpenAPI document with both security schemes and every route', async () => {
      const spec = (await t.get('/docs-json')).body;
      expect(Object.keys(spec.components.securitySchemes).sort()).toEqual(['ApiKey', 'Bearer']);
      expect(spec.paths['/user/me/personal-access-tokens/{id}/rotate'].patch['x-required-scopes']).toEqual([
        'personal_access_tokens:write',
      ]);
      expect(spec.components.schemas.CreateTokenDto.properties.scopes).toBeDefined();
      expect((await t.get('/docs')).status).toBe(200);
    });

    it('answers unknown routes with the one error shape', async () => {
      const response = await t.get('/nope', { token: admin });
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({
        statusCode: 404,
        error: 'Not Found',
        code: 'not_found',
        requestId: expect.any(String),
      });
    });
  });

  it('never logs a token or a password', async () => {
    const secrets = [ADMIN_PASSWORD, admin];
    const member = await t.createUser('member');
    secrets.push(member.password, member.session);
    const pat = await t.mintToken(member.session, { scopes: ['user:read'] });
    secrets.push(pat.token);
    await t.get('/user/me', { token: pat.token });
    await t.get(`/user/me?access_token=${pat.token}`);
    await t.post('/auth/login', {
      email: member.email,
      password: member.password,
    });
    await t.post('/auth/login', {
      email: member.email,
      password: member.password + 'x',
    });
    expect(t.logs.length).toBeGreaterThan(5);
    for (const line of t.logs) for (const secret of secrets) expect(line).not.toContain(secret);
  });
});

// Its own app: a tight per-IP limit would get in the way of the tests above.
describe.each(testDatabases())('login rate limit per IP on $name', (database) => {
  let limited: TestApp;

  beforeAll(async () => {
    limited = await TestApp.start(database, {
      loginRateLimit: { perIp: 2, failuresPerEmail: 100, windowSeconds: 60 },
    });
  });
  afterAll(() => limited.close());

  it('limits logins per IP', async () => {
    const attempt = (ip: string) => limited.post('/auth/login', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }, { ip });
    expect((await attempt('10.0.0.1')).status).toBe(200);
    expect((await attempt('10.0.0.1')).status).toBe(200);
    expect((await attempt('10.0.0.1')).status).toBe(429);
    expect((await attempt('10.0.0.2')).status).toBe(200);
  });
});
