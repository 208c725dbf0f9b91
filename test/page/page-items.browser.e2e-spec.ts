import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { buildPage, CHROMIUM, HAS_CHROMIUM, launchBrowser, LiveClock, see } from './support/browser';
import { describeWith } from '../support/prerequisites';

jest.setTimeout(120_000);

const suite = describeWith(HAS_CHROMIUM ? undefined : `${CHROMIUM} is absent (apt-get install -y chromium)`);
/** The page's one date format, "Dec 3, 2026, 8:58 AM" (never "12/3/2026, 9:58:14 AM"). */
const ONE_FORMAT = /[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M/;
const OTHER_FORMAT = /\d{1,2}\/\d{1,2}\/\d{4}/;
const TOKENS = '/user/me/personal-access-tokens';
/** Screenshots at each width, beside those of page.browser.e2e-spec.ts (the README's come from both). */
const SHOTS = process.env.PAGE_SCREENSHOT_DIR ?? join(tmpdir(), 'pat-page-screenshots');

/**
 * What issue 22 found a person notices at once, one case per finding, at a phone's width and at a
 * laptop's. `PAGE_ASSETS_DIR` runs them against another build of the page (an older one, to see them fail).
 */
suite('the page, as a person finds it, in Chromium', () => {
  describe.each([390, 1280])('the page at %i px, as a person finds it', (width) => {
    let assetsDir: string;
    let app: TestApp;
    let base: string;
    let browser: Browser;
    let member: TestUser;
    let viewer: TestUser;
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

    const openToken = async (id: string, on = page) => {
      await on.goto(`${base}/page/tokens/${id}`);
      await on.getByRole('heading', { level: 1 }).filter({ hasNotText: 'Token' }).first().waitFor();
    };

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      assetsDir = process.env.PAGE_ASSETS_DIR ?? buildPage();
      app = await TestApp.start(testDatabases()[0], { page: { path: '/page', assetsDir } }, clock);
      await app.app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`;
      browser = await launchBrowser();
      member = await app.createUser('member');
      viewer = await app.createUser('viewer');
      ({ context, page } = await signedIn(member.email, member.password));
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await app?.close();
      if (assetsDir && !process.env.PAGE_ASSETS_DIR) rmSync(assetsDir, { recursive: true, force: true });
    });

    it('1. keeps the table within the window, a 100-character name without break points included', async () => {
      const long = await app.mintToken(member.session, { name: 'x'.repeat(100), scopes: ['reports:read'] });
      await page.goto(`${base}/page`);
      const row = page.locator('tr', { has: page.getByRole('link', { name: long.name, exact: true }) });
      await see.visible(row);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      for (const control of [
        row.getByRole('button', { name: /^Delete / }),
        row.getByRole('link', { name: /^View / }),
        row.locator('.badge'),
      ]) {
        const box = (await control.first().boundingBox())!;
        expect(box.x + box.width).toBeLessThanOrEqual(width);
      }
      await page.screenshot({ path: join(SHOTS, `table-${width}.png`), fullPage: true });
    });

    it('2. says nothing of "below" once the rotated secret is stored and gone', async () => {
      const token = await app.mintToken(member.session, { name: `rotate-${width}`, scopes: ['reports:read'] });
      await openToken(token.id);
      await page.getByRole('button', { name: 'Rotate', exact: true }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Rotate token' }).click();
      await page.getByRole('heading', { name: 'Copy your new token now' }).waitFor();
      await page.getByRole('button', { name: 'I have stored it' }).click();
      await see.count(page.getByRole('heading', { name: 'Copy your new token now' }), 0);
      expect(await page.locator('main').innerText()).not.toMatch(/below/i);
    });

    it('3. shows before any click when the next rotation is allowed, in the one date format', async () => {
      const token = await app.mintToken(member.session, { name: `rotated-${width}`, scopes: ['reports:read'] });
      await app.patch(`${TOKENS}/${token.id}/rotate`, {}, { token: member.session });
      await openToken(token.id);
      await see.contains(page.locator('main'), 'rotate it again after');
      await see.count(page.getByRole('button', { name: 'Rotate', exact: true }), 0);
      const text = await page.locator('main').innerText();
      expect(text).toMatch(new RegExp(`rotate it again after ${ONE_FORMAT.source}`));
      expect(text).not.toMatch(OTHER_FORMAT);
    });

    it('4. shows a new secret only once: back to the list and into the token again, it is gone', async () => {
      // A rotated secret first: a path every build of the page offers, so an older one fails here for this reason.
      const rotated = await app.mintToken(member.session, { name: `once-rotated-${width}`, scopes: ['reports:read'] });
      await openToken(rotated.id);
      await page.getByRole('button', { name: 'Rotate', exact: true }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Rotate token' }).click();
      await page.getByRole('heading', { name: 'Copy your new token now' }).waitFor();
      await see.contains(page.locator('main'), 'only time it is shown');
      await page.getByRole('link', { name: '← Your tokens' }).click();
      await page.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
      await page.getByRole('link', { name: `once-rotated-${width}`, exact: true }).click();
      await page.waitForURL(`**/page/tokens/${rotated.id}`);
      await page.getByRole('heading', { level: 1, name: `once-rotated-${width}` }).waitFor();
      await see.count(page.getByRole('heading', { name: 'Copy your new token now' }), 0);
      await see.count(page.getByText('only time it is shown'), 0);

      // Then a created one, from the form.
      await page.goto(`${base}/page/tokens/new`);
      await page.getByLabel('Name', { exact: true }).fill(`once-${width}`);
      await page.getByLabel('Access to Reports').selectOption({ label: 'Read' });
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('heading', { name: 'Copy your new token now' }).waitFor();
      await see.contains(page.locator('.secret'), 'only time it is shown');
      const id = page.url().split('/').pop()!;
      await page.getByRole('link', { name: '← Your tokens' }).click();
      await page.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
      await page.getByRole('link', { name: `once-${width}`, exact: true }).click();
      await page.waitForURL(`**/page/tokens/${id}`);
      await see.visible(page.getByRole('heading', { name: 'Permissions' }));
      await see.count(page.getByRole('heading', { name: 'Copy your new token now' }), 0);
      await see.count(page.getByTestId('secret'), 0);
    });

    it('5. tells an administrator who revokes a token nothing of a notice when no webhook is configured', async () => {
      const token = await app.mintToken(member.session, { name: `admin-revoke-${width}`, scopes: ['reports:read'] });
      const admin = await signedIn(ADMIN_EMAIL, ADMIN_PASSWORD);
      await admin.page.goto(`${base}/page/admin?search=admin-revoke-${width}`);
      await admin.page.getByRole('button', { name: `Revoke ${token.name} of ${member.email}` }).click();
      const dialog = admin.page.getByRole('dialog');
      expect(await dialog.innerText()).not.toMatch(/notified/);
      await dialog.getByRole('button', { name: 'Revoke token' }).click();
      await see.contains(admin.page.getByRole('status'), 'was revoked');
      expect(await admin.page.locator('main').innerText()).not.toMatch(/notified/);
      await admin.context.close();
    });

    it('6. tells a viewer why they cannot create a token, and offers no form that cannot be sent', async () => {
      const seen = await signedIn(viewer.email, viewer.password);
      await see.count(seen.page.getByRole('link', { name: 'Create token' }), 0);
      await see.contains(seen.page.locator('main'), 'may not create tokens');
      await seen.page.goto(`${base}/page/tokens/new`);
      await see.contains(seen.page.locator('main'), `Your role (viewer) may not create tokens`);
      await see.count(seen.page.getByRole('button', { name: 'Create token' }), 0);
      await see.count(seen.page.getByLabel('Name', { exact: true }), 0);
      await seen.context.close();
    });

    it('7. keeps the admin filters and sort in the URL, links names to the token, and tells a member the view is for administrators', async () => {
      const token = await app.mintToken(member.session, { name: `admin-link-${width}`, scopes: ['reports:read'] });
      const admin = await signedIn(ADMIN_EMAIL, ADMIN_PASSWORD);
      await admin.page.goto(`${base}/page/admin`);
      await admin.page.getByLabel('Status').selectOption('active');
      await admin.page.getByLabel('Token name contains').fill(`admin-link-${width}`);
      await admin.page.getByRole('button', { name: 'Apply filters' }).click();
      await admin.page.waitForURL(/status=active/);
      await admin.page.getByRole('button', { name: /^Expires/ }).click();
      await admin.page.waitForURL(/sort=expiresAt/);
      await admin.page.reload();
      await see.value(admin.page.getByLabel('Status'), 'active');
      await see.value(admin.page.getByLabel('Token name contains'), `admin-link-${width}`);
      await see.attr(admin.page.locator('th', { has: admin.page.getByRole('button', { name: /^Expires/ }) }), 'aria-sort', 'descending');
      await admin.page.getByRole('link', { name: token.name, exact: true }).click();
      await admin.page.getByRole('heading', { level: 1, name: new RegExp(token.name) }).waitFor();
      await see.contains(admin.page.locator('.details'), member.email);
      await admin.context.close();

      await page.goto(`${base}/page/admin`);
      await page.getByRole('heading', { level: 1, name: 'For administrators only' }).waitFor();
    });

    it('8. moves focus to the first field in error after a failed submit', async () => {
      await page.goto(`${base}/page/tokens/new`);
      await page.getByRole('button', { name: 'Create token' }).click();
      await see.visible(page.getByText('Please correct the highlighted fields.'));
      expect(await page.evaluate(() => document.activeElement?.id)).toBe(await page.getByLabel('Name', { exact: true }).getAttribute('id'));

      await page.getByLabel('Name', { exact: true }).fill(`focus-${width}`);
      await page.getByRole('button', { name: 'Create token' }).click();
      await see.visible(page.getByText('Choose at least one permission.'));
      expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toMatch(/^Access to /);
    });

    it('9. shows permissions in words, No access / Read / Read and write, with one-entity permissions only where they make sense', async () => {
      await page.goto(`${base}/page/tokens/new`);
      const tokens = page.getByLabel('Access to Personal access tokens');
      // allInnerTexts does not wait: the form renders once the catalog has loaded.
      await tokens.locator('option').first().waitFor({ state: 'attached' });
      expect(await tokens.locator('option').allInnerTexts()).toEqual(['No access', 'Read', 'Read and write']);
      await see.contains(page.locator('.permissions'), 'Your own tokens: list, create, rotate, revoke and delete them');
      expect(await page.locator('.permissions').innerText()).not.toContain('personal_access_tokens');
      await page.getByText('Advanced: a permission on one entity only').click();
      await page.getByLabel('Permission', { exact: true }).locator('option').first().waitFor({ state: 'attached' });
      const offered = await page.getByLabel('Permission', { exact: true }).locator('option').allInnerTexts();
      expect(offered).toEqual(['Reports: read', 'Reports: delete']);
      expect(await page.locator('.advanced').innerText()).not.toMatch(/admin|reports:read:42 opens/);

      await page.getByLabel('Name', { exact: true }).fill(`words-${width}`);
      await tokens.selectOption({ label: 'Read and write' });
      await page.getByLabel('Permission', { exact: true }).selectOption({ label: 'Reports: delete' });
      await page.getByLabel('Entity id').fill('42');
      await page.getByRole('button', { name: 'Add', exact: true }).click();
      await page.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('heading', { name: 'Copy your new token now' }).waitFor();
      const id = page.url().split('/').pop()!;
      const stored = await app.get(`${TOKENS}/${id}`, { token: member.session });
      expect([...stored.body.scopes].sort()).toEqual(['personal_access_tokens:read', 'personal_access_tokens:write', 'reports:delete:42']);
      const row = page.locator('.permissions tr', { hasText: 'Personal access tokens' });
      await see.contains(row, 'Read and write');
      await see.contains(page.locator('.permissions tr', { hasText: 'Reports' }), 'only 42');
      await page.getByRole('button', { name: 'I have stored it' }).click();
      await page.screenshot({ path: join(SHOTS, `detail-${width}.png`), fullPage: true });
    });

    it('10. marks a token that expires within 7 days, and not one that expires later', async () => {
      const soon = await app.mintToken(member.session, { name: `soon-${width}`, scopes: ['reports:read'], expiresIn: '1h' });
      const later = await app.mintToken(member.session, { name: `later-${width}`, scopes: ['reports:read'], expiresIn: '30d' });
      await page.goto(`${base}/page?search=${width}`);
      const rowOf = (name: string) => page.locator('tr', { has: page.getByRole('link', { name, exact: true }) });
      await see.contains(rowOf(soon.name), 'Expires soon');
      expect(await rowOf(later.name).innerText()).not.toContain('Expires soon');
    });

    it("11. keeps the page's own views out of the token's activity, and logs no error when the sign-in page loads", async () => {
      const token = await app.mintToken(member.session, { name: `viewed-${width}`, scopes: ['reports:read'] });
      for (let i = 0; i < 3; i++) await openToken(token.id);
      const activity = page.locator('.activity tbody');
      await see.contains(activity, 'Created');
      expect(await activity.innerText()).not.toContain('Viewed');

      const fresh = await browser.newContext({ viewport: { width, height: 900 } });
      const signIn = await fresh.newPage();
      const errors: string[] = [];
      signIn.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await signIn.goto(`${base}/page`);
      await signIn.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(errors).toEqual([]);
      await fresh.close();
    });

    afterAll(async () => {
      await context?.close();
    });
  });
});
