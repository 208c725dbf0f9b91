import { AuditWriter } from './support/library-internals';
import { TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';

const BASE = '/user/me/personal-access-tokens';

interface Event {
  action: string;
  tokenId: string | null;
  targetId: string | null;
  subjectUserId: string | null;
}

/** `?tokenId=` is a token's whole history: what was done with it and what was done to it. */
describe.each(testDatabases())("a token's trail on $name", (database) => {
  let t: TestApp;
  let alice: TestUser;
  let admin: string;
  let tokenId: string;
  let otherId: string;

  beforeAll(async () => {
    t = await TestApp.start(database);
    admin = await t.loginAdmin();
    alice = await t.createUser('member');
    const pat = await t.mintToken(alice.session, { name: 'ci', scopes: ['user:read', 'personal_access_tokens:read'] });
    tokenId = pat.id;
    otherId = (await t.mintToken(alice.session, { name: 'other' })).id;
    // With it: a request the token authenticates.
    expect((await t.get('/user/me', { token: pat.token })).status).toBe(200);
    // To it: renamed, a scope removed, revoked, all by the owner's session.
    expect((await t.patch(`${BASE}/${tokenId}`, { name: 'ci-renamed' }, { token: alice.session })).status).toBe(200);
    expect((await t.delete(`${BASE}/${tokenId}/scopes/personal_access_tokens:read`, { token: alice.session })).status).toBe(204);
    expect((await t.post(`${BASE}/${tokenId}/revoke`, {}, { token: alice.session })).status).toBe(200);
    // And something done to another token, which is not this one's history.
    expect((await t.patch(`${BASE}/${otherId}`, { name: 'other-renamed' }, { token: alice.session })).status).toBe(200);
  });
  afterAll(() => t.close());

  const expectWholeTrail = (items: Event[]) => {
    const actions = items.map((e) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        'personal_access_token.create',
        'user.read_self',
        'personal_access_token.update',
        'personal_access_token.remove_scope',
        'personal_access_token.revoke',
      ]),
    );
    for (const event of items) expect([event.tokenId, event.targetId]).toContain(tokenId);
    expect(items.some((e) => e.tokenId === otherId || e.targetId === otherId)).toBe(false);
  };

  it("the owner's view: events with the token and events to it", async () => {
    const trail = await t.get(`/user/me/audit-events?tokenId=${tokenId}&limit=200`, { token: alice.session });
    expect(trail.status).toBe(200);
    expectWholeTrail(trail.body.items);
    expect(trail.body.items.every((e: Event) => e.subjectUserId === alice.id)).toBe(true);
  });

  it("the administrator's view: the same filter, the same trail", async () => {
    const trail = await t.get(`/admin/audit-events?tokenId=${tokenId}&limit=200`, { token: admin });
    expect(trail.status).toBe(200);
    expectWholeTrail(trail.body.items);
  });

  it('another user asking for that token id sees nothing of it', async () => {
    const bob = await t.createUser('member');
    const trail = await t.get(`/user/me/audit-events?tokenId=${tokenId}&limit=200`, { token: bob.session });
    expect(trail.status).toBe(200);
    expect(trail.body.items).toEqual([]);
  });

  it('looking at a token (as the page does on each visit) is not in its trail; a failed look and its own reads are', async () => {
    const pat = await t.mintToken(alice.session, { name: 'looked-at', scopes: ['personal_access_tokens:read'] });
    for (let i = 0; i < 3; i++) {
      expect((await t.get(`${BASE}/${pat.id}`, { token: alice.session })).status).toBe(200);
      expect((await t.get(`${BASE}/${pat.id}/scopes`, { token: alice.session })).status).toBe(200);
      expect((await t.get(`/admin/personal-access-tokens/${pat.id}`, { token: admin })).status).toBe(200);
    }
    // Done with the token itself: its use, which its trail keeps.
    expect((await t.get(`${BASE}/${pat.id}`, { token: pat.token })).status).toBe(200);
    // A refused look at it (the wrong scope): kept too.
    const weak = await t.mintToken(alice.session, { name: 'weak', scopes: ['user:read'] });
    expect((await t.get(`${BASE}/${pat.id}`, { token: weak.token })).status).toBe(403);
    await t.app.get(AuditWriter).flush();
    const trail = (await t.get(`/user/me/audit-events?tokenId=${pat.id}&limit=200`, { token: alice.session })).body.items as Event[];
    const views = trail.filter((e) => e.action === 'personal_access_token.read' || e.action === 'personal_access_token.list_scopes');
    expect(views.map((e) => e.tokenId).sort()).toEqual([pat.id, weak.id].sort());
    expect(trail.some((e) => e.action === 'personal_access_token.admin_read')).toBe(false);
    expect(trail.map((e) => e.action)).toContain('personal_access_token.create');
    // The views stay in the viewer's own trail.
    const mine = (await t.get(`/user/me/audit-events?action=personal_access_token.read&limit=200`, { token: alice.session })).body
      .items as Event[];
    expect(mine.filter((e) => e.targetId === pat.id && e.tokenId === null).length).toBeGreaterThan(0);
  });

  it('the parameter says so in the OpenAPI document', async () => {
    const spec = (await t.get('/docs-json')).body;
    for (const path of ['/user/me/audit-events', '/admin/audit-events']) {
      const parameter = spec.paths[path].get.parameters.find((p: { name: string }) => p.name === 'tokenId');
      expect(parameter.description).toMatch(/done with it.*done to it/s);
    }
  });
});
