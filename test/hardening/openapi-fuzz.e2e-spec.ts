import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditWriter } from '../../libs/personal-access-tokens/src';
import { Response, TestApp } from '../support/test-app';
import { testDatabases } from '../support/test-database';
import { DIGEST, isErrorShape, recordFigures } from './support/hardening';

/** Cases per route; FUZZ_RUNS=500 for a longer hunt. */
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 40);

interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  security?: unknown[];
}

interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
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

function resolve(spec: OpenApi, schema: Schema | undefined): Schema {
  if (!schema?.$ref) return schema ?? {};
  return spec.components.schemas[schema.$ref.split('/').pop()!] ?? {};
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
        { numRuns: RUNS_PER_ROUTE },
      );
    }
    expect(serverErrors).toEqual([]);
  }, 600_000);

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
