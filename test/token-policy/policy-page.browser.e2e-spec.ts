import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { PersonalAccessToken } from '../../libs/personal-access-tokens/src/tokens/personal-access-token.entity';
import { RotationOverlap } from '../../libs/personal-access-tokens/src/tokens/rotation-overlap';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { buildPage, CHROMIUM, HAS_CHROMIUM, launchBrowser, LiveClock, see } from '../page/support/browser';
import { describeWith } from '../support/prerequisites';

jest.setTimeout(120_000);

const suite = describeWith(HAS_CHROMIUM ? undefined : `${CHROMIUM} is absent (apt-get install -y chromium)`);
const SHOTS = process.env.PAGE_SCREENSHOT_DIR ?? join(tmpdir(), 'pat-page-screenshots');
const DAY = 24 * 3600 * 1000;

/** The page's side of issue 23 items 2, 5 and 6: rotation overlap, approval of sensitive scopes, the policy report. */
suite('token policy on the page, in Chromium', () => {
  describe.each([390, 1280])('at %i px', (width) => {
    let assetsDir: string;
    let app: TestApp;
    let base: string;
    let browser: Browser;
    let member: TestUser;
    let page: Page;
    let adminPage: Page;

    async function signedIn(email: string, password: string): Promise<Page> {
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      const opened = await context.newPage();
      opened.setDefaultTimeout(20_000);
      await opened.goto(`${base}/page`);
      await opened.getByLabel('Email').fill(email);
      await opened.getByLabel('Password').fill(password);
      await opened.getByRole('button', { name: 'Sign in' }).click();
      await opened.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
      return opened;
    }
    const fitsWidth = async (on: Page) => expect(await on.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      assetsDir = process.env.PAGE_ASSETS_DIR ?? buildPage();
      app = await TestApp.start(
        testDatabases()[0],
        {
          page: { path: '/page', assetsDir },
          productScopes: [
            { resource: 'reports', description: 'Reports', actions: ['read', 'create', 'delete'] },
            { resource: 'billing', description: 'Billing', actions: ['read', 'write'], requiresApproval: ['write'] },
          ],
        },
        new LiveClock(),
      );
      await app.app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`;
      browser = await launchBrowser();
      member = await app.createUser('member');
      page = await signedIn(member.email, member.password);
      adminPage = await signedIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    }, 240_000);

    afterAll(async () => {
      await browser?.close();
      await app?.close();
      if (assetsDir && !process.env.PAGE_ASSETS_DIR) rmSync(assetsDir, { recursive: true, force: true });
    });

    it('rotates with an overlap: the old secret keeps working, and the token says until when and whether it is used', async () => {
      const token = await app.mintToken(member.session, { name: `overlap-${width}`, scopes: ['reports:read'] });
      await page.goto(`${base}/page/tokens/${token.id}`);
      await page.getByRole('button', { name: 'Rotate', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Old secret keeps working for').selectOption({ label: '1 hour' });
      await page.screenshot({ path: join(SHOTS, `rotate-overlap-dialog-${width}.png`) });
      await dialog.getByRole('button', { name: 'Rotate token' }).click();
      await page.getByRole('heading', { name: 'Copy your new token now' }).waitFor();
      await see.contains(page.locator('main'), 'the old secret keeps working until');
      await page.getByRole('button', { name: 'I have stored it' }).click();
      await see.contains(page.getByTestId('previous-secret'), 'Not used since the rotation');
      // The old secret, still used by a job: the page shows it (after a reload).
      expect((await app.get('/user/me/personal-access-tokens/self', { token: token.token })).status).toBe(200);
      await app.app.get(RotationOverlap).settled();
      await page.reload();
      await see.contains(page.getByTestId('previous-secret'), 'something still uses it');
      await fitsWidth(page);
      await page.screenshot({ path: join(SHOTS, `rotate-overlap-token-${width}.png`), fullPage: true });
    });

    it('shows a token waiting for approval, and the administrator decides it from the queue', async () => {
      const pending = await app.mintToken(member.session, { name: `billing-export-${width}`, scopes: ['billing:write', 'reports:read'] });
      await page.goto(`${base}/page/tokens/${pending.id}`);
      await see.text(page.getByRole('heading', { level: 1 }).locator('.badge'), 'Pending approval');
      await see.contains(page.getByTestId('approval-note'), 'Waiting for an administrator');
      await fitsWidth(page);
      await page.screenshot({ path: join(SHOTS, `approval-pending-token-${width}.png`), fullPage: true });

      await adminPage.goto(`${base}/page/admin/requests`);
      const card = adminPage.getByTestId('approval-request').filter({ hasText: pending.name });
      await see.visible(card);
      await see.contains(card, 'billing:write');
      await fitsWidth(adminPage);
      await adminPage.screenshot({ path: join(SHOTS, `approval-queue-${width}.png`), fullPage: true });
      await card.getByRole('button', { name: 'Deny' }).click();
      await adminPage.getByRole('dialog').getByLabel('Reason (required)').fill('Use billing:read for exports');
      await adminPage.getByRole('dialog').getByRole('button', { name: 'Deny and revoke' }).click();
      await see.contains(adminPage.locator('main'), 'was denied and revoked');
      await see.count(adminPage.getByTestId('approval-request').filter({ hasText: pending.name }), 0);

      await page.reload();
      await see.text(page.getByRole('heading', { level: 1 }).locator('.badge'), 'Revoked');
      await see.contains(page.getByTestId('approval-note'), 'Use billing:read for exports');
      await page.screenshot({ path: join(SHOTS, `approval-denied-token-${width}.png`), fullPage: true });
    });

    it('lists tokens that break a tightened policy and shortens one to it', async () => {
      const token = await app.mintToken(member.session, { name: `too-long-${width}`, scopes: ['reports:read'] });
      // As if made under an earlier, looser policy.
      const later = new Date(Date.now() + 400 * DAY);
      await app.app.get(DataSource).getRepository(PersonalAccessToken).update(token.id, { expiresAt: later });
      await adminPage.goto(`${base}/page/admin/policy`);
      const card = adminPage.getByTestId('policy-violation').filter({ hasText: token.name });
      await see.visible(card);
      await see.contains(adminPage.getByTestId('policy-summary'), 'at most 365 days');
      await fitsWidth(adminPage);
      await adminPage.screenshot({ path: join(SHOTS, `policy-report-${width}.png`), fullPage: true });
      await card.getByRole('button', { name: 'Shorten to the policy' }).click();
      await adminPage.getByRole('dialog').getByRole('button', { name: 'Shorten token' }).click();
      await see.contains(adminPage.locator('main'), 'its owner is told');
      await see.count(adminPage.getByTestId('policy-violation').filter({ hasText: token.name }), 0);
      const after = await app.get(`/user/me/personal-access-tokens/${token.id}`, { token: member.session });
      expect(new Date(after.body.expiresAt).getTime()).toBeLessThan(later.getTime());
    });
  });
});
