import { DataSource } from 'typeorm';
import { AuditEvent, AuditWriter } from '../support/library-internals';
import { MINUTE, SECOND } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { TestIssuer } from './support/test-issuer';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';
const AUDIENCE = 'https://pat.example.test';
const PAT = /^pat_[0-9A-Za-z]{38}$/;

describe.each(testDatabases())('RFC 8693 token exchange of CI ID tokens on $name', (database) => {
  let t: TestApp;
  let issuer: TestIssuer;
  let key: Awaited<ReturnType<TestIssuer['newKey']>>;
  let admin: string;
  let deployer: TestUser;
  let policyId: string;

  /** POST /oauth/token, form-encoded as RFC 8693 2.1 says. */
  const exchange = (fields: Record<string, string>, ip = '127.0.0.1') =>
    t.request('POST', '/oauth/token', {
      body: new URLSearchParams({ grant_type: GRANT, subject_token_type: ID_TOKEN, ...fields }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      ip,
    });
  const sign = (claims: Record<string, unknown> = {}) => issuer.sign(key, t.clock.now(), claims);
  const requestIds: string[] = [];
  const eventOf = async (requestId: string) => {
    await t.app.get(AuditWriter).flush();
    const events = await t.app.get(DataSource).getRepository(AuditEvent).find({ where: { requestId } });
    expect(events).toHaveLength(1);
    return events[0];
  };
  const exchangeAudited = async (fields: Record<string, string>) => {
    const requestId = `x-${requestIds.length}-${Date.now()}`;
    requestIds.push(requestId);
    const response = await t.request('POST', '/oauth/token', {
      body: new URLSearchParams({ grant_type: GRANT, subject_token_type: ID_TOKEN, ...fields }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': requestId },
      // An address of its own: repeated refusals of one kind from one address are rolled up.
      ip: `10.77.${Math.floor(requestIds.length / 250)}.${requestIds.length % 250}`,
    });
    return { response, event: () => eventOf(requestId) };
  };

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    key = await issuer.newKey();
    t = await TestApp.start(database, { tokenExchange: { allowLoopbackHttpIssuers: true, jwksCooldownSeconds: 0 } });
    admin = await t.loginAdmin();
    deployer = await t.createUser('member');
    const created = await t.post(
      '/admin/token-exchange-policies',
      {
        name: 'acme-api-deploy',
        issuer: issuer.url,
        audience: AUDIENCE,
        conditions: { repository: 'acme/api', ref: ['refs/heads/main', 'refs/tags/v*'] },
        userId: deployer.id,
        scopes: ['reports:read', 'reports:create'],
      },
      { token: admin },
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ tokenLifetimeSeconds: 900, enabled: true, conditions: { repository: 'acme/api' } });
    policyId = created.body.id;
  });

  afterAll(async () => {
    await t?.close();
    await issuer?.close();
  });

  it('exchanges a matching ID token for a PAT of the policy user with the policy scopes, expiring in 15 minutes', async () => {
    const idToken = await sign();
    const { response, event } = await exchangeAudited({ subject_token: idToken });
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      access_token: expect.stringMatching(PAT),
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 900,
      scope: 'reports:read reports:create',
    });
    expect(response.body).not.toHaveProperty('refresh_token');
    const pat = response.body.access_token;

    const self = await t.get('/user/me/personal-access-tokens/self', { token: pat });
    expect(self.status).toBe(200);
    expect(self.body.scopes).toEqual(['reports:create', 'reports:read']);
    expect(new Date(self.body.expiresAt).getTime()).toBe(t.clock.now().getTime() + 15 * MINUTE);
    const owned = await t.get(`/admin/personal-access-tokens?userId=${deployer.id}`, { token: admin });
    expect(owned.body.items.map((token: { id: string }) => token.id)).toContain(self.body.id);
    // Only the policy's scopes: listing tokens needs personal_access_tokens:read, which it lacks.
    expect((await t.get('/user/me/personal-access-tokens', { token: pat })).status).toBe(403);

    const audited = await event();
    expect(audited).toMatchObject({
      action: 'token_exchange.exchange',
      outcome: 'success',
      actorUserId: deployer.id,
      targetId: self.body.id,
    });
    expect(JSON.parse(audited.details!)).toMatchObject({
      policy: 'acme-api-deploy',
      issuer: issuer.url,
      subject: 'repo:acme/api:ref:refs/heads/main',
      matched: { repository: 'acme/api', ref: 'refs/heads/main' },
    });
    expect(JSON.stringify(audited)).not.toContain(idToken);
    expect(JSON.stringify(audited)).not.toContain(idToken.split('.')[2]);

    // It expires on time, whatever the expiry job does.
    t.clock.advance(15 * MINUTE - SECOND);
    expect((await t.get('/user/me/personal-access-tokens/self', { token: pat })).status).toBe(200);
    t.clock.advance(SECOND);
    expect((await t.get('/user/me/personal-access-tokens/self', { token: pat })).status).toBe(401);
  });

  it('refuses a replayed ID token (same jti), and the first PAT stays the only one', async () => {
    const idToken = await sign();
    expect((await exchange({ subject_token: idToken })).status).toBe(200);
    const again = await exchange({ subject_token: idToken });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'invalid_grant', code: 'subject_token_replayed', error_description: expect.any(String) });
    expect(again.body).not.toHaveProperty('access_token');
  });

  it.each([
    ['repository', { repository: 'evil/api', sub: 'repo:evil/api:ref:refs/heads/main' }],
    ['ref', { ref: 'refs/heads/feature' }],
    ['repository', { repository: undefined }],
    ['ref', { ref: ['refs/heads/main'] }],
  ])('refuses a token whose %s claim fails its condition, and audits which one', async (claim, claims) => {
    const { response, event } = await exchangeAudited({ subject_token: await sign(claims) });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      error: 'invalid_grant',
      code: 'no_matching_policy',
      statusCode: 400,
      requestId: expect.any(String),
    });
    const audited = await event();
    expect(audited.outcome).not.toBe('success');
    expect(JSON.parse(audited.details!).failedConditions).toEqual({ 'acme-api-deploy': [claim] });
  });

  it('exchanges an ID token without a jti once, and refuses its replay (a provider that sends none, such as oidc-provider)', async () => {
    const idToken = await sign({ jti: undefined });
    expect(JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString())).not.toHaveProperty('jti');
    expect((await exchange({ subject_token: idToken })).status).toBe(200);
    expect((await exchange({ subject_token: idToken })).body).toMatchObject({ error: 'invalid_grant', code: 'subject_token_replayed' });
    // A jti that is not a string is refused.
    expect((await exchange({ subject_token: await sign({ jti: 42 as unknown as string }) })).body).toMatchObject({ code: 'invalid_jti' });
  });

  it('accepts a tag matching the v* pattern', async () => {
    expect((await exchange({ subject_token: await sign({ ref: 'refs/tags/v1.2.0' }) })).status).toBe(200);
  });

  it.each([
    ['expired (beyond the 30 s skew)', () => ({ exp: Math.floor(t.clock.now().getTime() / 1000) - 31 }), 'subject_token_expired'],
    ['not yet valid (nbf beyond the skew)', () => ({ nbf: Math.floor(t.clock.now().getTime() / 1000) + 120 }), 'not_yet_valid'],
    ['issued in the future (iat beyond the skew)', () => ({ iat: Math.floor(t.clock.now().getTime() / 1000) + 120 }), 'not_yet_valid'],
    ['for another audience', () => ({ aud: 'https://other.example.test' }), 'wrong_audience'],
  ])('refuses a token %s', async (_what, claims, code) => {
    const response = await exchange({ subject_token: await sign(claims()) });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: 'invalid_grant', code });
  });

  it('accepts an expiry within the clock skew', async () => {
    expect((await exchange({ subject_token: await sign({ exp: Math.floor(t.clock.now().getTime() / 1000) - 10 }) })).status).toBe(200);
  });

  it('refuses a token signed by a key the JWKS does not hold, then accepts it once the issuer rotates to that key', async () => {
    const next = await issuer.newKey(false);
    const early = await issuer.sign(next, t.clock.now());
    const refused = await exchange({ subject_token: early });
    expect(refused.body).toMatchObject({ error: 'invalid_grant', code: 'unknown_signing_key' });
    issuer.rotateTo(next);
    const fetches = issuer.jwksFetches;
    const accepted = await exchange({ subject_token: await issuer.sign(next, t.clock.now()) });
    expect(accepted.status).toBe(200);
    expect(issuer.jwksFetches).toBeGreaterThan(fetches);
    // The old key is gone from the JWKS: its tokens no longer verify.
    expect((await exchange({ subject_token: await sign() })).body.code).toBe('unknown_signing_key');
    issuer.rotateTo(next, key);
  });

  it('refuses a token from an issuer no policy trusts, and a forged signature', async () => {
    const other = await issuer.sign(key, t.clock.now(), {}, 'https://untrusted.example.test');
    expect((await exchange({ subject_token: other })).body).toMatchObject({ error: 'invalid_grant', code: 'untrusted_issuer' });
    const [header, payload] = (await sign()).split('.');
    const forged = `${header}.${payload}.${(await sign({ repository: 'x' })).split('.')[2]}`;
    expect((await exchange({ subject_token: forged })).body).toMatchObject({ error: 'invalid_grant', code: 'invalid_signature' });
    expect((await exchange({ subject_token: 'not-a-jwt' })).body).toMatchObject({
      error: 'invalid_grant',
      code: 'malformed_subject_token',
    });
  });

  it('narrows to requested scopes within the policy and refuses scopes beyond it', async () => {
    const narrowed = await exchange({ subject_token: await sign(), scope: 'reports:read' });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('reports:read');
    const self = await t.get('/user/me/personal-access-tokens/self', { token: narrowed.body.access_token });
    expect(self.body.scopes).toEqual(['reports:read']);
    const wider = await exchange({ subject_token: await sign(), scope: 'reports:read reports:delete' });
    expect(wider.body).toMatchObject({ error: 'invalid_scope', code: 'scope_not_in_policy' });
  });

  it('answers RFC 6749 errors for a wrong grant type, token type, a JSON body and missing fields', async () => {
    expect((await exchange({ grant_type: 'password', subject_token: await sign() })).body).toMatchObject({
      error: 'unsupported_grant_type',
      statusCode: 400,
    });
    expect(
      (await exchange({ subject_token_type: 'urn:ietf:params:oauth:token-type:saml2', subject_token: await sign() })).body,
    ).toMatchObject({
      error: 'invalid_request',
      code: 'unsupported_subject_token_type',
    });
    const json = await t.post('/oauth/token', { grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: await sign() });
    expect(json.status).toBe(400);
    expect(json.body).toMatchObject({ error: 'invalid_request', code: 'form_encoding_required' });
    const missing = await exchange({});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({
      error: 'invalid_request',
      code: 'validation_failed',
      details: [expect.objectContaining({ field: 'subject_token' })],
    });
    const twice = await t.request('POST', '/oauth/token', {
      body: `grant_type=${encodeURIComponent(GRANT)}&subject_token_type=${encodeURIComponent(ID_TOKEN)}&subject_token=a&subject_token=b`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(twice.body).toMatchObject({ error: 'invalid_request', details: [expect.objectContaining({ field: 'subject_token' })] });
  });

  it("refuses when the policy's user is deactivated, and mints again once reactivated", async () => {
    expect((await t.patch(`/admin/users/${deployer.id}`, { active: false }, { token: admin })).status).toBe(200);
    expect((await exchange({ subject_token: await sign() })).body).toMatchObject({ error: 'invalid_grant', code: 'policy_user_inactive' });
    expect((await t.patch(`/admin/users/${deployer.id}`, { active: true }, { token: admin })).status).toBe(200);
    expect((await exchange({ subject_token: await sign() })).status).toBe(200);
  });

  it('stops exchanging when the policy is disabled', async () => {
    expect((await t.patch(`/admin/token-exchange-policies/${policyId}`, { enabled: false }, { token: admin })).status).toBe(200);
    expect((await exchange({ subject_token: await sign() })).body.code).toBe('untrusted_issuer');
    expect((await t.patch(`/admin/token-exchange-policies/${policyId}`, { enabled: true }, { token: admin })).status).toBe(200);
  });

  it('is rate-limited per client IP like logins (60 a minute by default), whether the exchanges succeed or not', async () => {
    for (let i = 0; i < 60; i++) expect((await exchange({ subject_token: 'not-a-jwt' }, '10.9.9.9')).status).toBe(400);
    const limited = await exchange({ subject_token: await sign() }, '10.9.9.9');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect((await exchange({ subject_token: await sign() }, '10.9.9.10')).status).toBe(200);
  });

  describe('the admin API of trust policies', () => {
    const base = () => ({
      name: `p-${Math.random().toString(36).slice(2, 8)}`,
      issuer: issuer.url,
      audience: AUDIENCE,
      conditions: { repository: 'acme/x' },
      userId: deployer.id,
      scopes: ['reports:read'],
    });

    it('is for administrators only', async () => {
      // A fresh member: the deployer's session ended when an earlier case deactivated them.
      const memberSession = (await t.createUser('member')).session;
      expect((await t.post('/admin/token-exchange-policies', base(), { token: memberSession })).status).toBe(403);
      expect((await t.get('/admin/token-exchange-policies', { token: memberSession })).status).toBe(403);
    });

    it("refuses scopes the user's role cannot grant, and a role that cannot generate tokens", async () => {
      const refused = await t.post('/admin/token-exchange-policies', { ...base(), scopes: ['admin:write'] }, { token: admin });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('scope_not_grantable');
      const viewer = await t.createUser('viewer');
      const noGenerate = await t.post('/admin/token-exchange-policies', { ...base(), userId: viewer.id }, { token: admin });
      expect(noGenerate.status).toBe(403);
      expect(noGenerate.body.code).toBe('policy_user_cannot_generate');
    });

    it.each([
      ['conditions', { conditions: null }],
      ['conditions', { conditions: {} }],
      ['conditions.ref', { conditions: { ref: 7 } }],
      ['tokenLifetimeSeconds', { tokenLifetimeSeconds: 7200 }],
      ['issuer', { issuer: 'ftp://x' }],
      ['userId', { userId: null }],
      ['name', { name: '' }],
    ])('answers 400 naming %s for bad input', async (field, override) => {
      const response = await t.post('/admin/token-exchange-policies', { ...base(), ...override }, { token: admin });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });

    it('lists, reads, and deletes a policy; a taken name is 409', async () => {
      const body = base();
      const created = await t.post('/admin/token-exchange-policies', body, { token: admin });
      expect(created.status).toBe(201);
      expect((await t.post('/admin/token-exchange-policies', body, { token: admin })).status).toBe(409);
      expect((await t.get('/admin/token-exchange-policies', { token: admin })).body.items.map((p: { name: string }) => p.name)).toContain(
        body.name,
      );
      expect((await t.get(`/admin/token-exchange-policies/${created.body.id}`, { token: admin })).body.conditions).toEqual({
        repository: 'acme/x',
      });
      expect((await t.delete(`/admin/token-exchange-policies/${created.body.id}`, { token: admin })).status).toBe(204);
      expect((await t.get(`/admin/token-exchange-policies/${created.body.id}`, { token: admin })).status).toBe(404);
    });
  });
});
