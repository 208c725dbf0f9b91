import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { buildPage, CHROMIUM, HAS_CHROMIUM, launchBrowser, LiveClock, see, seriousViolations } from './support/browser';
import { describeWith } from '../support/prerequisites';

jest.setTimeout(120_000);

const suite = describeWith(HAS_CHROMIUM ? undefined : `${CHROMIUM} is absent (apt-get install -y chromium)`);
const SHOTS = process.env.PAGE_SCREENSHOT_DIR ?? join(tmpdir(), 'pat-page-screenshots');

/**
 * A token's usage as a person sees it, at a phone's width and a laptop's: the chart's bars are the
 * requests made (counted reads and refusals, as roll-ups), its summary says them in words, the
 * activity says a roll-up as "7 times from 10.0.0.7 at 9:00 AM", and an administrator finds the
 * token among the busiest and opens it from there.
 */
suite('token usage on the page, in Chromium', () => {
  describe.each([390, 1280])('at %i px', (width) => {
    let assetsDir: string;
    let app: TestApp;
    let base: string;
    let browser: Browser;
    let member: TestUser;
    let context: BrowserContext;
    let page: Page;
    let token: { id: string; token: string; name: string };
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

    /** The chart's bars that hold requests: per outcome, the rectangle's height. */
    const bars = (on: Page) =>
      on.locator('.usage-bar').evaluateAll((groups) =>
        groups
          .map((group) => ({
            title: group.querySelector('title')?.textContent ?? '',
            heights: Object.fromEntries(
              [...group.querySelectorAll('rect[data-outcome]')].map((rect) => [
                rect.getAttribute('data-outcome'),
                Number(rect.getAttribute('height')),
              ]),
            ),
          }))
          .filter((bar) => Object.keys(bar.heights).length > 0),
      );

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      assetsDir = process.env.PAGE_ASSETS_DIR ?? buildPage();
      app = await TestApp.start(testDatabases()[0], { page: { path: '/page', assetsDir } }, clock);
      await app.app.listen(0, '127.0.0.1');
      base = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`;
      browser = await launchBrowser();
      member = await app.createUser('member');
      token = await app.mintToken(member.session, { name: `deploy-bot-${width}`, scopes: ['user:read'] });
      // 7 reads (counted into roll-ups) and 3 refusals (no audit:read: its first an event, the rest a roll-up).
      for (let i = 0; i < 7; i++) expect((await app.get('/user/me', { token: token.token, ip: '10.0.0.7' })).status).toBe(200);
      for (let i = 0; i < 3; i++) expect((await app.get('/user/me/audit-events', { token: token.token, ip: '10.0.0.8' })).status).toBe(403);
      ({ context, page } = await signedIn(member.email, member.password));
    }, 240_000);

    afterAll(async () => {
      await context?.close();
      await browser?.close();
      await app?.close();
      if (assetsDir && !process.env.PAGE_ASSETS_DIR) rmSync(assetsDir, { recursive: true, force: true });
    });

    it('draws the requests made as bars by outcome, says them in words, and fits the window', async () => {
      await page.goto(`${base}/page/tokens/${token.id}`);
      const usage = page.locator('section', { has: page.getByRole('heading', { name: 'Usage' }) });
      await see.contains(usage, '10 requests in the last 24 hours: 7 succeeded, 3 denied, 0 failed.');
      const svg = usage.getByRole('img');
      expect(await svg.getAttribute('aria-labelledby')).toBe(await usage.locator('.usage-summary').getAttribute('id'));
      // One bar holds requests: the current hour's, 7 succeeded under 3 denied, in proportion.
      const [bar, ...rest] = await bars(page);
      expect(rest).toEqual([]);
      expect(bar.title).toMatch(/: 10 requests \(7 succeeded, 3 denied, 0 failed\)$/);
      expect(Object.keys(bar.heights).sort()).toEqual(['denied', 'success']);
      expect(bar.heights.success / bar.heights.denied).toBeCloseTo(7 / 3, 1);
      expect(await usage.locator('.usage-bar').count()).toBe(24);
      // The y axis reaches the tallest bar; the legend names each colour.
      const ticks = await usage.locator('.usage-tick text').allTextContents();
      expect(Number(ticks[ticks.length - 1])).toBeGreaterThanOrEqual(10);
      expect(await usage.locator('.usage-legend').innerText()).toMatch(/Succeeded[\s\S]*Denied[\s\S]*Failed/);
      // The addresses, the latest first.
      await see.text(usage.locator('.usage-addresses tbody td:first-child'), ['10.0.0.8', '10.0.0.7']);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      const box = (await svg.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(width);
      await usage.screenshot({ path: join(SHOTS, `usage-${width}.png`) });

      // Per hour over 7 days: 168 bars, the days named on the axis.
      await usage.getByRole('button', { name: 'Last 7 days' }).click();
      await see.contains(usage, '10 requests in the last 7 days');
      await see.count(usage.locator('.usage-bar'), 168);
      expect((await bars(page)).map((hour) => hour.title.replace(/^.*: /, ''))).toEqual(['10 requests (7 succeeded, 3 denied, 0 failed)']);
      const days = await usage.locator('svg > g:not(.usage-tick):not(.usage-bar) text').allTextContents();
      expect(days.length).toBeGreaterThanOrEqual(3);
      for (const day of days) expect(day).toMatch(/^[A-Z][a-z]{2} \d{1,2}$/);
      await usage.screenshot({ path: join(SHOTS, `usage-week-${width}.png`) });

      // Per day over 30 days: 30 bars, today's the same 10.
      await usage.getByRole('button', { name: 'Last 30 days' }).click();
      await see.contains(usage, '10 requests in the last 30 days');
      await see.count(usage.locator('.usage-bar'), 30);
      const perDay = await bars(page);
      expect(perDay.map((day) => day.title.replace(/^.*: /, ''))).toEqual(['10 requests (7 succeeded, 3 denied, 0 failed)']);
      expect(await usage.getByRole('button', { name: 'Last 30 days' }).getAttribute('aria-pressed')).toBe('true');
      await usage.getByText('Show the numbers').click();
      await see.text(usage.locator('.usage-table tbody td'), [/^[A-Z][a-z]{2} \d{1,2}$/, '7', '3', '0']);
      expect(await seriousViolations(page)).toEqual([]);
      await page.screenshot({ path: join(SHOTS, `usage-detail-${width}.png`), fullPage: true });
    });

    it('says a roll-up in the activity as what it is: how many times, from where, between when', async () => {
      await page.goto(`${base}/page/tokens/${token.id}`);
      const activity = page.locator('.activity tbody');
      const read = activity.locator('tr', { hasText: '10.0.0.7' });
      await see.contains(read, '7 times from 10.0.0.7');
      expect(await read.locator('.counted').innerText()).toMatch(
        /^7 times from 10\.0\.0\.7 (at \d{1,2}:\d{2}\s[AP]M|between \d{1,2}:\d{2}\s[AP]M and \d{1,2}:\d{2}\s[AP]M)$/,
      );
      await see.contains(activity.locator('tr', { hasText: '10.0.0.8' }), '3 times from 10.0.0.8');
    });

    it("shows an administrator the busiest tokens, and opens the token's usage from there", async () => {
      const admin = await signedIn(ADMIN_EMAIL, ADMIN_PASSWORD);
      await admin.page.goto(`${base}/page/admin`);
      await admin.page.getByRole('link', { name: 'See the busiest tokens' }).click();
      await admin.page.getByRole('heading', { level: 1, name: 'Busiest tokens' }).waitFor();
      await admin.page.getByRole('button', { name: 'Last 24 hours' }).click();
      await admin.page.waitForURL(/window=24h/);
      const row = admin.page.locator('tbody tr', { has: admin.page.getByRole('link', { name: token.name, exact: true }) });
      await see.contains(row, member.email);
      expect(
        await row
          .locator('td')
          .evaluateAll((cells) => cells.map((cell) => (cell as HTMLElement).innerText.replace(/^(Requests|Denied)\s*/, ''))),
      ).toEqual(expect.arrayContaining(['10', '3']));
      expect(await admin.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
      expect(await seriousViolations(admin.page)).toEqual([]);
      await admin.page.screenshot({ path: join(SHOTS, `busiest-${width}.png`), fullPage: true });
      await row.getByRole('link', { name: token.name, exact: true }).click();
      await admin.page.waitForURL(`**/page/admin/tokens/${token.id}`);
      await see.contains(admin.page.locator('.usage-summary'), '10 requests in the last 24 hours: 7 succeeded, 3 denied, 0 failed.');
      await admin.context.close();
    });
  });
});
