import { AddressInfo } from 'node:net';
import { TokenHasher } from '../../libs/personal-access-tokens/src/tokens/token-hasher';
import { SECOND } from '../support/fake-clock';
import { TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { rawGet, rawRequest, withoutRequestId } from './support/hardening';
import { expectErrorShape, sqlQueriesLogged } from '../support/assertions';

const REALM = 'personal-access-tokens';
const BARE_CHALLENGE = `Bearer realm="${REALM}"`;

/** RFC 6750 and OWASP ASVS V3/V4: every way a credential can be malformed, misplaced or stale. */
describe.each(testDatabases())('hostile credentials on $name', (database) => {
  let t: TestApp;
  let alice: TestUser;
  let port: number;
  let good: string;

  beforeAll(async () => {
    t = await TestApp.start(database);
    alice = await t.createUser('member');
    good = (await t.mintToken(alice.session, { scopes: ['user:read'] })).token;
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  /** Counts HMAC computations (verification and the cache key alike) from now on. */
  const hashing = () => {
    const hasher = t.app.get(TokenHasher);
    const spies = [jest.spyOn(hasher, 'digest'), jest.spyOn(hasher, 'candidateDigests')];
    return {
      calls: () => spies.reduce((n, spy) => n + spy.mock.calls.length, 0),
      mockRestore: () => spies.forEach((spy) => spy.mockRestore()),
    };
  };

  describe('RFC 6750 matrix', () => {
    it('no Authorization header: 401 with a bare challenge, no error code', async () => {
      const response = await t.get('/user/me');
      expectErrorShape(response, 401);
      expect(response.headers['www-authenticate']).toBe(BARE_CHALLENGE);
    });

    it.each([['Basic YWxpY2U6c2VjcmV0'], ['Digest username="alice"'], ['Token abc'], ['Bearer' + 'x'.repeat(20)]])(
      'another scheme (%p) counts as no credential',
      async (authorization) => {
        const response = await t.get('/user/me', { headers: { authorization } });
        expectErrorShape(response, 401);
        expect(response.headers['www-authenticate']).toBe(BARE_CHALLENGE);
      },
    );

    it.each([
      ['Bearer', 'a scheme without a token'],
      ['Bearer   ', 'a scheme and blanks'],
      [`Bearer ${'x'} ${'y'}`, 'two tokens'],
      ['Bearer pat_a,pat_b', 'two tokens, comma-separated'],
      ['Bearer pat_{abc}', 'braces (outside b64token)'],
      ['Bearer pat_ä', 'a non-ASCII letter'],
      ['Bearer pat_a"b', 'a quote'],
      ['Bearer pat_a;b', 'a semicolon'],
      ['Bearer =abc', 'padding first'],
      ['Bearer pat_%00', 'a percent-encoded NUL'],
    ])('%p (%s): 400 invalid_request, nothing hashed', async (authorization) => {
      const spy = hashing();
      const response = await t.get('/user/me', { headers: { authorization } });
      expectErrorShape(response, 400);
      expect(response.body.code).toBe('invalid_request');
      expect(response.headers['www-authenticate']).toMatch(new RegExp(`^Bearer realm="${REALM}", error="invalid_request"`));
      expect(spy.calls()).toBe(0);
      spy.mockRestore();
    });

    it.each([
      ['the good one first', () => [good, 'pat_' + 'Z'.repeat(38)]],
      ['the good one last', () => [good.replace(/.$/, '0'), good]],
      ['twice the good one', () => [good, good]],
    ])('two Authorization headers (%s): 400 invalid_request', async (_name, tokens) => {
      // Node keeps only the first duplicate; a proxy in front may keep the last: refuse the ambiguity.
      const lines = tokens().map((token) => Buffer.from(`Authorization: Bearer ${token}`));
      const response = await rawRequest(port, rawGet('/user/me', lines));
      expect(response.status).toBe(400);
      expect(JSON.parse(response.body).code).toBe('invalid_request');
    });

    it.each([
      ['a NUL byte', Buffer.from([0x00])],
      ['a bare CR', Buffer.from('\r')],
      ['a bare LF', Buffer.from('\n')],
      ['CR/LF with a smuggled header', Buffer.from('\r\nX-Admin: 1')],
      ['a DEL byte', Buffer.from([0x7f])],
    ])('%s inside the token, over a real socket: 400, never 200', async (_name, bytes) => {
      const spy = hashing();
      const header = Buffer.concat([Buffer.from(`Authorization: Bearer ${good.slice(0, 10)}`), bytes, Buffer.from(good.slice(10))]);
      const response = await rawRequest(port, rawGet('/user/me', [header]));
      // Node's HTTP parser answers 400 itself for NUL and CR/LF; whatever gets through is refused by the guard.
      expect([400, 401]).toContain(response.status);
      expect(spy.calls()).toBe(0);
      spy.mockRestore();
    });

    it('a valid token over the same socket path works, and is hashed (the raw client and the spy are sound)', async () => {
      const spy = hashing();
      const response = await rawRequest(port, rawGet('/user/me', [Buffer.from(`Authorization: Bearer ${good}`)]));
      expect(response.status).toBe(200);
      expect(spy.calls()).toBeGreaterThan(0);
      spy.mockRestore();
    });

    it('an 8 KB Authorization header: 400 before any hashing or query', async () => {
      const spy = hashing();
      const before = sqlQueriesLogged(t).length;
      const response = await t.get('/user/me', { headers: { authorization: `Bearer pat_${'A'.repeat(8 * 1024)}` } });
      expectErrorShape(response, 400);
      expect(response.body.code).toBe('invalid_request');
      expect(spy.calls()).toBe(0);
      expect(sqlQueriesLogged(t).length).toBe(before);
      spy.mockRestore();
    });

    it('an 8 KB header over a real socket: 400 or 431', async () => {
      const response = await rawRequest(port, rawGet('/user/me', [Buffer.from(`Authorization: Bearer pat_${'A'.repeat(8 * 1024)}`)]));
      expect([400, 431]).toContain(response.status);
    });

    it('a 1 MB header over a real socket: 431 from the HTTP parser, the app never sees it', async () => {
      const spy = hashing();
      const response = await rawRequest(port, rawGet('/user/me', [Buffer.from(`Authorization: Bearer pat_${'A'.repeat(1024 * 1024)}`)]));
      expect([400, 431]).toContain(response.status);
      expect(spy.calls()).toBe(0);
      spy.mockRestore();
    });

    it('a token in the query string is refused, even a valid one, and never logged', async () => {
      const response = await t.get(`/user/me?access_token=${good}`);
      expectErrorShape(response, 400);
      expect(response.body.code).toBe('invalid_request');
      expect(t.logs.some((line) => line.includes(good))).toBe(false);
    });

    it('a token in the body is refused, even a valid one', async () => {
      const response = await t.post('/auth/logout', { access_token: good });
      expectErrorShape(response, 400);
      expect(response.body.code).toBe('invalid_request');
    });

    it('a token in a form-encoded body is refused', async () => {
      const response = await t.request('POST', '/auth/logout', {
        body: `access_token=${good}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect([400, 415]).toContain(response.status);
      expectErrorShape(response);
    });

    it('a token in both header and body: 400 invalid_request', async () => {
      const response = await t.post('/auth/logout', { access_token: good }, { token: good });
      expectErrorShape(response, 400);
      expect(response.body.code).toBe('invalid_request');
      // The valid credential still works on its own afterwards: the refusal changed nothing.
      expect((await t.get('/user/me', { token: good })).status).toBe(200);
    });
  });

  describe('stale credentials look the same', () => {
    it('unknown, revoked, rotated-away and expired tokens: same status, code, body and challenge', async () => {
      // A real secret whose token was deleted: as unknown as a secret never issued.
      const deleted = await t.mintToken(alice.session, { scopes: ['user:read'] });
      expect((await t.delete(`/user/me/personal-access-tokens/${deleted.id}`, { token: alice.session })).status).toBe(204);
      const unknown = deleted.token;
      const revoked = await t.mintToken(alice.session, { scopes: ['user:read'] });
      await t.post(`/user/me/personal-access-tokens/${revoked.id}/revoke`, {}, { token: alice.session });
      const rotated = await t.mintToken(alice.session, { scopes: ['user:read'] });
      const rotation = await t.patch(`/user/me/personal-access-tokens/${rotated.id}/rotate`, {}, { token: alice.session });
      expect(rotation.status).toBe(200);
      const expired = await t.mintToken(alice.session, { scopes: ['user:read'], expiresIn: '1h' });
      t.clock.advance(3600 * SECOND);

      const answers = [];
      for (const token of [unknown, revoked.token, expired.token, rotated.token]) answers.push(await t.get('/user/me', { token }));
      for (const answer of answers) {
        expectErrorShape(answer, 401);
        expect(answer.body.code).toBe('invalid_token');
      }
      const [first, ...rest] = answers;
      for (const answer of rest) {
        expect(withoutRequestId(answer.body)).toEqual(withoutRequestId(first.body));
        expect(answer.headers['www-authenticate']).toBe(first.headers['www-authenticate']);
      }
      t.clock.advance(-3600 * SECOND);
    });

    it('a token whose checksum is wrong is refused with zero database queries', async () => {
      const last = good.slice(-1);
      const forged = good.slice(0, -1) + (last === 'A' ? 'B' : 'A');
      const spy = hashing();
      const before = sqlQueriesLogged(t).length;
      const response = await t.get('/user/me', { token: forged });
      const during = sqlQueriesLogged(t).slice(before);
      expectErrorShape(response, 401);
      expect(response.body.code).toBe('invalid_token');
      expect(spy.calls()).toBe(0);
      // Only the failed-attempt counter and the audit trail may write; nothing reads a credential table.
      expect(during.filter((line) => /personal_access_tokens|retired_token_digests|sessions/.test(line) && /SELECT/i.test(line))).toEqual(
        [],
      );
      spy.mockRestore();
    });

    it('a checksum-invalid token of the right length and alphabet: no lookup, only failure bookkeeping', async () => {
      const forged = 'pat_' + 'Z'.repeat(38);
      const before = sqlQueriesLogged(t).length;
      const response = await t.get('/user/me', { token: forged });
      expect(response.status).toBe(401);
      // The failed-attempt counter (a table on MySQL) and the batched audit event are the only writes.
      const bookkeeping = /audit_events|rate_limit|"query":"(START TRANSACTION|COMMIT|ROLLBACK)"/;
      expect(
        sqlQueriesLogged(t)
          .slice(before)
          .filter((line) => !bookkeeping.test(line)),
      ).toEqual([]);
    });
  });

  describe('expiry boundary (fake clock)', () => {
    it('works 1 s before expiresAt, is refused exactly at it and 1 s after', async () => {
      const start = t.clock.now();
      const expiresAt = new Date(start.getTime() + 3600 * SECOND);
      const token = await t.mintToken(alice.session, { scopes: ['user:read'], expiresAt: expiresAt.toISOString() });
      try {
        t.clock.set(new Date(expiresAt.getTime() - SECOND));
        expect((await t.get('/user/me', { token: token.token })).status).toBe(200);
        t.clock.set(expiresAt);
        const at = await t.get('/user/me', { token: token.token });
        expectErrorShape(at, 401);
        expect(at.body.code).toBe('invalid_token');
        t.clock.set(new Date(expiresAt.getTime() + SECOND));
        expect((await t.get('/user/me', { token: token.token })).status).toBe(401);
        const listed = await t.get(`/user/me/personal-access-tokens/${token.id}`, { token: alice.session });
        expect(listed.body.status).toBe('expired');
      } finally {
        t.clock.set(start);
      }
    });
  });
});
