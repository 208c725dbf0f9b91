import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { expectErrorShape } from '../support/assertions';
import { deepArray, eventsOf, sendRaw, wideObject } from './support';

const TOKENS = '/user/me/personal-access-tokens';

/** Bodies an attacker would send to crash the audit scrubber, or to bloat an event out of its column. */
const HOSTILE: [string, (field: string) => string][] = [
  ['an array nested 20,000 deep', (field) => `{"${field}":${deepArray(20_000)}}`],
  ['an object nested 10,000 deep', (field) => `{"${field}":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}`],
  ['an object with 8,000 keys', (field) => `{"${field}":${wideObject(8_000)}}`],
  ['a 100,000-character string', (field) => `{"${field}":"${'x'.repeat(100_000)}"}`],
  [
    'a 40-wide array of 40-wide arrays of arrays',
    (field) =>
      `{"${field}":[${Array(40)
        .fill(`[${Array(40).fill('[1]').join(',')}]`)
        .join(',')}]}`,
  ],
];

/**
 * Refusals always reach the audit trail, whatever the body: a failed login, a 403, a guessed token
 * and a 400, each with bodies built to break a recursive or unbounded scrubber. One event each,
 * with the refused outcome, and a placeholder where the body was cut.
 */
describe.each(testDatabases())('refusals are always audited, on $name', (database) => {
  let t: TestApp;
  let alice: TestUser;
  let readOnly: { id: string; token: string; name: string };

  beforeAll(async () => {
    t = await TestApp.start(database);
    alice = await t.createUser('member');
    readOnly = await t.mintToken(alice.session, { name: 'read-only', scopes: ['personal_access_tokens:read'] });
  });
  afterAll(() => t.close());

  afterEach(() => {
    expect(t.logs.filter((line) => /Maximum call stack|Could not record/.test(line))).toEqual([]);
  });

  describe.each(HOSTILE)('with %s', (_name, body) => {
    it('a login refused (400): answered in the error shape and audited as auth.login', async () => {
      const { response, requestId } = await sendRaw(t, 'POST', '/auth/login', body('email'));
      expectErrorShape(response, 400);
      expect(response.body.details?.[0]?.field).toBe('email');
      const events = await eventsOf(t, requestId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: 'auth.login', statusCode: 400, outcome: 'error' });
      expect(events[0].details).toContain('[truncated]');
    });

    it('a create refused for lack of scope (403): audited against the calling token', async () => {
      const { response, requestId } = await sendRaw(t, 'POST', TOKENS, body('name'), { token: readOnly.token });
      expectErrorShape(response, 403);
      const events = await eventsOf(t, requestId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        action: 'personal_access_token.create',
        statusCode: 403,
        outcome: 'denied',
        actorUserId: alice.id,
        tokenId: readOnly.id,
        tokenName: 'read-only',
      });
      expect(events[0].details).toContain('[truncated]');
    });

    it('a guessed token (401): audited as denied', async () => {
      const guess = 'pat_' + 'Q'.repeat(38);
      const { response, requestId } = await sendRaw(t, 'POST', TOKENS, body('name'), { token: guess });
      expectErrorShape(response, 401);
      const events = await eventsOf(t, requestId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: 'personal_access_token.create', statusCode: 401, outcome: 'denied' });
      expect(events[0].details).not.toContain(guess);
    });

    it('a create refused by validation (400): audited, with the field named and nothing created', async () => {
      const { response, requestId } = await sendRaw(t, 'POST', TOKENS, body('name'), { token: alice.session });
      expectErrorShape(response, 400);
      expect(response.body.details?.[0]?.field).toBe('name');
      const events = await eventsOf(t, requestId);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ action: 'personal_access_token.create', statusCode: 400, actorUserId: alice.id });
      expect(events[0].details!.length).toBeLessThan(60_000);
      expect(events[0].details).toContain('[truncated]');
      expect((await t.get(TOKENS, { token: alice.session })).body.total).toBe(1);
    });
  });

  it('a secret in a hostile body is masked in the event, in keys as in values', async () => {
    const secret = readOnly.token;
    const { response, requestId } = await sendRaw(t, 'POST', TOKENS, `{"name":{"${secret}":["${secret}",${deepArray(500)}]}}`, {
      token: alice.session,
    });
    expectErrorShape(response, 400);
    const [event] = await eventsOf(t, requestId);
    expect(event.details).toContain('[redacted]');
    expect(event.details).not.toContain(secret.slice(4));
  });
});
