import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Browser } from 'playwright-core';
import { buildPage, CHROMIUM, HAS_CHROMIUM, launchBrowser, LiveClock } from '../page/support/browser';
import { describeWith } from '../support/prerequisites';
import { TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { CLIENT_ID, CLIENT_SECRET, TestProvider } from './support/test-provider';

jest.setTimeout(120_000);

const suite = describeWith(HAS_CHROMIUM ? undefined : `${CHROMIUM} is absent (apt-get install -y chromium)`);

/** A port nobody listens on now: the app's redirect URI must be registered at the provider before the app starts. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The provider on the service's own site (127.0.0.1, another port), and on another site
 * (`localhost`): a real browser then treats every hop between them as cross-site, which is what
 * SameSite cookies (the state cookie, the page's Strict session cookie) meet in production.
 */
const PROVIDER_HOSTS = [
  { host: '127.0.0.1', site: 'on the same site' },
  { host: 'localhost', site: 'on another site' },
];

suite('signing in to the page through the OpenID provider, in Chromium', () => {
  describe.each(PROVIDER_HOSTS)('the provider $site ($host)', ({ host }) => {
    let provider: TestProvider;
    let app: TestApp;
    let browser: Browser;
    let assetsDir: string;
    let base: string;

    beforeAll(async () => {
      assetsDir = buildPage();
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      provider = await TestProvider.start([`${base}/auth/oidc/callback`], [`${base}/page`], { host });
      provider.accounts.set('carol', { email: 'carol@example.test', email_verified: true, name: 'Carol C', groups: ['engineering'] });
      app = await TestApp.start(
        testDatabases()[0],
        {
          page: { path: '/page', assetsDir },
          oidc: {
            issuer: provider.issuer,
            clientId: CLIENT_ID,
            clientSecret: CLIENT_SECRET,
            redirectUri: `${base}/auth/oidc/callback`,
            label: 'Test IdP',
            scopes: ['openid', 'email', 'profile', 'groups'],
            roleMap: { engineering: 'member' },
            allowLoopbackHttp: true,
          },
        },
        new LiveClock(),
      );
      await app.app.listen(port, '127.0.0.1');
      browser = await launchBrowser();
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await provider?.close();
      if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
    });

    it('walks sign-in (provider login, consent, callback), uses the session, and signs out at the provider too', async () => {
      const context = await browser.newContext();
      const page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(`${base}/page`);
      await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();

      // The provider's own screens, on its own host; the state cookie waits for the way back.
      await page.locator('input[name="login"]').waitFor();
      expect(new URL(page.url()).hostname).toBe(host);
      const state = (await context.cookies(`${base}/auth/oidc/callback`)).find((cookie) => cookie.name === 'pat_oidc_state');
      expect(state).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/auth/oidc' });
      await page.locator('input[name="login"]').fill('carol');
      await page.locator('input[name="password"]').fill('anything');
      await page.getByRole('button', { name: 'Sign-in' }).click();
      await page.getByRole('button', { name: 'Continue' }).click();

      // Back on the page, signed in as the provisioned user.
      await page.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
      expect(new URL(page.url()).pathname).toBe('/page');
      await page.getByText('carol@example.test').first().waitFor();
      const cookies = await context.cookies(base);
      const session = cookies.find((cookie) => cookie.name === 'pat_session')!;
      expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      expect(cookies.find((cookie) => cookie.name === 'pat_oidc_state')).toBeUndefined();
      app.secrets.add(session.value);
      expect((await app.get('/user/me', { token: session.value })).body).toMatchObject({ email: 'carol@example.test', role: 'member' });

      // Sign out: the local session ends, then the provider asks to end its own.
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Yes, sign me out' }).waitFor();
      expect(new URL(page.url()).hostname).toBe(host);
      await page.getByRole('button', { name: 'Yes, sign me out' }).click();
      await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      expect(new URL(page.url()).pathname).toMatch(/^\/page/);
      expect((await app.get('/user/me', { token: session.value })).status).toBe(401);
      expect((await context.cookies(base)).find((cookie) => cookie.name === 'pat_session')).toBeUndefined();

      // The provider's session ended too: signing in again asks for the login once more.
      await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
      await page.locator('input[name="login"]').waitFor();
      await context.close();
    });
  });
});
