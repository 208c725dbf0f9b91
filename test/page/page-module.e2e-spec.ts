import { INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { AppModule } from '../../src/app.module';
import { loadAppConfig } from '../../src/config/load-config';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const HOST = 'pat.example.test';
const ORIGIN = `http://${HOST}`;

/** A stand-in build of the page (the browser suite builds the real one): an index and one asset. */
function fakeBuild(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pat-page-assets-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><html lang="en"><head><meta name="pat-page-base" content="/__PAT_PAGE_BASE__">' +
      '<meta name="pat-page-session" content="__PAT_PAGE_SESSION__">' +
      '<script type="module" src="/__PAT_PAGE_BASE__/assets/app-1a2b.js"></script></head><body></body></html>',
  );
  writeFileSync(join(dir, 'assets/app-1a2b.js'), 'export const base = "/__PAT_PAGE_BASE__";\n');
  return dir;
}

interface Harness {
  server: () => ReturnType<INestApplication['getHttpServer']>;
  close: () => Promise<void>;
}

const assetsDir = fakeBuild();
afterAll(() => rmSync(assetsDir, { recursive: true, force: true }));

const harnesses: [string, () => Promise<Harness>][] = [
  ...testDatabases().map((database): [string, () => Promise<Harness>] => [
    `Fastify on ${database.name}`,
    async () => {
      const app = await TestApp.start(database, { page: { path: '/page', assetsDir }, trustProxy: true });
      return { server: () => app.app.getHttpServer(), close: () => app.close() };
    },
  ]),
  [
    'Express on SQLite',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'pat-page-express-'));
      const config = loadAppConfig({
        DATA_DIR: dataDir,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
        LOG_LEVEL: 'error',
        EXPIRY_JOB_CRON: 'off',
        AUDIT_RETENTION_CRON: 'off',
      });
      const moduleRef = await Test.createTestingModule({
        imports: [AppModule.forRoot({ ...config, page: { path: '/page', assetsDir } })],
      }).compile();
      const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: false });
      await app.init();
      return {
        server: () => app.getHttpServer(),
        close: async () => {
          await app.close();
          rmSync(dataDir, { recursive: true, force: true });
        },
      };
    },
  ],
];

describe.each(harnesses)('the page module, %s', (_name, start) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await start();
  });
  afterAll(() => harness?.close());

  const http = () => request(harness.server());
  const signIn = async () => {
    const response = await http()
      .post('/page/api/session')
      .set('host', HOST)
      .set('origin', ORIGIN)
      .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(response.status).toBe(200);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const cookie = setCookie[0].split(';')[0];
    const session = await http().get('/page/api/session').set('host', HOST).set('cookie', cookie);
    expect(session.status).toBe(200);
    return { cookie, secret: cookie.split('=')[1], csrf: session.body.csrfToken as string, setCookie: setCookie[0], body: response.body };
  };

  it('serves the page with a strict Content-Security-Policy, rebased to its path, and links it from /', async () => {
    const index = await http().get('/page');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    const csp = index.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    expect(index.headers['cache-control']).toBe('no-store');
    expect(index.text).toContain('<script type="module" src="/page/assets/app-1a2b.js">');
    expect(index.text).not.toContain('__PAT_PAGE_BASE__');

    // Every view the page's router knows answers the page itself, so a reload or a shared link works.
    const views = ['/page/tokens/new', '/page/tokens/6f1c2a9e-3c4b-4a7e-9b1d-2f8e5c7a9b10', '/page/admin', '/page/admin/busiest'];
    views.push('/page/admin/requests', '/page/admin/policy', '/page/admin/trust-policies', '/page/admin/trust-policies/new');
    for (const route of views) {
      expect((await http().get(route)).text).toBe(index.text);
    }
    const asset = await http().get('/page/assets/app-1a2b.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toMatch(/^text\/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
    expect(asset.text).toContain('"/page"');
    expect((await http().get('/page/assets/..%2Findex.html')).status).toBe(404);
    expect((await http().get('/page/assets/missing.js')).status).toBe(404);

    const home = await http().get('/');
    expect(home.status).toBe(200);
    expect(home.text).toContain('href="/page"');
  });

  it('tells the page whether the request carried a session cookie (never the cookie), and refuses a bearer session with 403', async () => {
    const without = await http().get('/page/tokens/new');
    expect(without.text).toContain('<meta name="pat-page-session" content="none">');
    const { cookie, secret } = await signIn();
    const withCookie = await http().get('/page/tokens/new').set('cookie', cookie);
    expect(withCookie.text).toContain('<meta name="pat-page-session" content="cookie">');
    expect(withCookie.text).not.toContain(secret);
    // A cookie holding anything but a session token counts as none.
    expect((await http().get('/page').set('cookie', 'pat_session=pat_notasession')).text).toContain('content="none"');

    const bearer = await http().get('/page/api/session').set('authorization', `Bearer ${secret}`);
    expect(bearer.status).toBe(403);
    expect(bearer.body.code).toBe('not_a_page_session');
  });

  it('signs in only from the page itself, into an HttpOnly SameSite=Strict cookie the script never sees', async () => {
    const credentials = { email: ADMIN_EMAIL, password: ADMIN_PASSWORD };
    const noOrigin = await http().post('/page/api/session').set('host', HOST).send(credentials);
    expect(noOrigin.status).toBe(403);
    expect(noOrigin.body.code).toBe('cross_site_request');
    const foreign = await http().post('/page/api/session').set('host', HOST).set('origin', 'http://evil.example').send(credentials);
    expect(foreign.status).toBe(403);
    expect(foreign.headers['set-cookie']).toBeUndefined();
    const wrong = await http()
      .post('/page/api/session')
      .set('host', HOST)
      .set('origin', ORIGIN)
      .send({ ...credentials, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const { setCookie, secret, body } = await signIn();
    expect(setCookie).toMatch(/^pat_session=pats_[A-Za-z0-9]+; Path=\/; Max-Age=\d+; HttpOnly; SameSite=Strict$/);
    expect(Object.keys(body)).toEqual(['expiresAt']);
    expect(JSON.stringify(body)).not.toContain(secret);
  });

  it('accepts the cookie for the API, and refuses every change that lacks the Origin or the CSRF token', async () => {
    const { cookie, csrf } = await signIn();
    const me = await http().get('/user/me').set('host', HOST).set('cookie', cookie);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: ADMIN_EMAIL, authMethod: 'session' });

    const create = (headers: Record<string, string>, name: string) =>
      http()
        .post('/user/me/personal-access-tokens')
        .set({ host: HOST, cookie, ...headers })
        .send({ name, scopes: ['user:read'] });
    const refusals = [
      await create({ origin: ORIGIN }, 'no-csrf-token'),
      await create({ origin: ORIGIN, 'x-csrf-token': `${csrf.slice(0, -2)}xx` }, 'wrong-csrf-token'),
      await create({ 'x-csrf-token': csrf }, 'no-origin'),
      await create({ origin: 'http://evil.example', 'x-csrf-token': csrf }, 'foreign-origin'),
      await create({ origin: 'null', 'x-csrf-token': csrf }, 'opaque-origin'),
    ];
    expect(refusals.map((r) => [r.status, r.body.code])).toEqual(Array(5).fill([403, 'cross_site_request']));
    const created = await create({ origin: ORIGIN, 'x-csrf-token': csrf }, 'from-the-page');
    expect(created.status).toBe(201);

    const list = await http().get('/user/me/personal-access-tokens').set('host', HOST).set('cookie', cookie);
    expect(list.body.items.map((t: { name: string }) => t.name)).toEqual(['from-the-page']);

    // A PAT in the cookie is not a page session: it counts as no credential at all.
    const patCookie = await http().get('/user/me').set('host', HOST).set('cookie', `pat_session=${created.body.token}`);
    expect(patCookie.status).toBe(401);
    expect(patCookie.body.code).toBe('missing_credentials');
    // The Authorization header, when there is one, is what counts.
    const withHeader = await http().get('/user/me').set('cookie', cookie).set('authorization', `Bearer ${created.body.token}`);
    expect(withHeader.body.authMethod).toBe('personal_access_token');
  });

  it('signs out on the server: the cookie is cleared and the session no longer works anywhere', async () => {
    const { cookie, csrf, secret } = await signIn();
    const refused = await http()
      .delete('/page/api/session')
      .set({ host: HOST, cookie, origin: 'http://evil.example', 'x-csrf-token': csrf });
    expect(refused.status).toBe(403);
    expect((await http().get('/user/me').set('host', HOST).set('cookie', cookie)).status).toBe(200);

    const out = await http().delete('/page/api/session').set({ host: HOST, cookie, origin: ORIGIN, 'x-csrf-token': csrf });
    expect(out.status).toBe(204);
    expect(([] as string[]).concat(out.headers['set-cookie'] ?? [])[0]).toMatch(
      /^pat_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Strict/,
    );
    expect((await http().get('/user/me').set('host', HOST).set('cookie', cookie)).status).toBe(401);
    expect((await http().get('/user/me').set('authorization', `Bearer ${secret}`)).status).toBe(401);
  });
});

describe('the page module behind HTTPS', () => {
  it('marks the cookie Secure when the request came over HTTPS, and checks the Origin against the proxied host', async () => {
    const [database] = testDatabases();
    const app = await TestApp.start(database, { page: { path: '/page', assetsDir }, trustProxy: true });
    try {
      const response = await request(app.app.getHttpServer())
        .post('/page/api/session')
        .set({ host: HOST, origin: `https://${HOST}`, 'x-forwarded-proto': 'https' })
        .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect(response.status).toBe(200);
      expect(([] as string[]).concat(response.headers['set-cookie'])[0]).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
      // A trusted proxy that names the public host: the page's Origin is checked against that host.
      const proxied = (origin: string) =>
        request(app.app.getHttpServer())
          .post('/page/api/session')
          .set({ host: 'pat-service:3000', 'x-forwarded-host': 'tokens.example.com', 'x-forwarded-proto': 'https', origin })
          .send({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
      expect((await proxied('https://tokens.example.com')).status).toBe(200);
      expect((await proxied('http://pat-service:3000')).status).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('refuses to start with a page that was never built, saying what to run', async () => {
    const [database] = testDatabases();
    await expect(TestApp.start(database, { page: { path: '/page', assetsDir: join(assetsDir, 'nowhere') } })).rejects.toThrow(
      /not built .*run "npm run build"/,
    );
  });
});
