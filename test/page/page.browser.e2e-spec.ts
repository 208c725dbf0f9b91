import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { DEFAULT_POLICY } from '../../libs/personal-access-tokens/src';
import { DAY, HOUR } from '../support/fake-clock';
import { describeWith } from '../support/prerequisites';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { browserStorage, buildPage, CHROMIUM, HAS_CHROMIUM, launchBrowser, LiveClock, see, seriousViolations } from './support/browser';

jest.setTimeout(120_000);

/** Screenshots for people to look at (the README's come from here); outside the repository. */
const SHOTS = process.env.PAGE_SCREENSHOT_DIR ?? join(tmpdir(), 'pat-page-screenshots');
const PAT = /^pat_[0-9A-Za-z]{38}$/;

const suite = describeWith(HAS_CHROMIUM ? undefined : `${CHROMIUM} is absent (apt-get install -y chromium)`);
const title = 'the self-service page in Chromium, on the real service (SQLite)';

suite(title, () => {
  let assetsDir: string;
  let app: TestApp;
  let base: string;
  let browser: Browser;
  let member: TestUser;
  let memberContext: BrowserContext;
  let memberPage: Page;
  const clock = new LiveClock();
  /** Every URL any page asked for or showed: a secret must never be in one. */
  const urls: string[] = [];
  const secrets: string[] = [];

  const remember = (secret: string) => {
    expect(secret).toMatch(PAT);
    secrets.push(secret);
    app.secrets.add(secret);
    return secret;
  };

  async function open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await page.addInitScript(() => {
      const violations: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = violations;
      document.addEventListener('securitypolicyviolation', (event) => violations.push(`${event.violatedDirective} ${event.blockedURI}`));
    });
    page.on('request', (request) => urls.push(request.url()));
    page.on('framenavigated', (frame) => urls.push(frame.url()));
    return page;
  }

  async function newContext(): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    return context;
  }

  async function signIn(page: Page, email: string, password: string): Promise<void> {
    await page.goto(`${base}/page`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
  }

  async function expectAccessible(page: Page): Promise<void> {
    expect(await seriousViolations(page)).toEqual([]);
    // Every control is reachable by keyboard: none is taken out of the tab order.
    const unreachable = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('a[href], button, input, select, textarea')]
        .filter((element) => element.tabIndex < 0 && !element.closest('dialog:not([open])'))
        .map((element) => element.outerHTML.slice(0, 80)),
    );
    expect(unreachable).toEqual([]);
  }

  async function shoot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function downloaded(page: Page, click: () => Promise<void>): Promise<string> {
    const [download] = (await Promise.all([page.waitForEvent('download'), click()])) as [Download, void];
    return readFileSync((await download.path())!, 'utf8');
  }

  const api = (method: 'get' | 'post', url: string, token: string) =>
    method === 'get' ? app.get(url, { token }) : app.post(url, {}, { token });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    assetsDir = buildPage();
    app = await TestApp.start(testDatabases()[0], { page: { path: '/page', assetsDir } }, clock);
    await app.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await launchBrowser();
    member = await app.createUser('member');
    memberContext = await newContext();
    memberPage = await open(memberContext);
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (assetsDir) rmSync(assetsDir, { recursive: true, force: true });
  });

  it('is linked from /, and signs in with email and password, saying plainly when they are wrong', async () => {
    const page = memberPage;
    await page.goto(`${base}/`);
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Manage your personal access tokens' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    // A first visit is no ended session.
    await see.count(page.getByRole('status').filter({ hasText: 'Your session has ended' }), 0);
    await expectAccessible(page);
    await shoot(page, 'sign-in');

    await page.getByLabel('Email').fill(member.email);
    await page.getByLabel('Password').fill('not my password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await see.text(page.getByRole('alert'), 'Wrong email or password.');
    expect(await page.locator('body').innerText()).not.toMatch(/statusCode|invalid_credentials|\{/);

    await page.getByLabel('Password').fill(member.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
    await see.visible(page.getByText('You have no personal access tokens yet.'));
    const [cookie] = await memberContext.cookies();
    expect(cookie).toMatchObject({ name: 'pat_session', httpOnly: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await expectAccessible(page);
  });

  it("offers a member only the scopes the member's role may grant, and the policy's default lifetime", async () => {
    const page = memberPage;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Create token' }).click();
    await page.getByRole('heading', { level: 1, name: 'Create a personal access token' }).waitFor();

    const expiration = page.getByLabel('Expiration', { exact: true });
    await see.value(expiration, '90d');
    const lifetimes = await expiration.locator('option').allInnerTexts();
    expect(lifetimes).toEqual(['1 hour', '1 day', '7 days', '30 days', '60 days', '90 days (default)', 'Custom date…']);

    const offered = await page
      .locator('.permissions select')
      .evaluateAll((selects) => selects.map((select) => select.getAttribute('aria-label')!.replace('Access to ', '')));
    const catalog = await app.get('/scopes', { token: member.session });
    const grantable = catalog.body.items.filter((entry: { grantable: boolean }) => entry.grantable);
    const titles = [...new Set(grantable.map((entry: { resourceTitle: string }) => entry.resourceTitle))];
    expect(offered).toEqual(titles);
    expect(offered).toEqual(expect.arrayContaining(['Personal access tokens', 'Reports']));
    // Administration and introspection are not the member's to grant.
    expect(offered.filter((title) => title === 'Administration' || title === 'Token introspection')).toEqual([]);
    expect(catalog.body.items.length).toBeGreaterThan(grantable.length);
    await expectAccessible(page);
  });

  it('creates a token with scopes and an entity scope, then shows its secret once, with a copy button and how to use it', async () => {
    const page = memberPage;
    await page.getByRole('button', { name: 'Create token' }).click();
    await see.visible(page.getByText('Give the token a name you will recognize, such as dx-cli-laptop.'));
    await see.visible(page.getByText('Choose at least one permission.'));
    await see.attr(page.getByLabel('Name', { exact: true }), 'aria-invalid', 'true');

    await page.getByLabel('Name', { exact: true }).fill('dx-cli-laptop');
    await page.getByLabel('Description (optional)').fill('DX CLI on my laptop');
    await page.getByLabel('Expiration', { exact: true }).selectOption('30d');
    await page.getByLabel('Access to Personal access tokens').selectOption({ label: 'Read' });
    await page.getByLabel('Access to Reports').selectOption({ label: 'Read' });
    await page.getByText('Advanced: a permission on one entity only').click();
    const entity = page.locator('.advanced');
    await entity.getByLabel('Permission', { exact: true }).selectOption('reports:delete');
    await entity.getByLabel('Entity id').fill('bad id!');
    await entity.getByRole('button', { name: 'Add' }).click();
    await see.visible(entity.getByText('An entity id is 1 to 64 letters'));
    await entity.getByLabel('Entity id').fill('42');
    await entity.getByRole('button', { name: 'Add' }).click();
    await see.text(page.getByRole('list', { name: 'Permissions for one entity' }).getByRole('listitem'), /Reports: delete \(only 42\)/);
    await shoot(page, 'create');
    await page.getByRole('button', { name: 'Create token' }).click();

    await page.getByRole('heading', { name: 'Copy your new token now' }).waitFor();
    expect(page.url()).toMatch(/\/page\/tokens\/[0-9a-f-]{36}$/);
    const secret = remember(await page.getByTestId('secret').innerText());
    await see.contains(page.locator('.usage'), `Authorization: Bearer ${secret}`);
    await see.contains(page.locator('.usage'), `Authorization: ApiKey ${secret}`);
    await page.getByRole('button', { name: 'Copy token' }).click();
    await see.visible(page.getByText('Token copied to the clipboard.'));
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await shoot(page, 'detail-secret');
    await expectAccessible(page);

    // It works, and it is nowhere the browser keeps things, nor in any URL.
    const self = await app.get('/user/me/personal-access-tokens/self', { token: secret });
    expect(self.body.name).toBe('dx-cli-laptop');
    expect([...self.body.scopes].sort()).toEqual(['personal_access_tokens:read', 'reports:delete:42', 'reports:read']);
    expect(await browserStorage(page)).not.toContain(secret);
    expect(urls.filter((url) => url.includes(secret))).toEqual([]);

    await page.reload();
    await page.getByRole('heading', { level: 1, name: /dx-cli-laptop/ }).waitFor();
    await see.count(page.getByRole('heading', { name: 'Copy your new token now' }), 0);
    expect(await page.content()).not.toContain(secret);
    expect(await browserStorage(page)).not.toContain(secret);

    // The same name again: the API's 409, shown next to the field it concerns.
    await page.goto(`${base}/page/tokens/new`);
    await page.getByLabel('Name', { exact: true }).fill('dx-cli-laptop');
    await page.getByLabel('Access to Profile').selectOption({ label: 'Read' });
    await page.getByRole('button', { name: 'Create token' }).click();
    const nameField = page.locator('.field', { has: page.getByLabel('Name', { exact: true }) });
    await see.text(nameField.locator('.field-error'), 'You already have a token named "dx-cli-laptop".');
    await see.text(page.getByRole('alert').first(), 'Please correct the highlighted fields.');
  });

  it('edits a token on its detail page: name and description, Add Scope, a scope removed, all scopes deleted, with its activity', async () => {
    const page = memberPage;
    await page.goto(`${base}/page`);
    await page.getByRole('link', { name: 'dx-cli-laptop', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /dx-cli-laptop/ }).waitFor();
    const id = page.url().split('/').pop()!;
    await see.contains(page.locator('.details'), 'from 127.0.0.1');

    await page.getByLabel('Description', { exact: true }).fill('DX CLI on my work laptop');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await see.visible(page.getByText('Your changes were saved.'));

    const scopes = page.locator('.permissions .chip');
    await see.count(scopes, 3);
    await page.getByLabel('Add a permission').selectOption('reports:create');
    await page.getByRole('button', { name: 'Add permission', exact: true }).click();
    await see.visible(page.getByText('Permission Reports: create was added.'));
    await see.count(scopes, 4);
    await page.getByRole('button', { name: 'Remove Reports: delete (only 42)' }).click();
    await see.visible(page.getByText('Permission Reports: delete (only 42) was removed.'));
    await see.count(scopes, 3);
    const stored = await app.get(`/user/me/personal-access-tokens/${id}`, { token: member.session });
    expect(stored.body.description).toBe('DX CLI on my work laptop');
    expect([...stored.body.scopes].sort()).toEqual(['personal_access_tokens:read', 'reports:create', 'reports:read']);

    const activity = page.locator('.activity tbody');
    for (const what of ['Created', 'Looked itself up', 'Edited', 'Scope added', 'Scope removed']) await see.contains(activity, what);
    await see.contains(activity, 'with this token');
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /dx-cli-laptop/ }).waitFor();
    await see.visible(activity.locator('tr').first());
    await shoot(page, 'detail');
    await expectAccessible(page);

    // Export of the activity: a progress line while it streams, then the file.
    await page.route(
      (url) => url.pathname === '/user/me/audit-events' && url.searchParams.get('format') === 'csv',
      async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 600));
        await route.continue();
      },
    );
    const csv = await downloaded(page, async () => {
      await page.getByRole('button', { name: 'Export activity as CSV' }).click();
      await see.visible(page.getByText(/Exporting activity: \d+ events so far/));
    });
    expect(csv).toContain('personal_access_token.create');
    expect(csv).toContain('personal_access_token.add_scope');

    await page.getByRole('button', { name: 'Remove all permissions' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove all permissions?' });
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Remove all permissions' }).click();
    await see.visible(page.getByText('This token has no permissions: it can do nothing.'));
    expect((await app.get(`/user/me/personal-access-tokens/${id}/scopes`, { token: member.session })).body.scopes).toEqual([]);
  });

  it('rotates a token (new secret, old one refused; a second rotation within the hour not offered, and when it will be), then revokes it', async () => {
    const page = memberPage;
    const old = secrets[0];
    await page.getByRole('button', { name: 'Rotate', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate "dx-cli-laptop"' });
    await see.count(dialog.getByLabel('New expiration', { exact: true }).locator('option', { hasText: 'No expiration' }), 0);
    await dialog.getByLabel('New expiration', { exact: true }).selectOption('7d');
    await expectAccessible(page);
    await dialog.getByRole('button', { name: 'Rotate token' }).click();
    await page.getByRole('heading', { name: 'Copy your new token now' }).waitFor();
    const rotated = remember(await page.getByTestId('secret').innerText());
    expect(rotated).not.toBe(old);
    expect((await api('get', '/user/me/personal-access-tokens/self', rotated)).status).toBe(200);

    await see.count(page.getByRole('button', { name: 'Rotate', exact: true }), 0);
    await see.text(
      page.getByTestId('rotation-state'),
      /you can rotate it again after [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M\.$/,
    );

    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByRole('dialog', { name: 'Revoke "dx-cli-laptop"?' }).getByRole('button', { name: 'Revoke token' }).click();
    await see.visible(page.getByText('The token was revoked.'));
    await see.text(page.locator('h1 .badge'), 'Revoked');
    expect((await api('get', '/user/me/personal-access-tokens/self', rotated)).status).toBe(401);
    expect((await api('get', '/user/me/personal-access-tokens/self', old)).status).toBe(401);
    expect(await browserStorage(page)).not.toContain(rotated);
  });

  it('regenerates an expired token found through the Expired filter, keeping its name, description and scopes', async () => {
    const page = memberPage;
    await page.goto(`${base}/page/tokens/new`);
    await page.getByLabel('Name', { exact: true }).fill('nightly-export');
    await page.getByLabel('Description (optional)').fill('Exports the reports every night');
    await page.getByLabel('Expiration', { exact: true }).selectOption('1h');
    await page.getByLabel('Access to Personal access tokens').selectOption({ label: 'Read' });
    await page.getByText('Advanced: a permission on one entity only').click();
    const entity = page.locator('.advanced');
    await entity.getByLabel('Permission', { exact: true }).selectOption('reports:read');
    await entity.getByLabel('Entity id').fill('7');
    await entity.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('button', { name: 'Create token' }).click();
    const first = remember(await page.getByTestId('secret').innerText());
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await see.count(page.getByTestId('secret'), 0);

    clock.advance(2 * HOUR);
    expect((await api('get', '/user/me/personal-access-tokens/self', first)).status).toBe(401);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Your tokens' }).click();
    await page.getByLabel('Status').selectOption('expired');
    const rows = page.locator('table.tokens tbody tr');
    await see.count(rows, 1);
    await see.contains(rows.first(), 'nightly-export');
    await see.contains(rows.first(), 'Expired');
    await page.getByLabel('Status').selectOption('revoked');
    await see.count(rows, 1);
    await see.contains(rows.first(), 'dx-cli-laptop');
    await page.getByLabel('Status').selectOption('expired');
    await rows.first().getByRole('link', { name: 'View nightly-export' }).click();

    await page.getByRole('button', { name: 'Regenerate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Regenerate "nightly-export"' });
    await see.contains(dialog, 'It keeps its name, description and permissions.');
    await dialog.getByLabel('New expiration', { exact: true }).selectOption('30d');
    await dialog.getByRole('button', { name: 'Regenerate token' }).click();
    const regenerated = remember(await page.getByTestId('secret').innerText());
    await see.text(page.locator('h1 .badge'), 'Active');
    await see.value(page.getByLabel('Description', { exact: true }), 'Exports the reports every night');
    await see.contains(page.locator('.permissions tr', { hasText: 'Personal access tokens' }), 'Read');
    await see.contains(page.locator('.permissions tr', { hasText: 'Reports' }), 'only 7');
    const self = await api('get', '/user/me/personal-access-tokens/self', regenerated);
    expect(self.body).toMatchObject({ name: 'nightly-export', description: 'Exports the reports every night', status: 'active' });
    expect([...self.body.scopes].sort()).toEqual(['personal_access_tokens:read', 'reports:read:7']);
    await page.getByRole('button', { name: 'I have stored it' }).click();
  });

  it('lists tokens with every column, searches, sorts, pages, exports with progress, deletes one, then Delete All empties it', async () => {
    const page = memberPage;
    for (const [name, description, scopes] of [
      ['github-actions-deploy', 'Deploys main to production', ['personal_access_tokens:read', 'reports:create']],
      ['grafana-reports-reader', 'Read-only dashboard sync', ['reports:read', 'reports:delete']],
    ] as const) {
      clock.advance(1000);
      const created = await app.mintToken(member.session, { name, description, scopes: [...scopes], expiresIn: '60d' });
      remember(created.token);
    }
    await app.get('/user/me/personal-access-tokens/self', { token: secrets[secrets.length - 1], ip: '203.0.113.7' });
    await page.goto(`${base}/page`);
    const rows = page.locator('table.tokens tbody tr');
    await see.count(rows, 4);
    await see.text(page.locator('table.tokens thead th'), [
      'Name',
      'Description',
      'Status',
      'Scopes',
      /Created/,
      /Expires/,
      /Last used/,
      'Actions',
    ]);
    const grafana = rows.filter({ hasText: 'grafana-reports-reader' });
    await see.contains(grafana, 'Read-only dashboard sync');
    await see.contains(grafana, 'from 203.0.113.7');
    await see.contains(grafana, 'reports:delete');
    await shoot(page, 'table');
    await expectAccessible(page);

    for (let i = 1; i <= 24; i++) {
      clock.advance(1000);
      await app.mintToken(member.session, { name: `batch-${String(i).padStart(2, '0')}`, scopes: ['reports:read'] });
    }
    await page.reload();
    await page.getByLabel('Per page').selectOption('10');
    await see.contains(page.getByRole('navigation', { name: 'Pages' }), '1–10 of 28 · Page 1 of 3');
    await page.getByRole('button', { name: 'Next page' }).click();
    await see.contains(page.getByRole('navigation', { name: 'Pages' }), '11–20 of 28 · Page 2 of 3');
    await see.count(rows, 10);

    await page.getByLabel('Search by name').fill('batch-1');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await see.contains(page.getByRole('navigation', { name: 'Pages' }), 'of 10 · Page 1 of 1');
    const expires = page.getByRole('columnheader', { name: /Expires/ });
    await expires.getByRole('button').click();
    await see.attr(expires, 'aria-sort', 'descending');
    await see.text(rows.first().locator('td').first(), 'batch-19');
    await expires.getByRole('button').click();
    await see.attr(expires, 'aria-sort', 'ascending');
    await see.text(rows.first().locator('td').first(), 'batch-10');
    expect(page.url()).toContain('sort=expiresAt');

    await page.getByLabel('Search by name').fill('');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.route(
      (url) => url.pathname === '/user/me/personal-access-tokens' && url.searchParams.get('pageSize') === '100',
      async (route) => {
        await new Promise((resolve) => setTimeout(resolve, 600));
        await route.continue();
      },
    );
    const csv = await downloaded(page, async () => {
      await page.getByRole('button', { name: 'Export as CSV' }).click();
      await see.visible(page.getByRole('progressbar', { name: 'Exporting tokens: 0 of 28' }));
    });
    expect(csv.trim().split('\n')).toHaveLength(29);
    expect(csv).toContain('grafana-reports-reader');
    for (const secret of secrets) expect(csv).not.toContain(secret);

    await page.getByRole('button', { name: 'Delete batch-01' }).click();
    await page.getByRole('dialog', { name: 'Delete token "batch-01"?' }).getByRole('button', { name: 'Delete token' }).click();
    await see.visible(page.getByText('Token "batch-01" was deleted.'));
    await see.contains(page.getByRole('navigation', { name: 'Pages' }), 'of 27');

    await page.getByRole('button', { name: 'Delete all tokens' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete all your tokens?' });
    await see.contains(dialog, 'All 27 of your tokens will be deleted');
    await dialog.getByRole('button', { name: 'Delete all tokens' }).click();
    await see.visible(page.getByText('You have no personal access tokens yet.'));
    await see.count(rows, 0);
    expect((await app.get('/user/me/personal-access-tokens', { token: member.session })).body.total).toBe(0);
  });

  it("shows an administrator everyone's tokens with filters, revokes any, and revokes all of a user", async () => {
    const ci = await app.mintToken(member.session, { name: 'member-ci', scopes: ['reports:read'] });
    const agent = await app.mintToken(member.session, { name: 'member-agent', scopes: ['reports:read'] });
    remember(ci.token);
    remember(agent.token);
    const admin = await open(await newContext());
    await signIn(admin, ADMIN_EMAIL, ADMIN_PASSWORD);
    await admin.getByRole('link', { name: 'All tokens (admin)' }).click();
    await admin.getByRole('heading', { level: 1, name: "Everyone's tokens" }).waitFor();
    const rows = admin.locator('table.tokens tbody tr');
    await see.contains(rows.filter({ hasText: 'member-ci' }), member.email);

    await admin.getByLabel('Owner').selectOption({ label: member.email });
    await admin.getByLabel('Status').selectOption('active');
    await admin.getByRole('button', { name: 'Apply filters' }).click();
    await see.count(rows, 2);
    await shoot(admin, 'admin');
    await expectAccessible(admin);

    await admin.getByRole('button', { name: `Revoke member-ci of ${member.email}` }).click();
    await admin.getByRole('dialog', { name: 'Revoke "member-ci"?' }).getByRole('button', { name: 'Revoke token' }).click();
    await see.visible(admin.getByText(`Token "member-ci" of ${member.email} was revoked`));
    await see.count(rows, 1);
    expect((await api('get', '/user/me/personal-access-tokens/self', ci.token)).status).toBe(401);

    await admin.getByRole('button', { name: `Revoke all tokens of ${member.email}` }).click();
    await admin
      .getByRole('dialog', { name: `Revoke all tokens of ${member.email}?` })
      .getByRole('button', { name: 'Revoke all' })
      .click();
    await see.text(admin.getByRole('status').filter({ hasText: `${member.email}: 1 token revoked and` }), /ended\.$/);
    expect((await api('get', '/user/me/personal-access-tokens/self', agent.token)).status).toBe(401);

    // The member's page session ended with it: their next step asks them to sign in again.
    await memberPage.getByRole('link', { name: 'Create token' }).first().click();
    await memberPage.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await see.visible(memberPage.getByText('Your session has ended. Sign in again.'));
    await admin.close();
  });

  it('refuses a cross-site form post, and a forged request even when it carries the cookie', async () => {
    const context = await newContext();
    const page = await open(context);
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    const session = await app.loginAdmin();
    const target = await app.mintToken(session, { name: 'csrf-target', scopes: ['user:read'] });
    remember(target.token);

    // Another site (localhost is another site than 127.0.0.1) whose page posts a form to the service.
    const action = `${base}/user/me/personal-access-tokens/${target.id}/revoke`;
    const evil: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(
        `<form id="f" method="POST" action="${action}"><input name="x" value="1"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    const evilOrigin = `http://localhost:${(evil.address() as AddressInfo).port}`;
    try {
      const [response] = await Promise.all([page.waitForResponse(action), page.goto(evilOrigin)]);
      expect(response.status()).toBe(401);
      expect((await app.get(`/user/me/personal-access-tokens/${target.id}`, { token: session })).body.status).toBe('active');

      // The cookie attached anyway (as a non-browser client could): the Origin and CSRF checks refuse it.
      const forged = await context.request.post(action, { headers: { origin: evilOrigin }, failOnStatusCode: false });
      expect(forged.status()).toBe(403);
      expect((await forged.json()).code).toBe('cross_site_request');
      const sameOriginNoToken = await context.request.post(action, { headers: { origin: base }, failOnStatusCode: false });
      expect(sameOriginNoToken.status()).toBe(403);
      expect((await app.get(`/user/me/personal-access-tokens/${target.id}`, { token: session })).body.status).toBe('active');
    } finally {
      evil.close();
      await context.close();
    }
  });

  it('is reachable by keyboard: Tab walks the create form to its button, and Enter creates nothing without a name', async () => {
    const context = await newContext();
    const page = await open(context);
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.goto(`${base}/page/tokens/new`);
    await page.getByRole('heading', { level: 1, name: 'Create a personal access token' }).waitFor();
    const reached: string[] = [];
    for (let i = 0; i < 80 && !reached.includes('button:Create token'); i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const element = document.activeElement as HTMLElement;
          const label = element.id ? document.querySelector(`label[for="${element.id}"]`)?.textContent : undefined;
          return `${element.tagName.toLowerCase()}:${label ?? element.getAttribute('aria-label') ?? element.textContent?.trim()}`;
        }),
      );
    }
    expect(reached).toEqual(
      expect.arrayContaining([
        'a:Skip to content',
        'button:Sign out',
        'input:Name',
        'textarea:Description (optional)',
        'select:Expiration',
        'button:Create token',
      ]),
    );
    // The permission selects, labelled by their resource.
    expect(reached.filter((entry) => entry.startsWith('select:Access to ')).length).toBeGreaterThan(3);
    await page.keyboard.press('Enter');
    await see.visible(page.getByText('Give the token a name you will recognize, such as dx-cli-laptop.'));
    await context.close();
  });

  it('signs out on the server, and never broke its Content-Security-Policy on any page', async () => {
    const context = await newContext();
    const page = await open(context);
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    const cookie = (await context.cookies()).find((c) => c.name === 'pat_session')!.value;
    expect((await app.get('/user/me', { token: cookie })).status).toBe(200);
    app.secrets.add(cookie);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await see.visible(page.getByText('You are signed out.'));
    expect(await context.cookies()).toEqual([]);
    expect((await app.get('/user/me', { token: cookie })).status).toBe(401);

    const index = await context.request.get(`${base}/page`);
    expect(index.headers()['content-security-policy']).toMatch(/script-src 'self';/);
    expect(await index.text()).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    for (const open of [page, memberPage])
      expect(await open.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(urls.filter((url) => secrets.some((secret) => url.includes(secret)))).toEqual([]);
    await context.close();
  });
  it("follows another policy: its own default lifetime preselected, No expiration offered, the token cap's 409 as what to do next", async () => {
    const other = await TestApp.start(
      testDatabases()[0],
      {
        page: { path: '/page', assetsDir },
        policy: { ...DEFAULT_POLICY, defaultLifetimeDays: 45, allowNoExpiry: true, maxActiveTokensPerUser: 1 },
      },
      new LiveClock(),
    );
    const context = await newContext();
    try {
      await other.app.listen(0, '127.0.0.1');
      const otherBase = `http://127.0.0.1:${(other.app.getHttpServer().address() as AddressInfo).port}`;
      const page = await open(context);
      await page.goto(`${otherBase}/page`);
      await page.getByLabel('Email').fill(ADMIN_EMAIL);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { level: 1, name: 'Your personal access tokens' }).waitFor();
      await page.goto(`${otherBase}/page/tokens/new`);

      const expiration = page.getByLabel('Expiration', { exact: true });
      await see.value(expiration, 'custom');
      const in45Days = new Date(Date.now() + 45 * DAY);
      const day = new Date(in45Days.getTime() - in45Days.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
      await see.value(page.getByLabel('Expiration date'), day);
      expect(await expiration.locator('option').allInnerTexts()).toContain('No expiration');

      await page.getByLabel('Name', { exact: true }).fill('forever-agent');
      await expiration.selectOption('never');
      await see.contains(page.locator('.field', { has: expiration }), 'The token never expires.');
      await page.getByLabel('Access to Profile').selectOption({ label: 'Read' });
      await page.getByRole('button', { name: 'Create token' }).click();
      other.secrets.add(await page.getByTestId('secret').innerText());
      await see.contains(page.locator('.details'), 'Never');
      await see.contains(page.locator('.status-row'), 'Works until revoked: it never expires.');

      await page.goto(`${otherBase}/page/tokens/new`);
      await page.getByLabel('Name', { exact: true }).fill('one-too-many');
      await page.getByLabel('Access to Profile').selectOption({ label: 'Read' });
      await page.getByRole('button', { name: 'Create token' }).click();
      await see.text(
        page.getByRole('alert'),
        /live tokens, the most allowed.*Open the table, then revoke or delete a token you no longer use\.$/,
      );
      expect(await seriousViolations(page)).toEqual([]);
    } finally {
      await context.close();
      await other.close();
    }
  });
});
