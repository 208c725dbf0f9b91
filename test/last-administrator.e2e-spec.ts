import { ADMIN_EMAIL, TestApp, TestUser } from './support/test-app';
import { testDatabases } from './support/test-database';
import { expectErrorShape } from './support/assertions';

/** The service keeps at least one active user who can manage users, whoever asks and however fast. */
describe.each(testDatabases())('the last active administrator on $name', (database) => {
  let t: TestApp;
  let root: string;
  let rootId: string;

  beforeAll(async () => {
    t = await TestApp.start(database);
    root = await t.loginAdmin();
    rootId = (await t.get('/user/me', { token: root })).body.id;
  });
  afterAll(() => t.close());

  const patch = (caller: string, id: string, body: Record<string, unknown>) => t.patch(`/admin/users/${id}`, body, { token: caller });
  const activeAdmins = async (caller: string) => {
    const users = await t.get('/admin/users?pageSize=100', { token: caller });
    return (users.body.items as Array<{ id: string; role: string; active: boolean }>).filter((u) => u.role === 'admin' && u.active);
  };
  const promote = async (): Promise<TestUser> => {
    const user = await t.createUser('member');
    expect((await patch(root, user.id, { role: 'admin' })).status).toBe(200);
    return user;
  };

  it.each([
    ['demoting themselves', { role: 'viewer' }],
    ['deactivating themselves', { active: false }],
    ['both at once', { role: 'member', active: false }],
  ])('the only admin %s: 409 last_administrator, and nothing changed', async (_name, body) => {
    const response = await patch(root, rootId, body);
    expectErrorShape(response, 409);
    expect(response.body.code).toBe('last_administrator');
    const me = await t.get('/user/me', { token: root });
    expect(me.body).toMatchObject({ email: ADMIN_EMAIL, role: 'admin' });
    expect((await activeAdmins(root)).map((u) => u.id)).toEqual([rootId]);
  });

  it('the only admin may still rename themselves, or "change" to the admin role', async () => {
    expect((await patch(root, rootId, { displayName: 'Root' })).status).toBe(200);
    expect((await patch(root, rootId, { role: 'admin', active: true })).status).toBe(200);
  });

  it('with two admins one may go, the other then may not', async () => {
    const second = await promote();
    expect((await patch(second.session, rootId, { role: 'member' })).status).toBe(200);
    const refused = await patch(second.session, second.id, { active: false });
    expectErrorShape(refused, 409);
    expect((await activeAdmins(second.session)).map((u) => u.id)).toEqual([second.id]);
    // Back to the starting point: root is the admin again, the second one a member.
    expect((await patch(second.session, rootId, { role: 'admin' })).status).toBe(200);
    expect((await patch(root, second.id, { role: 'member' })).status).toBe(200);
  });

  it('two admins demoting each other at the same moment: exactly one succeeds, one admin remains', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await promote();
      const b = await promote();
      // Root steps down so that a and b are the only active admins.
      expect((await patch(a.session, rootId, { role: 'member' })).status).toBe(200);
      const [first, second] = await Promise.all([patch(a.session, b.id, { role: 'viewer' }), patch(b.session, a.id, { active: false })]);
      // The loser is refused by the last-administrator rule (409), or, if the winner committed before
      // the loser's request was authorized, because it is no admin any more (403) or, deactivated,
      // no longer signed in at all (401). Never both 200.
      const statuses = [first.status, second.status].sort();
      expect(statuses[0]).toBe(200);
      expect([401, 403, 409]).toContain(statuses[1]);
      const remaining = first.status === 200 ? a : b;
      expect((await activeAdmins(remaining.session)).map((u) => u.id)).toEqual([remaining.id]);
      // Back to root as the only admin.
      expect((await patch(remaining.session, rootId, { role: 'admin' })).status).toBe(200);
      expect((await patch(root, remaining.id, { role: 'member' })).status).toBe(200);
    }
  });
});
