import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { TokenBookkeepingService } from '../../libs/personal-access-tokens/src/tokens/token-bookkeeping.service';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { describeWith } from '../support/prerequisites';
import { buildPage, CHROMIUM, HAS_CHROMIUM, launchBrowser, LiveClock, see, seriousViolations } from '../page/support/browser';

jest.setTimeout(120_000);

const suite = describeWith(HAS_CHROMIUM ? undefined : `${CHROMIUM} is absent (apt-get install -y chromium)`);
const SHOTS = process.env.PAGE_SCREENSHOT_DIR ?? join(tmpdir(), 'pat-page-screenshots');

/** Issue 23 on the page: the IP allow-list on create and edit, where a token was used, suspend and resume. */
suite('token policy on the page, in Chromium', () => {
  let assetsDir: string;

  beforeAll(() => {
    mkdirSync(SHOTS, { recursive: true });
    assetsDir = process.env.PAGE_ASSETS_DIR ?? buildPage();
  }, 240_000);
  afterAll(() => {
    if (assetsDir && !process.env.PAGE_ASSETS_DIR) rmSync(assetsDir, { recursive: true, force: true });
  });

  describe.each([390, 1280])('at %i px', (width) => {
    let app: TestApp;
    let base: string;
    let browser: Browser;
    let member: TestUser;
    let page: Page;
    const clock = new LiveClock();

    beforeAll(async () => {
      app = await TestApp.start(testDatabases()[0], { page: { path: '/page', assetsDir } }, clock);
      await app.app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`;
      browser = await launchBrowser();
      member = await app.createUser('member');
      const context = await browser.newContext({ viewport: { width, height: 900 } });
      page = await context.newPage();
      page.setDefaultTimeout(20_000);
      await page.goto(`${base}/page`);
      await page.getByLabel('Email').fill(member.email);
      await page.getByLabel('Password').fill(member.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
    }, 240_000);
    afterAll(async () => {
      await browser?.close();
      await app?.close();
    });

    it('creates a token bound to addresses, naming the line that is wrong, and edits the list', async () => {
      await page.goto(`${base}/page/tokens/new`);
      await page.getByLabel('Name', { exact: true }).fill(`bound-${width}`);
      await page.getByLabel('Access to Reports').selectOption({ label: 'Read' });
      const list = page.getByLabel('Allowed IP addresses (optional)');
      await list.fill('203.0.113.0/24\n10.0.0.0/33');
      await page.getByRole('button', { name: 'Create token' }).click();
      await see.contains(page.locator('.field-invalid'), 'Line 2 must be an IPv4 or IPv6 address or CIDR range');
      await page.screenshot({ path: join(SHOTS, `allow-list-error-${width}.png`), fullPage: true });
      await list.fill('203.0.113.0/24\n::ffff:198.51.100.7');
      await page.getByRole('button', { name: 'Create token' }).click();
      await see.visible(page.getByRole('heading', { level: 2, name: 'Where it was used' }));
      await see.contains(
        page.locator('section', { has: page.getByRole('heading', { name: 'Where it was used' }) }),
        'Only from: 203.0.113.0/24, 198.51.100.7',
      );

      const edit = page.getByLabel('Allowed IP addresses (optional)');
      expect(await edit.inputValue()).toBe('203.0.113.0/24\n198.51.100.7');
      await edit.fill('192.0.2.0/24');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await see.contains(
        page.locator('section', { has: page.getByRole('heading', { name: 'Where it was used' }) }),
        'Only from: 192.0.2.0/24',
      );
      const id = page.url().split('/').pop()!;
      expect((await app.get(`/user/me/personal-access-tokens/${id}`, { token: member.session })).body.allowedIps).toEqual(['192.0.2.0/24']);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      await page.screenshot({ path: join(SHOTS, `allow-list-${width}.png`), fullPage: true });
    });

    it('shows where a token was used, and suspends and resumes it', async () => {
      const token = await app.mintToken(member.session, { name: `used-${width}`, scopes: ['reports:read'] });
      for (const ip of ['203.0.113.10', '2001:db8:4006:812::200e']) {
        await app.get('/user/me/personal-access-tokens/self', {
          token: token.token,
          ip,
          headers: { 'user-agent': 'deploy-bot/2.1 (linux)' },
        });
      }
      await app.app.get(TokenBookkeepingService).settled();
      await page.goto(`${base}/page/tokens/${token.id}`);
      const used = page.getByRole('list', { name: 'Recent addresses' });
      await see.count(used.getByRole('listitem'), 2);
      await see.contains(used, '2001:db8:4006:812::200e');
      await see.contains(
        page.locator('section', { has: page.getByRole('heading', { name: 'Where it was used' }) }),
        'Last client: deploy-bot/2.1 (linux)',
      );

      await page.getByRole('button', { name: 'Suspend', exact: true }).click();
      await page.getByRole('button', { name: 'Suspend token' }).click();
      await see.text(page.locator('h1 .badge'), 'Suspended');
      await see.contains(page.locator('.status-text'), 'It is refused until resumed');
      expect((await app.get('/user/me/personal-access-tokens/self', { token: token.token })).status).toBe(401);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SHOTS, `suspended-${width}.png`), fullPage: true });

      await page.getByRole('button', { name: 'Resume', exact: true }).click();
      await see.text(page.locator('h1 .badge'), 'Active');
      expect((await app.get('/user/me/personal-access-tokens/self', { token: token.token })).status).toBe(200);
    });
  });
});
