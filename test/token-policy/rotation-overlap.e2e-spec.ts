import { DEFAULT_POLICY, TokenEvents } from '../../libs/personal-access-tokens/src';
import { TokenBookkeepingService } from '../../libs/personal-access-tokens/src/tokens/token-bookkeeping.service';
import { RotationOverlap } from '../../libs/personal-access-tokens/src/tokens/rotation-overlap';
import { TokenEvent } from '../support/library-internals';
import { HOUR, MINUTE, SECOND } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';

const BASE = '/user/me/personal-access-tokens';
const SELF = `${BASE}/self`;

describe.each(testDatabases())('rotation with an overlap on $name', (database) => {
  let t: TestApp;
  let user: TestUser;
  const events: TokenEvent[] = [];

  beforeAll(async () => {
    t = await TestApp.start(database);
    t.app.get(TokenEvents).subscribe((event) => {
      events.push(event);
    });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    user = await t.createUser('member');
    events.length = 0;
  });

  const settle = async () => {
    await t.app.get(TokenBookkeepingService).settled();
    await t.app.get(RotationOverlap).settled();
  };
  const rotate = (id: string, body: Record<string, unknown>) => t.patch(`${BASE}/${id}/rotate`, body, { token: user.session });
  const use = (secret: string) => t.get(SELF, { token: secret });
  const ofType = (type: string, tokenId: string) => events.filter((e) => e.type === type && e.tokenId === tokenId);

  it('keeps the old secret working until the overlap ends, shows its last use, then refuses it and revokes the token', async () => {
    const minted = await t.mintToken(user.session, { expiresIn: '30d' });
    const rotated = await rotate(minted.id, { overlapSeconds: 3600 });
    expect(rotated.status).toBe(200);
    const endsAt = new Date(t.clock.now().getTime() + HOUR);
    expect(rotated.body.rotationOverlapEndsAt).toBe(endsAt.toISOString());
    expect(rotated.body.previousSecretLastUsedAt).toBeNull();
    expect(ofType('token.rotated', minted.id)[0].details).toMatchObject({ overlapEndsAt: endsAt });

    t.clock.advance(10 * MINUTE);
    expect((await use(minted.token)).status).toBe(200);
    expect((await use(rotated.body.token)).status).toBe(200);
    await settle();
    const during = await t.get(`${BASE}/${minted.id}`, { token: user.session });
    expect(during.body).toMatchObject({ status: 'active', rotationOverlapEndsAt: endsAt.toISOString() });
    expect(during.body.previousSecretLastUsedAt).toBe(t.clock.now().toISOString());

    t.clock.set(new Date(endsAt.getTime() - 1));
    expect((await use(minted.token)).status).toBe(200);
    t.clock.set(endsAt);
    const late = await use(minted.token);
    expect(late.status).toBe(401);
    expect(late.body.code).toBe('invalid_token');
    expect(ofType('token.reuse_detected', minted.id)).toHaveLength(1);
    expect((await use(rotated.body.token)).status).toBe(401);
    const after = await t.get(`${BASE}/${minted.id}`, { token: user.session });
    expect(after.body).toMatchObject({ status: 'revoked', rotationOverlapEndsAt: null, previousSecretLastUsedAt: null });
  });

  it('refuses the old secret at the overlap end even from the verification cache', async () => {
    const minted = await t.mintToken(user.session, { expiresIn: '30d' });
    const rotated = await rotate(minted.id, { overlapSeconds: 60 });
    t.clock.advance(60 * SECOND - 500);
    // Verified and cached (the cache keeps entries 2 s in tests).
    expect((await use(minted.token)).status).toBe(200);
    t.clock.advance(500);
    expect((await use(minted.token)).status).toBe(401);
    expect(ofType('token.reuse_detected', minted.id)).toHaveLength(1);
    expect((await use(rotated.body.token)).status).toBe(401);
  });

  it('stops the old secret at once by default, as before', async () => {
    const minted = await t.mintToken(user.session, { expiresIn: '30d' });
    const rotated = await rotate(minted.id, {});
    expect(rotated.body.rotationOverlapEndsAt).toBeNull();
    expect((await use(minted.token)).status).toBe(401);
    expect((await t.get(`${BASE}/${minted.id}`, { token: user.session })).body.status).toBe('revoked');
  });

  it('ends the first overlap at a second rotation, and a regeneration ends any overlap', async () => {
    const minted = await t.mintToken(user.session, { expiresIn: '30d' });
    const first = await rotate(minted.id, { overlapSeconds: 6 * 3600 });
    t.clock.advance(HOUR);
    const second = await rotate(minted.id, { overlapSeconds: 6 * 3600 });
    expect(second.status).toBe(200);
    expect((await use(first.body.token)).status).toBe(200);
    // The first secret was retired by the first rotation: its overlap ended with the second.
    expect((await use(minted.token)).status).toBe(401);
    expect(ofType('token.reuse_detected', minted.id)).toHaveLength(1);

    const other = await t.mintToken(user.session, { expiresIn: '30d' });
    await rotate(other.id, { overlapSeconds: 3600 });
    expect((await t.post(`${BASE}/${other.id}/revoke`, {}, { token: user.session })).status).toBe(200);
    expect((await use(other.token)).status).toBe(401);
    const regenerated = await t.post(`${BASE}/${other.id}/regenerate`, {}, { token: user.session });
    expect(regenerated.status).toBe(200);
    expect(regenerated.body.rotationOverlapEndsAt).toBeNull();
    expect((await use(other.token)).status).toBe(401);
    expect((await use(regenerated.body.token)).status).toBe(401);
  });

  it('refuses hostile overlaps, naming the field, and changes nothing', async () => {
    const minted = await t.mintToken(user.session, { expiresIn: '30d' });
    for (const overlapSeconds of [null, '3600', -1, 86_401, 1.5, true, { seconds: 1 }, [60], 1e300]) {
      const refused = await rotate(minted.id, { overlapSeconds });
      expect([overlapSeconds, refused.status, refused.body.code]).toEqual([overlapSeconds, 400, 'validation_failed']);
      expect(refused.body.details).toEqual([expect.objectContaining({ field: 'overlapSeconds' })]);
    }
    const token = await t.get(`${BASE}/${minted.id}`, { token: user.session });
    expect(token.body).toMatchObject({ status: 'active', rotatedAt: null, rotationOverlapEndsAt: null });
    expect((await use(minted.token)).status).toBe(200);
  });

  it('records the overlap asked for in the audit trail', async () => {
    const minted = await t.mintToken(user.session, { expiresIn: '30d' });
    expect((await rotate(minted.id, { overlapSeconds: 900 })).status).toBe(200);
    const trail = await t.get(`/user/me/audit-events?tokenId=${minted.id}&action=personal_access_token.rotate&limit=10`, {
      token: user.session,
    });
    expect(trail.body.items).toHaveLength(1);
    expect(JSON.stringify(trail.body.items[0].details)).toContain('"overlapSeconds":900');
  });

  it('at the overlap end, concurrent uses of the old secret are all refused and revoke the token once', async () => {
    const minted = await t.mintToken(user.session, { expiresIn: '30d' });
    const rotated = await rotate(minted.id, { overlapSeconds: 300 });
    t.clock.advance(300 * SECOND - 1);
    const before = await Promise.all(Array.from({ length: 8 }, () => use(minted.token)));
    expect(before.map((r) => r.status)).toEqual(Array(8).fill(200));
    t.clock.advance(1);
    const at = await Promise.all([...Array.from({ length: 8 }, () => use(minted.token)), use(rotated.body.token)]);
    expect(at.slice(0, 8).map((r) => r.status)).toEqual(Array(8).fill(401));
    expect(ofType('token.reuse_detected', minted.id)).toHaveLength(1);
    expect((await use(rotated.body.token)).status).toBe(401);
  });
});

describe.each(testDatabases())('rotation overlap policy on $name', (database) => {
  let t: TestApp;
  afterEach(() => t.close());

  it('refuses an overlap beyond the policy maximum, and the token keeps working', async () => {
    t = await TestApp.start(database, { policy: { ...DEFAULT_POLICY, maxRotationOverlapSeconds: 600 } });
    const user = await t.createUser('member');
    const minted = await t.mintToken(user.session, { expiresIn: '30d' });
    const refused = await t.patch(`${BASE}/${minted.id}/rotate`, { overlapSeconds: 601 }, { token: user.session });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([{ field: 'overlapSeconds', reason: expect.stringContaining('600') }]);
    expect((await t.get(SELF, { token: minted.token })).status).toBe(200);
    expect((await t.patch(`${BASE}/${minted.id}/rotate`, { overlapSeconds: 600 }, { token: user.session })).status).toBe(200);
  });
});
