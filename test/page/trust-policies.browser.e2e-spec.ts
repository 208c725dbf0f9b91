import { mkdirSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeWith } from '../support/prerequisites';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { TestIssuer } from '../oidc/support/test-issuer';
import { buildPage, CHROMIUM, HAS_CHROMIUM, launchBrowser, LiveClock, see, seriousViolations } from './support/browser';

jest.setTimeout(120_000);

const suite = describeWith(HAS_CHROMIUM ? undefined : `${CHROMIUM} is absent (apt-get install -y chromium)`);
const SHOTS = process.env.PAGE_SCREENSHOT_DIR ?? join(tmpdir(), 'pat-page-screenshots');
const POLICIES = '/admin/token-exchange-policies';
const AUDIENCE = 'https://pat.example.test';
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';

/**
 * Trust policies of CI token exchange, managed by an administrator on the page: listed, created,
 * edited and deleted with the API's own messages beside the fields, and each exchange's audit
 * events shown under its policy; at a phone's width and a laptop's, on the database under test.
 */
suite('trust policies on the page, in Chromium', () => {
  describe.each(testDatabases().flatMap((database) => [390, 1280].map((width) => ({ database, width }))))(
    'on $database.name at $width px',
    ({ database, width }) => {
      let assetsDir: string;
      let app: TestApp;
      let issuer: TestIssuer;
      let key: Awaited<ReturnType<TestIssuer['newKey']>>;
      let base: string;
      let browser: Browser;
      let admin: string;
      let deployer: TestUser;
      let context: BrowserContext;
      let page: Page;
      const clock = new LiveClock();

      async function signedIn(email: string, password: string): Promise<{ context: BrowserContext; page: Page }> {
        const next = await browser.newContext({ viewport: { width, height: 900 } });
        const opened = await next.newPage();
        opened.setDefaultTimeout(20_000);
        await opened.goto(`${base}/page`);
        await opened.getByLabel('Email').fill(email);
        await opened.getByLabel('Password').fill(password);
        await opened.getByRole('button', { name: 'Sign in' }).click();
        await opened.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
        return { context: next, page: opened };
      }
      const fieldError = (label: string) =>
        page.locator('.field', { has: page.getByLabel(label, { exact: true }) }).locator('.field-error');
      const fitsTheWindow = async () => expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      async function signAndExchange(claims: Record<string, unknown>) {
        const token = await issuer.sign(key, clock.now(), { aud: AUDIENCE, ...claims });
        return app.request('POST', '/oauth/token', {
          body: new URLSearchParams({ grant_type: GRANT, subject_token_type: ID_TOKEN, subject_token: token }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        });
      }

      beforeAll(async () => {
        mkdirSync(SHOTS, { recursive: true });
        assetsDir = buildPage();
        issuer = await TestIssuer.start();
        key = await issuer.newKey();
        app = await TestApp.start(
          database,
          { page: { path: '/page', assetsDir }, tokenExchange: { allowLoopbackHttpIssuers: true, jwksCooldownSeconds: 0 } },
          clock,
        );
        await app.app.listen(0, '127.0.0.1');
        base = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`;
        browser = await launchBrowser();
        admin = await app.loginAdmin();
        deployer = await app.createUser('member');
        ({ context, page } = await signedIn(ADMIN_EMAIL, ADMIN_PASSWORD));
      }, 240_000);

      afterAll(async () => {
        await context?.close();
        await browser?.close();
        await app?.close();
        await issuer?.close();
        if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
      });

      it('creates a policy from the form: issuer, audience, claim conditions, user, scopes and lifetime', async () => {
        await page.getByRole('link', { name: 'Trust policies' }).click();
        await page.getByRole('heading', { level: 1, name: 'Trust policies' }).waitFor();
        await see.contains(page.locator('main'), 'No trust policy yet');
        await page.getByRole('link', { name: 'New trust policy' }).click();
        await page.getByRole('heading', { level: 1, name: 'New trust policy' }).waitFor();

        await page.getByLabel('Name', { exact: true }).fill('acme-api-deploy');
        await page.getByLabel('Issuer', { exact: true }).fill(issuer.url);
        await page.getByLabel('Audience', { exact: true }).fill(AUDIENCE);
        await page.locator('#value-0').fill('acme/api');
        await page.getByRole('button', { name: 'Add condition' }).click();
        await page.locator('#claim-2').fill('ref');
        await page.locator('#value-2').fill('refs/tags/v*');
        await page.getByLabel('Tokens for', { exact: true }).selectOption({ label: `${deployer.email} (member)` });
        await page.getByRole('checkbox', { name: /^reports:read/ }).check();
        await page.getByLabel('Token lifetime', { exact: true }).selectOption({ label: '30 minutes' });
        await fitsTheWindow();
        await page.screenshot({ path: join(SHOTS, `trust-policy-new-${width}.png`), fullPage: true });
        await page.getByRole('button', { name: 'Create trust policy' }).click();

        await page.getByRole('heading', { level: 1, name: 'Trust policy acme-api-deploy' }).waitFor();
        const listed = (await app.get(POLICIES, { token: admin })).body.items;
        expect(listed).toEqual([
          expect.objectContaining({
            name: 'acme-api-deploy',
            issuer: issuer.url,
            audience: AUDIENCE,
            conditions: { repository: 'acme/api', ref: ['refs/heads/main', 'refs/tags/v*'] },
            userId: deployer.id,
            scopes: ['reports:read'],
            tokenLifetimeSeconds: 1800,
            enabled: true,
          }),
        ]);
      });

      it.each([
        ['Issuer', { issuer: 'ftp://ci.example.test' }],
        ['Claim conditions', { conditions: {} }],
        ['Scopes', { scopes: ['admin:read'] }],
        ['Name', { name: 'acme-api-deploy' }],
      ])('shows the API message beside %s when the API refuses the new policy', async (field, change) => {
        const body = {
          name: `other-${width}`,
          issuer: issuer.url,
          audience: AUDIENCE,
          conditions: { repository: 'acme/web' },
          userId: deployer.id,
          scopes: ['reports:read'],
          ...change,
        };
        const refused = await app.post(POLICIES, body, { token: admin });
        expect(refused.status).toBeGreaterThanOrEqual(400);
        const apiMessage: string = refused.body.details?.[0]?.reason ?? refused.body.message;

        await page.goto(`${base}/page/admin/trust-policies/new`);
        await page.getByRole('heading', { level: 1, name: 'New trust policy' }).waitFor();
        await page.getByLabel('Name', { exact: true }).fill(body.name);
        await page.getByLabel('Issuer', { exact: true }).fill(body.issuer);
        await page.getByLabel('Audience', { exact: true }).fill(body.audience);
        await page.locator('#value-0').fill('acme/web');
        await page.getByRole('button', { name: 'Remove condition 2 (ref)' }).click();
        if ('conditions' in change) await page.getByRole('button', { name: 'Remove condition 1 (repository)' }).click();
        await page.getByLabel('Tokens for', { exact: true }).selectOption({ label: `${deployer.email} (member)` });
        for (const scope of body.scopes) await page.getByRole('checkbox', { name: new RegExp(`^${scope}`) }).check();
        await page.getByRole('button', { name: 'Create trust policy' }).click();

        await see.text(page.getByRole('alert'), 'Please correct the highlighted fields.');
        const shown =
          field === 'Claim conditions' || field === 'Scopes'
            ? page.locator('fieldset', { has: page.locator('legend', { hasText: field }) }).locator('.field-error')
            : fieldError(field);
        const expected = apiMessage.charAt(0).toUpperCase() + apiMessage.slice(1);
        await see.text(shown, expected.endsWith('.') ? expected : `${expected}.`);
        expect((await app.get(POLICIES, { token: admin })).body.items.map((p: { name: string }) => p.name)).toEqual(['acme-api-deploy']);
      });

      it("shows each exchange's audit events under its policy: the claims that matched, or the condition that failed", async () => {
        expect((await signAndExchange({ repository: 'acme/api', ref: 'refs/tags/v1.2.0' })).status).toBe(200);
        expect((await signAndExchange({ repository: 'acme/api', ref: 'refs/heads/feature' })).status).toBe(400);
        const policy = (await app.get(POLICIES, { token: admin })).body.items[0];

        await page.goto(`${base}/page/admin/trust-policies/${policy.id}`);
        const events = page.locator('table.exchange-events tbody tr');
        await see.count(events, 2);
        await see.contains(events.nth(0), 'Refused');
        await see.contains(events.nth(0), 'no_matching_policy');
        await see.contains(events.nth(0), 'Failed ref');
        await see.contains(events.nth(1), 'Token issued');
        await see.contains(events.nth(1), 'repository=acme/api');
        await see.contains(events.nth(1), 'ref=refs/tags/v1.2.0');
        await fitsTheWindow();
        expect(await seriousViolations(page)).toEqual([]);
        await page.screenshot({ path: join(SHOTS, `trust-policy-detail-${width}.png`), fullPage: true });

        // And on the list, beside the policies, with the policy each one concerned.
        await page.getByRole('link', { name: '← Trust policies' }).click();
        await page.getByRole('heading', { level: 1, name: 'Trust policies' }).waitFor();
        await see.count(page.locator('table.exchange-events tbody tr'), 2);
        await see.visible(page.locator('table.exchange-events').getByRole('link', { name: 'acme-api-deploy' }));
        await fitsTheWindow();
        expect(await seriousViolations(page)).toEqual([]);
        await page.screenshot({ path: join(SHOTS, `trust-policies-${width}.png`), fullPage: true });
      });

      it('edits a policy (lifetime, conditions, enabled), and the API holds the change', async () => {
        const policy = (await app.get(POLICIES, { token: admin })).body.items[0];
        await page.goto(`${base}/page/admin/trust-policies/${policy.id}`);
        await page.getByRole('heading', { level: 1, name: 'Trust policy acme-api-deploy' }).waitFor();
        await page.getByLabel('Token lifetime', { exact: true }).selectOption({ label: '1 hour' });
        await page.getByRole('button', { name: 'Remove condition 3 (ref)' }).click();
        await page.getByRole('checkbox', { name: /^Enabled/ }).uncheck();
        await page.getByRole('button', { name: 'Save changes' }).click();
        await see.text(page.getByRole('status').filter({ hasText: 'was saved' }), 'Trust policy "acme-api-deploy" was saved.');
        expect((await app.get(`${POLICIES}/${policy.id}`, { token: admin })).body).toMatchObject({
          tokenLifetimeSeconds: 3600,
          conditions: { repository: 'acme/api', ref: 'refs/heads/main' },
          enabled: false,
        });
        // Disabled: the same ID token claims are no longer exchanged.
        expect((await signAndExchange({ repository: 'acme/api', ref: 'refs/heads/main' })).body).toMatchObject({
          code: 'untrusted_issuer',
        });
      });

      it('deletes a policy after asking, and it is gone', async () => {
        const policy = (await app.get(POLICIES, { token: admin })).body.items[0];
        await page.goto(`${base}/page/admin/trust-policies/${policy.id}`);
        await page.getByRole('button', { name: 'Delete policy' }).click();
        await page.getByRole('dialog').getByRole('button', { name: 'Delete policy' }).click();
        await page.getByRole('heading', { level: 1, name: 'Trust policies' }).waitFor();
        await see.contains(page.locator('main'), 'No trust policy yet');
        expect((await app.get(`${POLICIES}/${policy.id}`, { token: admin })).status).toBe(404);
      });

      it('offers trust policies to administrators only', async () => {
        const member = await app.createUser('member');
        const signed = await signedIn(member.email, member.password);
        await see.count(signed.page.getByRole('link', { name: 'Trust policies' }), 0);
        await signed.page.goto(`${base}/page/admin/trust-policies`);
        await see.contains(signed.page.locator('main'), 'Trust policies are managed by administrators');
        await signed.context.close();
      });
    },
  );
});
