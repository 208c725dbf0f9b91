import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DEFAULT_POLICY } from '../../libs/personal-access-tokens/src';
import { AuditWriter } from '../support/library-internals';
import { DAY } from '../support/fake-clock';
import { Response, TestApp, TestUser } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { DIGEST, recordFigures } from './support/hardening';
import { isErrorShape } from '../support/assertions';
import { Case, differences, Findings, snapshot } from './support/fuzz-findings';
import {
  ABSENT,
  bodySchemaOf,
  Field,
  fieldsOf,
  FuzzValue,
  fuzzValues,
  isAbout,
  OpenApi,
  resolve,
  Route,
  routesOf,
  Schema,
  typeRuleOf,
  validBody,
  valuesFor,
  verdictOf,
} from './support/openapi-cases';

/**
 * Random cases per route (credentials, path parameters, hostile strings; the sweep below covers each
 * field's fixed values); FUZZ_RUNS=500 for a longer hunt.
 */
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 20);
/** Fixed, so that a failure reproduces; FUZZ_SEED=<n> for other cases. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

/** The sweep's callers: a login session, and a PAT with `expiresIn: "1h"` and every scope its user may grant. */
const CALLER_KINDS = ['session', 'pat'] as const;

/** The most scopes one token may hold. */
const MAX_SCOPES_PER_TOKEN = 50;

/** What a user relies on, whatever a field is sent: each is one test, listing the cases that broke it. */
const INVARIANTS = {
  noServerError: 'no request answers 5xx',
  errorShape: 'every error body is {statusCode, error, code, message, requestId} (+ details)',
  refusesForbidden: 'a value the documented schema forbids (missing, null, wrong type, bad format, out of bounds) is a 400',
  namesField: 'a 400 names the fuzzed field in details',
  namesTypeRule: 'a 400 for a missing, null or wrong-typed value names that rule, not a later one',
  noEcho: 'no error body quotes a value from the URL (query or path), a secret or a digest',
  mintedUsable: 'every token handed out works at once (GET /user/me/personal-access-tokens/self)',
  withinPolicy: "every token handed out expires, within the policy's maximum lifetime",
  withinParent: 'no token handed out to a PAT outlives that PAT',
  refusedChangesNothing: 'a refused request changes nothing (users, and the tokens, scopes and sessions of those involved)',
  storedExpiry: "every active token stored has a readable expiry within the policy's maximum",
};

/** What the schema cannot say about a valid body. */
const BODY_OVERRIDES: Record<string, (user: TestUser, unique: (base: string) => string) => Record<string, unknown>> = {
  // Logging in needs a real account: the fuzzed field replaces one half of it.
  'POST /auth/login': (user) => ({ email: user.email, password: user.password }),
  // Names are unique among a user's tokens.
  'POST /user/me/personal-access-tokens': (_user, unique) => ({ name: unique('fuzz') }),
};

/** The scope of the token a route's `{id}` names (and its `{scope}`). */
const TARGET_SCOPE = 'reports:read';

/** Routes whose `{id}` must name a revoked token: an active one is rotated, not regenerated. */
const REVOKED_TARGET = new Set(['POST /user/me/personal-access-tokens/{id}/regenerate']);

/** Every string in a JSON value, however deep. */
function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}

/** What attackers and broken clients send: huge, unicode, NUL, injections, wrong types. */
const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\r\nX-Injected: 1',
  "' OR '1'='1",
  "'; DROP TABLE personal_access_tokens; --",
  '" OR ""="',
  '1; SELECT SLEEP(5)',
  '%',
  '%00',
  '%25%32%35',
  '../../../../etc/passwd',
  '{"$gt":""}',
  '{"__proto__":{"admin":true}}',
  '__proto__',
  'constructor',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '\u202Eevil',
  '\uD800',
  '🙂'.repeat(300),
  'é'.repeat(1000),
  'A'.repeat(5000),
  '1e309',
  '-1',
  '0',
  'NaN',
  'null',
  'true',
  '00000000-0000-0000-0000-000000000000',
  'pat_0000000000000000000000000000000000000000',
];

const hostileString = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 100 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 100_000 }).map((n) => 'x'.repeat(n)) },
);

/** Any JSON value of a wrong type, including deep nesting. */
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.constant(Number.MAX_SAFE_INTEGER),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }), { maxKeys: 5 }),
  fc.integer({ min: 40, max: 3000 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth))),
);

/** encodeURIComponent, with lone surrogates (which it refuses) replaced as a client library would. */
function encodeSegment(value: string): string {
  return encodeURIComponent(value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
}

/** Values that follow the schema, often, and values that do not, as often. */
function valueFor(spec: OpenApi, raw: Schema | undefined, known: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  const schema = resolve(spec, raw);
  const valid: fc.Arbitrary<unknown>[] = [];
  if (schema.enum?.length) valid.push(fc.constantFrom(...schema.enum));
  else if (schema.type === 'string' && schema.format === 'date-time')
    valid.push(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
  else if (schema.type === 'string' && schema.format === 'email') valid.push(fc.emailAddress());
  else if (schema.type === 'string') valid.push(fc.string({ minLength: schema.minLength ?? 0, maxLength: schema.maxLength ?? 50 }), known);
  else if (schema.type === 'number' || schema.type === 'integer')
    valid.push(fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 1000, 1000) }));
  else if (schema.type === 'boolean') valid.push(fc.boolean());
  else if (schema.type === 'array') valid.push(fc.array(valueFor(spec, schema.items, known), { maxLength: 8 }));
  else if (schema.type === 'object' && schema.properties) valid.push(objectFor(spec, schema, known));
  else valid.push(known);
  return fc.oneof(
    { weight: 3, arbitrary: fc.oneof(...valid) },
    { weight: 1, arbitrary: hostileString },
    { weight: 1, arbitrary: wrongType },
  );
}

/** An object from the schema's properties (some left out), sometimes with a privileged or unknown field. */
function objectFor(spec: OpenApi, schema: Schema, known: fc.Arbitrary<string>): fc.Arbitrary<Record<string, unknown>> {
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, s]) => [name, valueFor(spec, s, known)]));
  const extra = fc.option(
    fc.tuple(fc.constantFrom('userId', 'status', 'digest', 'role', 'lastUsedAt', 'id', 'admin', 'access_token'), hostileString),
    {
      freq: 4,
    },
  );
  return fc
    .tuple(fc.record(properties, { requiredKeys: [] }), extra)
    .map(([object, field]) => (field ? { ...object, [field[0]]: field[1] } : object));
}

/** A light JSON-schema check of a 2xx body against the documented response. */
function conforms(spec: OpenApi, raw: Schema | undefined, value: unknown, path = '$'): string | undefined {
  const schema = resolve(spec, raw);
  if (value === null) return schema.nullable || !schema.type ? undefined : `${path} is null`;
  if (schema.enum && !schema.enum.includes(value)) return `${path} not in enum`;
  switch (schema.type) {
    case 'object':
      if (typeof value !== 'object' || Array.isArray(value)) return `${path} is not an object`;
      for (const name of schema.required ?? []) if (!(name in value)) return `${path}.${name} is missing`;
      for (const [name, property] of Object.entries(schema.properties ?? {})) {
        const field = (value as Record<string, unknown>)[name];
        const problem = field === undefined ? undefined : conforms(spec, property, field, `${path}.${name}`);
        if (problem) return problem;
      }
      return undefined;
    case 'array':
      if (!Array.isArray(value)) return `${path} is not an array`;
      return value.map((item, i) => conforms(spec, schema.items, item, `${path}[${i}]`)).find(Boolean);
    case 'string':
      return typeof value === 'string' ? undefined : `${path} is not a string`;
    case 'number':
    case 'integer':
      return typeof value === 'number' ? undefined : `${path} is not a number`;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `${path} is not a boolean`;
    default:
      return undefined;
  }
}

/**
 * OpenAPI-driven fuzzing (OWASP API8/API4): every route of the service's own `/docs-json`, with
 * arguments generated from its schemas plus hostile values, under valid and invalid credentials.
 * No 5xx, every error in the one error shape, every 2xx as documented.
 */
describe.each(testDatabases())('OpenAPI-driven fuzzing on $name', (database) => {
  let t: TestApp;
  let spec: OpenApi;
  let cases = 0;
  let requests = 0;
  let succeeded = 0;
  const serverErrors: string[] = [];
  const undocumented = new Map<string, Set<number>>();

  beforeAll(async () => {
    t = await TestApp.start(database, {
      failedAuthLimit: { limit: 1_000_000, windowSeconds: 60 },
      loginRateLimit: { perIp: 1_000_000, failuresPerEmail: 1_000_000, windowSeconds: 60 },
      introspectionRateLimit: { limit: 1_000_000, windowSeconds: 60 },
      credentialRevocationRateLimit: { limit: 1_000_000, windowSeconds: 60 },
      // The sweep mints hundreds of tokens per user; the cap has suites of its own.
      policy: { ...DEFAULT_POLICY, maxActiveTokensPerUser: 100_000 },
    });
    spec = (await t.get('/docs-json')).body;
  });
  afterAll(async () => {
    const undocumentedStatuses = [...undocumented].map(([route, statuses]) => `${route}: ${[...statuses].sort().join(',')}`).join('; ');
    recordFigures(`fuzz-${database.name}`, {
      routes: operations().length,
      cases,
      requests,
      succeeded,
      serverErrors: serverErrors.length,
      undocumentedStatuses,
    });
    await t.close();
  });

  /**
   * Like `t.request`, but only what the service issues counts as a secret for the log scan: a
   * fuzzed "password" of 5000 'A's would otherwise match every log line that holds a long name.
   */
  const send = async (method: string, url: string, headers: Record<string, string>, body: unknown): Promise<Response> => {
    const response = await t.app.inject({
      method: method as 'GET',
      url,
      headers,
      remoteAddress: '127.0.0.1',
      ...(body !== undefined && { payload: body as object }),
    });
    let parsed: unknown = response.body;
    if (String(response.headers['content-type'] ?? '').includes('application/json') && response.body) parsed = JSON.parse(response.body);
    if (response.statusCode < 300 && parsed && typeof parsed === 'object') {
      for (const key of ['token', 'accessToken']) {
        const value = (parsed as Record<string, unknown>)[key];
        if (typeof value === 'string' && /^pats?_/.test(value)) t.secrets.add(value);
      }
    }
    return { status: response.statusCode, body: parsed, headers: response.headers };
  };

  const operations = () =>
    spec ? Object.entries(spec.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op }))) : [];

  /** Fresh principals and objects per route, so that one route's damage (logout, revoke) does not blunt the next. */
  const world = async () => {
    const member = await t.createUser('member');
    const other = await t.createUser('member');
    const admin = await t.loginAdmin();
    const scopes = ['personal_access_tokens:read', 'personal_access_tokens:write', 'user:read', 'audit:read', 'reports:read'];
    const pat = await t.mintToken(member.session, { scopes });
    const own = await t.mintToken(member.session, { scopes: ['reports:read'] });
    const revoked = await t.mintToken(member.session, { scopes: ['reports:read'] });
    await t.post(`/user/me/personal-access-tokens/${revoked.id}/revoke`, {}, { token: member.session });
    const foreign = await t.mintToken(other.session, { scopes: ['reports:read'] });
    const credentials: (string | undefined)[] = [
      member.session,
      pat.token,
      admin,
      revoked.token,
      undefined,
      'pat_0000000000000000000000000000000000000000',
      `pats_${randomBytes(19).toString('hex')}`,
    ];
    const ids = [own.id, revoked.id, foreign.id, member.id, other.id, '7d1c0d8e-0f6a-4c1e-9a53-3b9f1f3a0d55'];
    const known = fc.constantFrom(...ids, own.token, 'reports:read', 'personal_access_tokens:read', member.email);
    return { credentials, ids, known };
  };

  it('serves an OpenAPI document with every route', () => {
    expect(operations().length).toBeGreaterThan(20);
  });

  it('no route answers 5xx or leaves the error shape, whatever it is sent', async () => {
    for (const { path, method, op } of operations()) {
      const route = `${method.toUpperCase()} ${path}`;
      const { credentials, ids, known } = await world();
      const pathParams = (op.parameters ?? []).filter((p) => p.in === 'path');
      const queryParams = (op.parameters ?? []).filter((p) => p.in === 'query');
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const args = fc.record({
        credential: fc.constantFrom(...credentials),
        scheme: fc.constantFrom('Bearer', 'Bearer', 'ApiKey', 'bearer'),
        path: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, fc.oneof(fc.constantFrom(...ids), known, hostileString)]))),
        query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, valueFor(spec, p.schema, known)])), { requiredKeys: [] }),
        body: bodySchema
          ? fc.oneof({ weight: 4, arbitrary: objectFor(spec, resolve(spec, bodySchema), known) }, { weight: 1, arbitrary: wrongType })
          : fc.constant(undefined),
      });
      await fc.assert(
        fc.asyncProperty(args, async (a) => {
          cases++;
          let url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeSegment(String(a.path[name])));
          const query = new URLSearchParams();
          for (const [name, value] of Object.entries(a.query))
            query.append(name, typeof value === 'string' ? value : JSON.stringify(value));
          if ([...query].length) url += `?${query}`;
          const headers: Record<string, string> = a.credential ? { authorization: `${a.scheme} ${a.credential}` } : {};
          requests++;
          const response = await send(
            method.toUpperCase(),
            url,
            headers,
            a.body === undefined && method !== 'get' && method !== 'delete' ? {} : a.body,
          );
          if (response.status < 300) succeeded++;
          if (response.status >= 500)
            serverErrors.push(`${route} ${url.slice(0, 200)}: ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
          if (!op.responses[String(response.status)]) {
            if (!undocumented.has(route)) undocumented.set(route, new Set());
            undocumented.get(route)!.add(response.status);
          }
          if (response.status >= 400) return response.status < 500 && isErrorShape(response.body, response.status);
          const documented = op.responses[String(response.status)];
          if (!documented) return false;
          const json = documented.content?.['application/json']?.schema;
          const isJson = String(response.headers['content-type'] ?? '').includes('application/json');
          return !json || !isJson || conforms(spec, json, response.body) === undefined;
        }),
        { numRuns: RUNS_PER_ROUTE, seed: SEED },
      );
    }
    expect(serverErrors).toEqual([]);
  }, 600_000);

  /**
   * The sweep: every field of every body, every query parameter and every path parameter the
   * document lists, sent each value of `fuzzValues` in turn (the rest of the request valid), by a
   * session and by a 1-hour PAT with every scope its user may grant. Deterministic: the same cases
   * in the same order each run. Each case is judged by the invariants below; a broken one is
   * recorded, not thrown, so that one run lists every failure (FUZZ_FINDINGS=<file> writes them as
   * JSON lines).
   */
  describe('every body field, query parameter and path parameter, sent null, wrong types, empty and impossible values', () => {
    const findings = new Findings();
    let sweepCases = 0;

    beforeAll(async () => {
      const started = Date.now();
      const slowest: [string, number][] = [];
      const values = fuzzValues(await revokedSecret());
      for (const route of routesOf(spec)) {
        const fields = fieldsOf(spec, route);
        if (!fields.length) continue;
        const routeStarted = Date.now();
        for (const kind of CALLER_KINDS) {
          const caller = await callerFor(route, kind);
          const targetUser = route.path.startsWith('/admin/users/{id}') ? await t.createUser('member') : undefined;
          const target = {};
          for (const field of fields)
            for (const value of valuesFor(field, values)) {
              sweepCases++;
              await runCase({ route, field, value, caller, targetUser, target });
            }
        }
        slowest.push([route.name, Date.now() - routeStarted]);
      }
      await checkStoredExpiries();
      findings.write(database.name);
      recordFigures(`fuzz-sweep-${database.name}`, {
        cases: sweepCases,
        seconds: Math.round((Date.now() - started) / 1000),
        slowestRoutes: slowest
          .sort((a, b) => b[1] - a[1])
          .slice(0, 5)
          .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)}s`)
          .join('; '),
      });
    }, 1_200_000);

    it('ran a case for every field of every body, query and path', () => {
      expect(sweepCases).toBeGreaterThan(500);
    });

    it('documents every field with a type it can be judged by', () => {
      const untyped = routesOf(spec).flatMap((route) =>
        fieldsOf(spec, route)
          .filter((field) => !field.schema.type || (field.schema.type === 'object' && !Object.keys(field.schema.properties ?? {}).length))
          .map((field) => `${route.name} ${field.location}.${field.name}: ${JSON.stringify(field.schema)}`),
      );
      expect(untyped).toEqual([]);
    });

    it('sees a change between two snapshots (the "changes nothing" check is not vacuous)', async () => {
      const user = await t.createUser('member');
      const token = await t.mintToken(user.session, { scopes: ['reports:read'] });
      const before = await snapshot(t.app.get(DataSource), [user.id]);
      await t.post(`/user/me/personal-access-tokens/${token.id}/revoke`, {}, { token: user.session });
      expect(differences(before, await snapshot(t.app.get(DataSource), [user.id]))).toEqual([
        expect.stringMatching(new RegExp(`^tokens ${token.id}: .*status`)),
      ]);
    });

    it.each(Object.values(INVARIANTS))('%s', (invariant) => {
      expect(findings.of(invariant)).toEqual([]);
    });

    type CallerKind = (typeof CALLER_KINDS)[number];

    interface Caller {
      kind: CallerKind;
      user: TestUser;
      credential: string;
      /** The PAT's own expiry; null for a session. */
      expiresAt: number | null;
    }

    interface FuzzCase {
      route: Route;
      field: Field;
      value: FuzzValue;
      caller: Caller;
      targetUser?: TestUser;
      /** The token the route's `{id}` names, kept while requests are refused (which change nothing). */
      target: { tokenId?: string };
    }

    /**
     * A token-shaped value that is a real secret of this service (revoked, so harmless if used).
     * Error bodies must never quote it; but the sweep itself puts it in names and search terms,
     * where storing and logging it is the client's doing, so the log and audit scans leave it out.
     */
    const revokedSecret = async (): Promise<string> => {
      const bystander = await t.createUser('member');
      const leaked = await t.mintToken(bystander.session, { scopes: ['reports:read'] });
      await t.post(`/user/me/personal-access-tokens/${leaked.id}/revoke`, {}, { token: bystander.session });
      t.secrets.delete(leaked.token);
      fuzzSecret = leaked.token;
      return leaked.token;
    };
    let fuzzSecret = '';

    /** A fresh user (administrator where the route needs one) and the credential it calls with. */
    const callerFor = async (route: Route, kind: CallerKind): Promise<Caller> => {
      const privileges = route.op['x-required-privileges'] ?? [];
      const admin = route.path.startsWith('/admin') || privileges.some((p) => p !== 'GENERATE_PERSONAL_ACCESS_TOKENS');
      const user = await t.createUser(admin ? 'admin' : 'member');
      if (kind === 'session') return { kind, user, credential: user.session, expiresAt: null };
      const catalog = await t.get('/scopes', { token: user.session });
      const scopes = catalog.body.items.filter((s: { grantable: boolean }) => s.grantable).map((s: { scope: string }) => s.scope);
      const pat = await t.mintToken(user.session, { expiresIn: '1h', scopes: scopes.slice(0, MAX_SCOPES_PER_TOKEN) });
      return { kind, user, credential: pat.token, expiresAt: Date.parse(pat.expiresAt) };
    };

    let counter = 0;
    const unique = (base: string) => `${base}-${++counter}`;

    /**
     * The valid value of a path parameter: the target user of an admin route, else a fresh token of
     * the caller's (revoked where the route needs it) and a scope that token holds.
     */
    const pathValue = async (c: FuzzCase, name: string): Promise<string> => {
      if (name === 'id') return c.targetUser ? c.targetUser.id : (c.target.tokenId ??= await freshToken(c));
      if (name === 'scope') return TARGET_SCOPE;
      // An approval request's or a policy violation's token: a fresh token of the caller's (the body
      // and query are validated before it is looked up, so their cases need no pending token).
      if (name === 'tokenId') return (c.target.tokenId ??= await freshToken(c));
      throw new Error(`no value for path parameter ${name} of ${c.route.name}`);
    };

    const freshToken = async ({ route, caller }: FuzzCase): Promise<string> => {
      const token = await t.mintToken(caller.user.session, { scopes: [TARGET_SCOPE] });
      if (REVOKED_TARGET.has(route.name))
        await t.post(`/user/me/personal-access-tokens/${token.id}/revoke`, {}, { token: caller.user.session });
      return token.id;
    };

    const requestOf = async (c: FuzzCase) => {
      let url = c.route.path;
      for (const [, name] of c.route.path.matchAll(/\{(\w+)\}/g)) {
        const fuzzed = c.field.location === 'path' && c.field.name === name;
        const value = fuzzed ? (c.value.query as string) : await pathValue(c, name);
        url = url.replace(`{${name}}`, encodeSegment(value));
      }
      const query = new URLSearchParams();
      if (c.field.location === 'query') for (const item of [c.value.query!].flat()) query.append(c.field.name, item);
      if ([...query].length) url += `?${query}`;
      const schema = bodySchemaOf(spec, c.route);
      let body: Record<string, unknown> | undefined;
      if (schema) {
        body = { ...validBody(schema, unique), ...BODY_OVERRIDES[c.route.name]?.(c.caller.user, unique) };
        if (c.field.location === 'body') {
          if (c.value.body === ABSENT) delete body[c.field.name];
          else body[c.field.name] = c.value.body;
        }
      }
      return { url, body };
    };

    const runCase = async (c: FuzzCase) => {
      const where: Case = {
        route: c.route.name,
        field: `${c.field.location}.${c.field.name}`,
        value: c.value.label,
        caller: c.caller.kind,
      };
      const { url, body } = await requestOf(c);
      const involved = [c.caller.user.id, ...(c.targetUser ? [c.targetUser.id] : [])];
      const mutation = c.route.method !== 'GET';
      const before = mutation ? await snapshot(t.app.get(DataSource), involved) : undefined;
      const response = await send(c.route.method, url, { authorization: `Bearer ${c.caller.credential}` }, body);
      // A request that succeeded may have rotated, revoked or deleted the target: the next case gets a fresh one.
      if (response.status < 300) c.target.tokenId = undefined;
      const observed = `${response.status} ${JSON.stringify(response.body).slice(0, 300)}`;
      const fail = (invariant: string, detail = observed) => findings.add(invariant, where, detail);

      if (response.status >= 500) fail(INVARIANTS.noServerError);
      if (response.status >= 400 && !isErrorShape(response.body, response.status)) fail(INVARIANTS.errorShape);
      const verdict = verdictOf(c.field, c.value);
      // A path parameter over the router's 300 characters is refused before any route, with the documented 414.
      const tooLongForRouter = c.field.location === 'path' && response.status === 414;
      if (verdict !== 'unknown' && response.status !== 400 && !tooLongForRouter)
        fail(INVARIANTS.refusesForbidden, `${verdict}: ${observed}`);
      if (response.status === 400) {
        const details: { field?: unknown; reason?: unknown }[] = Array.isArray(response.body?.details) ? response.body.details : [];
        const about = details.find((d) => isAbout(d.field, c.field.name));
        if (!about) fail(INVARIANTS.namesField);
        else if (verdict === 'wrong-type' && !typeRuleOf(c.field, c.value).test(String(about.reason)))
          fail(INVARIANTS.namesTypeRule, `${about.field}: ${String(about.reason)}`);
      }
      if (response.status >= 400) {
        const echoed = echoesOf(response.body, c);
        if (echoed)
          fail(
            INVARIANTS.noEcho,
            `${response.status} ${response.body?.code} quotes ${echoed}: ${String(response.body?.message).slice(0, 120)}`,
          );
      }
      if (response.status < 300 && typeof response.body?.token === 'string') await checkMinted(response.body, c, fail);
      if (before && response.status >= 400) {
        const changed = differences(before, await snapshot(t.app.get(DataSource), involved));
        if (changed.length) fail(INVARIANTS.refusedChangesNothing, `${response.status} ${response.body?.code}, yet ${changed.join('; ')}`);
      }
    };

    /** What in an error body it should not say: a query value, a secret, a digest. */
    const echoesOf = (body: unknown, c: FuzzCase): string | undefined => {
      const text = JSON.stringify(body);
      const said = stringsIn(body).join('\n');
      const urlValues = c.field.location === 'body' ? [] : [c.value.query!].flat().filter((v) => v.length >= 8);
      const value = urlValues.find((v) => said.includes(v));
      if (value) return `the URL's ${c.field.name}=${value.slice(0, 40)}`;
      const secret = [...t.secrets, fuzzSecret].find((s) => said.includes(s));
      if (secret) return `a secret (${secret.slice(0, 8)}…)`;
      if (DIGEST.test(text)) return 'a digest';
      return undefined;
    };

    /** A secret just handed out: it works at once, and expires within the policy and its maker's life. */
    const checkMinted = async (minted: any, c: FuzzCase, fail: (invariant: string, detail?: string) => void) => {
      const self = await t.get('/user/me/personal-access-tokens/self', { token: minted.token });
      if (self.status !== 200 || self.body?.id !== minted.id)
        fail(
          INVARIANTS.mintedUsable,
          `${minted.expiresAt === null ? 'never-expiring token' : `expiresAt ${minted.expiresAt}`}: /self answered ${self.status} ${JSON.stringify(self.body).slice(0, 200)}`,
        );
      const policy = t.config.policy;
      const expiresAt = minted.expiresAt === null ? null : Date.parse(minted.expiresAt);
      const latest = t.clock.now().getTime() + policy.maxLifetimeDays * DAY;
      if (expiresAt === null ? !policy.allowNoExpiry : !(expiresAt <= latest))
        fail(INVARIANTS.withinPolicy, `minted expiresAt ${minted.expiresAt} (max ${new Date(latest).toISOString()})`);
      if (c.caller.expiresAt !== null && !(expiresAt !== null && expiresAt <= c.caller.expiresAt))
        fail(
          INVARIANTS.withinParent,
          `minted expiresAt ${minted.expiresAt}, the calling PAT expires ${new Date(c.caller.expiresAt).toISOString()}`,
        );
    };

    /** The stored side of the same rules: every active token's expiry is a date the policy allows. */
    const checkStoredExpiries = async () => {
      const rows: { name: string; expires_at: unknown }[] = await t.app
        .get(DataSource)
        .query("SELECT name, expires_at FROM personal_access_tokens WHERE status = 'active'");
      const latest = t.clock.now().getTime() + t.config.policy.maxLifetimeDays * DAY;
      const where: Case = { route: 'database', field: 'personal_access_tokens.expires_at', value: 'after the sweep', caller: '-' };
      for (const { name, expires_at } of rows) {
        const ms =
          expires_at instanceof Date
            ? expires_at.getTime()
            : expires_at === null
              ? null
              : Date.parse(`${String(expires_at).replace(' ', 'T')}Z`);
        const broken = ms === null ? !t.config.policy.allowNoExpiry : Number.isNaN(ms) || ms > latest;
        if (broken)
          findings.add(
            INVARIANTS.storedExpiry,
            { ...where, value: expires_at === null ? 'null' : String(expires_at) },
            `e.g. token ${name}`,
          );
      }
    };
  });

  it('left no secret and no digest in the audit trail', async () => {
    await t.app.get(AuditWriter).flush();
    const rows: unknown[] = await t.app.get(DataSource).query('SELECT * FROM audit_events');
    expect(rows.length).toBeGreaterThan(requests / 2);
    const secrets = [...t.secrets];
    const leaking = rows
      .map((row) => JSON.stringify(row))
      .filter((text) => DIGEST.test(text) || secrets.some((secret) => text.includes(secret)));
    expect(leaking).toEqual([]);
  });
});
