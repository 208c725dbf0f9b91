import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { expectErrorShape, sqlQueriesLogged } from '../support/assertions';

const BASE = '/user/me/personal-access-tokens';

interface Operation {
  parameters?: { name: string; in: string }[];
}

/**
 * A client that pastes a live token into a URL (a path segment, a query parameter) must not get it
 * echoed in the answer, nor find it in the service's logs (SQL included, LOG_SQL is on in tests).
 * Deterministic: every route of the OpenAPI document, every path and query parameter, every run.
 */
describe.each(testDatabases())('secrets pasted into URLs on $name', (database) => {
  let t: TestApp;
  let alice: TestUser;
  let secret: string;
  let tokenId: string;

  beforeAll(async () => {
    t = await TestApp.start(database);
    alice = await t.createUser('member');
    const pat = await t.mintToken(alice.session, { scopes: ['personal_access_tokens:read', 'personal_access_tokens:write', 'user:read'] });
    secret = pat.token;
    tokenId = pat.id;
  });
  afterAll(() => t.close());

  const leaksIn = (text: string) => text.includes(secret) || text.includes(secret.slice(4));
  const logsLeak = () => t.logs.some(leaksIn);

  // A path that exists answers another method with 405 (and Allow), one that does not with 404.
  it.each([
    ['GET', '/nope?t=SECRET', 404],
    ['GET', '/nope/SECRET', 404],
    ['TRACE', '/user/me?t=SECRET', 405],
    ['PUT', `/user/me?t=SECRET`, 405],
    ['PUT', `${BASE}/SECRET`, 405],
  ])('%s %s (no such route): %d in the one shape, the secret not echoed', async (method, url, status) => {
    const response = await t.request(method, url.replace('SECRET', secret), { token: alice.session });
    expectErrorShape(response, status);
    expect(leaksIn(JSON.stringify(response.body))).toBe(false);
    expect(logsLeak()).toBe(false);
  });

  it('removing a "scope" that is a token: 404, not echoed, and not in the SQL log', async () => {
    const before = sqlQueriesLogged(t).length;
    const response = await t.delete(`${BASE}/${tokenId}/scopes/${secret}`, { token: alice.session });
    expectErrorShape(response, 404);
    expect(response.body.code).toBe('scope_not_found');
    expect(leaksIn(JSON.stringify(response.body))).toBe(false);
    expect(sqlQueriesLogged(t).length).toBeGreaterThan(before);
    expect(logsLeak()).toBe(false);
    // The token and its scopes are as they were.
    const scopes = await t.get(`${BASE}/${tokenId}`, { token: alice.session });
    expect(scopes.body.scopes).toEqual(expect.arrayContaining(['personal_access_tokens:read', 'user:read']));
  });

  it('removing a scope the token does not hold: 404 without naming it', async () => {
    const response = await t.delete(`${BASE}/${tokenId}/scopes/reports:read`, { token: alice.session });
    expectErrorShape(response, 404);
    expect(response.body.message).not.toContain('reports:read');
  });

  it('every route, the secret in each path and query parameter in turn: never in a body or a log line', async () => {
    const spec = (await t.get('/docs-json')).body as { paths: Record<string, Record<string, Operation>> };
    const sent: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const parameters = (operation.parameters ?? []).filter((p) => p.in === 'path' || p.in === 'query');
        for (const target of parameters) {
          let url = path.replace(/\{(\w+)\}/g, (_, name: string) => (name === target.name ? secret : tokenId));
          if (target.in === 'query') url += `?${target.name}=${secret}`;
          const response = await t.request(method.toUpperCase(), url, {
            token: alice.session,
            ...(['post', 'patch', 'put'].includes(method) && { body: {} }),
          });
          sent.push(`${method} ${path} ${target.name}`);
          expect([method, path, target.name, leaksIn(JSON.stringify(response.body))]).toEqual([method, path, target.name, false]);
          expect([method, path, target.name, logsLeak()]).toEqual([method, path, target.name, false]);
        }
      }
    }
    expect(sent).toContain(`delete ${BASE}/{id}/scopes/{scope} scope`);
  });
});
