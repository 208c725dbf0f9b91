/**
 * What the OpenAPI fuzzer reads from `/docs-json`, and the tables it drives with it: the values it
 * sends to every body field and query parameter, what each value must be answered with by the
 * documented schema alone, and the rule a validation error must name.
 */

export interface Schema {
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
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  pattern?: string;
  example?: unknown;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  security?: unknown[];
  'x-required-privileges'?: string[];
}

export interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

export interface Route {
  /** `POST /user/me/personal-access-tokens/{id}/rotate` */
  name: string;
  method: string;
  path: string;
  op: Operation;
}

export function resolve(spec: OpenApi, schema: Schema | undefined): Schema {
  if (!schema?.$ref) return schema ?? {};
  return spec.components.schemas[schema.$ref.split('/').pop()!] ?? {};
}

export function routesOf(spec: OpenApi): Route[] {
  return Object.entries(spec.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, op })),
  );
}

export function bodySchemaOf(spec: OpenApi, route: Route): Schema | undefined {
  const schema = route.op.requestBody?.content?.['application/json']?.schema;
  return schema ? resolve(spec, schema) : undefined;
}

/** A field the fuzzer varies: one property of the JSON body, one query parameter or one path parameter. */
export interface Field {
  location: 'body' | 'query' | 'path';
  name: string;
  schema: Schema;
  required: boolean;
}

export function fieldsOf(spec: OpenApi, route: Route): Field[] {
  const body = bodySchemaOf(spec, route);
  const bodyFields = Object.entries(body?.properties ?? {}).map(([name, schema]) => ({
    location: 'body' as const,
    name,
    schema: resolve(spec, schema),
    required: body?.required?.includes(name) ?? false,
  }));
  const parameters = (where: 'query' | 'path') =>
    (route.op.parameters ?? [])
      .filter((p) => p.in === where)
      .map((p) => ({ location: where, name: p.name, schema: resolve(spec, p.schema), required: where === 'path' }));
  return [...bodyFields, ...parameters('query'), ...parameters('path')];
}

/** Leaves the field out of the request. */
export const ABSENT = Symbol('absent');

/**
 * One value to put in a field. A parameter is text: `query` is what goes into the URL (an array
 * repeats a query parameter), or undefined when the value has no spelling there.
 */
export interface FuzzValue {
  label: string;
  body: unknown;
  query?: string | string[];
  /** Only for fields of these schema types (all when unset). */
  only?: string[];
}

const LONG = 'A'.repeat(5000);

/**
 * The values every field is sent, one at a time, the rest of the request being valid. `token` is
 * a real (revoked) secret of this service, so that an error body quoting it is a leak.
 */
export function fuzzValues(token: string): FuzzValue[] {
  return [
    { label: 'missing', body: ABSENT },
    { label: 'null', body: null, query: 'null' },
    { label: 'number', body: 42, query: '42' },
    { label: 'string', body: 'fuzz', query: 'fuzz' },
    { label: 'boolean', body: true, query: 'true' },
    { label: 'array', body: ['fuzz'], query: ['fuzz', 'fuzz'] },
    { label: 'object', body: { fuzz: 1 }, query: '{"fuzz":1}' },
    { label: 'empty string', body: '', query: '' },
    { label: 'blank', body: '   ', query: '   ' },
    { label: 'impossible date', body: '2027-02-30T00:00:00Z', query: '2027-02-30T00:00:00Z' },
    { label: 'date without zone', body: '2026-12-01T00:00:00', query: '2026-12-01T00:00:00' },
    { label: 'huge number', body: 1e308, query: '1e308' },
    { label: 'fraction', body: 1.5, query: '1.5' },
    { label: 'negative', body: -1, query: '-1' },
    { label: '5000 chars', body: LONG, query: LONG },
    { label: 'control characters', body: 'fuzz\u0000\u0007\u001b[31m', query: 'fuzz\u0000\u0007\u001b[31m' },
    { label: 'token-shaped', body: token, query: token },
    { label: 'empty array', body: [], only: ['array'] },
    { label: 'array of null', body: [null], only: ['array'] },
    { label: 'array of numbers', body: [42], only: ['array'] },
    { label: 'array of 5000 chars', body: [LONG], only: ['array'] },
    { label: 'array of tokens', body: [token], only: ['array'] },
  ];
}

/**
 * The values that apply to a field: `missing` only where a body field is required, arrays' own
 * only to arrays, and to a path segment only non-blank text (a blank one would name another route).
 */
export function valuesFor(field: Field, values: FuzzValue[]): FuzzValue[] {
  return values.filter((v) => {
    if (v.only && !v.only.includes(field.schema.type ?? '')) return false;
    if (field.location === 'query') return v.query !== undefined;
    if (field.location === 'path') return typeof v.query === 'string' && v.query.trim() !== '';
    return v.body !== ABSENT || field.required;
  });
}

/**
 * What the documented schema alone says of a value: `wrong-type` (or missing, or null where not
 * nullable) and `invalid` must be a 400 naming the field; `wrong-type` must also name a type rule.
 * `unknown` values may be accepted or refused for reasons the schema does not state.
 */
export type Verdict = 'wrong-type' | 'invalid' | 'unknown';

export function verdictOf(field: Field, value: FuzzValue): Verdict {
  return field.location === 'body' ? bodyVerdict(field.schema, value.body, field.required) : textVerdict(field.schema, value.query!);
}

function jsonTypeOf(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value;
}

function expectedTypeOf(schema: Schema): string | undefined {
  return schema.type ?? (schema.enum ? 'string' : undefined);
}

function bodyVerdict(schema: Schema, value: unknown, required: boolean): Verdict {
  if (value === ABSENT) return required ? 'wrong-type' : 'unknown';
  if (value === null) return schema.nullable ? 'unknown' : 'wrong-type';
  const expected = expectedTypeOf(schema);
  if (!expected || (expected === 'object' && !schema.properties)) return 'unknown';
  const actual = jsonTypeOf(value);
  if (actual !== (expected === 'integer' ? 'number' : expected)) return 'wrong-type';
  if (expected === 'integer' && !Number.isInteger(value)) return 'invalid';
  return breaksConstraints(schema, value) ? 'invalid' : 'unknown';
}

const NUMERIC = /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i;

/** The same, for a value that arrives as text (a query or path parameter). */
function textVerdict(schema: Schema, value: string | string[]): Verdict {
  const expected = expectedTypeOf(schema);
  // A parameter documented as an object has no spelling in a query string: nothing to judge by.
  if (!expected || expected === 'object') return 'unknown';
  if (Array.isArray(value)) return 'wrong-type';
  if (expected === 'number' || expected === 'integer') {
    if (value.trim() === '') return 'invalid';
    if (!NUMERIC.test(value)) return 'wrong-type';
    return breaksConstraints(schema, Number(value)) ? 'invalid' : 'unknown';
  }
  if (expected === 'boolean') return ['true', 'false'].includes(value) ? 'unknown' : 'wrong-type';
  return breaksConstraints(schema, value) ? 'invalid' : 'unknown';
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** An RFC 3339 date-time with a zone, on a day the calendar has. */
export function isCalendarDateTime(value: string): boolean {
  const m = DATE_TIME.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second = '0', zoneHour = '0', zoneMinute = '0'] = m.slice(1).map((part) => part ?? '0');
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  return (
    Number(month) >= 1 &&
    Number(month) <= 12 &&
    Number(day) >= 1 &&
    Number(day) <= daysInMonth &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60 &&
    Number(zoneHour) < 24 &&
    Number(zoneMinute) < 60
  );
}

const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time': isCalendarDateTime,
  uuid: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  email: (value) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value),
};

/** Whether a value of the right type breaks a documented format, enum or bound. */
function breaksConstraints(schema: Schema, value: unknown): boolean {
  if (schema.enum && !schema.enum.includes(value)) return true;
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && [...value].length < schema.minLength) return true;
    if (schema.maxLength !== undefined && [...value].length > schema.maxLength) return true;
    if (schema.pattern && !new RegExp(schema.pattern, 'u').test(value)) return true;
    if (schema.format && FORMATS[schema.format] && !FORMATS[schema.format](value)) return true;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return true;
    if (schema.minimum !== undefined && value < schema.minimum) return true;
    if (schema.maximum !== undefined && value > schema.maximum) return true;
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) return true;
    if (schema.maxItems !== undefined && value.length > schema.maxItems) return true;
    if (schema.uniqueItems && new Set(value.map((item) => JSON.stringify(item))).size < value.length) return true;
    if (schema.items && value.some((item) => bodyVerdict(schema.items!, item, true) !== 'unknown')) return true;
  }
  return false;
}

/**
 * The words a reason must contain when the value has the wrong type, is null or is missing: the
 * first rule a person reads (missing, then type), not a format or a bound further down.
 */
export function typeRuleOf(field: Field, value: FuzzValue): RegExp {
  const words: string[] = [];
  const type = expectedTypeOf(field.schema);
  if (type === 'string') words.push('string', 'text');
  if (type === 'number' || type === 'integer') words.push('number', 'integer', 'numeric');
  if (type === 'boolean') words.push('boolean', 'true or false');
  if (type === 'array') words.push('array', 'list');
  if (type === 'object') words.push('object');
  if (field.schema.enum) words.push('one of');
  if (field.schema.format === 'date-time') words.push('date');
  if (field.schema.format === 'uuid') words.push('uuid');
  if (field.schema.format === 'email') words.push('email');
  if (value.body === null || value.query === 'null') words.push('null');
  if (value.body === ABSENT) words.push('required', 'missing', 'must be given', 'must be provided');
  return new RegExp(words.join('|'), 'i');
}

/**
 * A valid body from the schema: its required properties, each from its example, enum, format or
 * bounds. `unique` makes a value no earlier request used (emails).
 */
export function validBody(schema: Schema | undefined, unique: (base: string) => string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const name of schema?.required ?? []) body[name] = validValue(schema!.properties?.[name] ?? {}, name, unique);
  return body;
}

function validValue(schema: Schema, name: string, unique: (base: string) => string): unknown {
  if (schema.format === 'email') return `${unique(name)}@example.test`;
  if (schema.example !== undefined) return schema.example;
  if (schema.enum?.length) return schema.enum[0];
  switch (schema.type) {
    case 'array':
      return [validValue(schema.items ?? {}, name, unique)];
    case 'number':
    case 'integer':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    default:
      return unique(name).padEnd(schema.minLength ?? 1, 'x');
  }
}

/** Whether a validation detail is about `field` (or one of its elements). */
export function isAbout(detailField: unknown, field: string): boolean {
  return (
    typeof detailField === 'string' && (detailField === field || detailField.startsWith(`${field}.`) || detailField.startsWith(`${field}[`))
  );
}
