import type { INestApplicationContext } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { getSchemaPath } from '@nestjs/swagger';
import { ErrorResponseDto } from '../core/error-response.dto';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { ScopeCatalog } from './scope-catalog';

type Operation = OpenAPIObject['paths'][string]['get'] & object;
type Responses = Operation['responses'];

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Methods whose body the HTTP server reads (and so may refuse) whatever the route declares. */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/** Answers of the HTTP server itself, by the shape of the request rather than by the route. */
const SERVER_ERRORS = {
  unparsableBody: [400, 'The body is not valid for its content type (such as malformed JSON)'],
  bodyTooLarge: [413, 'The body is over the size limit'],
  unsupportedMediaType: [415, 'The body is of a content type the API does not read (send application/json)'],
  paramTooLong: [414, 'A path parameter is too long'],
  headersTooLarge: [431, 'The request headers are too large'],
  unavailable: [503, 'The database is unreachable, or this instance is shutting down; retry after Retry-After'],
} as const;

/** Body fields that exclude each other: a request gives one of them or neither. */
const EXCLUSIVE_FIELDS: readonly (readonly [string, string])[] = [['expiresIn', 'expiresAt']];

/** What a deployment knows when its document is built, so the document accepts only that. */
interface OpenApiDeployment {
  /** The catalog's `resource:action` scopes: `scope`/`scopes` body fields accept these (or one entity of them). */
  scopes?: readonly string[];
  /** Role names: `role` body fields accept only these. */
  roles?: readonly string[];
  /** When false, `expiresAt` bodies do not accept `null` (a token that never expires). */
  allowNoExpiry?: boolean;
}

/**
 * Completes a Swagger document with what the CLI plugin and route decorators cannot say:
 * public routes (`@Public()`, documented with no security) get `security: []`; every route gets
 * the refusals of the HTTP server itself (a body it cannot read or that is too large, a path
 * parameter too long, headers too large, 503 while the database is down or the instance drains);
 * and request bodies say `additionalProperties: false`,
 * since the global ValidationPipe (`forbidNonWhitelisted`) refuses unknown fields; fields that
 * exclude each other (`expiresIn`, `expiresAt`) say so with `not: { required: [...] }`. Given the
 * deployment's scopes and roles, body fields naming them accept only those.
 *
 * The scopes come from the app's catalog and the expiry rule from its options; `roles` (role names,
 * when the app has them) narrows `role` fields.
 *
 * @example
 * const document = finishOpenApiDocument(app, SwaggerModule.createDocument(app, config), { roles: ['admin', 'member'] });
 */
export function finishOpenApiDocument(
  app: INestApplicationContext,
  document: OpenAPIObject,
  options: { roles?: readonly string[] } = {},
): OpenAPIObject {
  const deployment: OpenApiDeployment = {
    scopes: app
      .get(ScopeCatalog)
      .all()
      .map((definition) => definition.scope),
    roles: options.roles,
    allowNoExpiry: app.get<ResolvedOptions>(PAT_OPTIONS).policy.allowNoExpiry,
  };
  const bodies = new Set<string>();
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      operation.security ??= [];
      const errors: Array<readonly [number, string]> = [SERVER_ERRORS.headersTooLarge, SERVER_ERRORS.unavailable];
      if (BODY_METHODS.has(method))
        errors.push(SERVER_ERRORS.unparsableBody, SERVER_ERRORS.bodyTooLarge, SERVER_ERRORS.unsupportedMediaType);
      if (path.includes('{')) errors.push(SERVER_ERRORS.paramTooLong);
      for (const [status, description] of errors) addError(operation.responses, status, description);
      operation.responses = sortedByStatus(operation.responses);
      const body = operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content : {};
      for (const media of Object.values(body)) {
        const ref = media.schema && '$ref' in media.schema ? media.schema.$ref : undefined;
        if (ref) bodies.add(ref.split('/').pop()!);
      }
    }
  }
  for (const name of bodies) {
    const schema = document.components?.schemas?.[name];
    if (!schema || '$ref' in schema) continue;
    schema.additionalProperties = false;
    describeBody(schema, deployment);
  }
  return document;
}

type Schema = Exclude<NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string], { $ref: string }>;

function describeBody(schema: Schema, deployment: OpenApiDeployment): void {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  for (const [first, second] of EXCLUSIVE_FIELDS) {
    if (!properties[first] || !properties[second]) continue;
    // The properties are named inside `not` too, so that its `required` names defined ones.
    schema.not = { required: [first, second], properties: { [first]: {}, [second]: {} } };
    for (const [field, other] of [
      [first, second],
      [second, first],
    ])
      properties[field].description =
        `${properties[field].description ?? ''}${properties[field].description ? ' ' : ''}Excludes \`${other}\`.`;
  }
  if (deployment.scopes?.length) {
    const pattern = scopePattern(deployment.scopes);
    const scope = properties.scope;
    if (scope?.type === 'string') scope.pattern = pattern;
    const items = properties.scopes?.items as Schema | undefined;
    if (items?.type === 'string') items.pattern = pattern;
    if (scope?.example !== undefined) scope.example = deployment.scopes[0];
  }
  if (deployment.allowNoExpiry === false && properties.expiresAt?.nullable) {
    delete properties.expiresAt.nullable;
    properties.expiresAt.description =
      `${properties.expiresAt.description ?? ''} Never null here: this deployment does not allow tokens that never expire.`.trim();
  }
  if (deployment.roles?.length && properties.role?.type === 'string') {
    properties.role.enum = [...deployment.roles];
    delete properties.role.pattern;
  }
}

/** `^(?:reports:(?:read|create)|user:(?:read))(?::[A-Za-z0-9_.-]{1,64})?$`: a catalog scope, or one entity of it. */
function scopePattern(scopes: readonly string[]): string {
  const byResource = new Map<string, string[]>();
  for (const scope of scopes) {
    const [resource, action] = scope.split(':');
    byResource.set(resource, [...(byResource.get(resource) ?? []), action]);
  }
  const escape = (text: string) => text.replace(/[.]/g, '\\.');
  const alternatives = [...byResource].map(([resource, actions]) => `${escape(resource)}:(?:${actions.map(escape).join('|')})`);
  return `^(?:${alternatives.join('|')})(?::[A-Za-z0-9_.-]{1,64})?$`;
}

function addError(responses: Responses, status: number, description: string): void {
  const existing = responses[status];
  if (existing && 'description' in existing) {
    if (!existing.description.includes(description)) existing.description = `${existing.description}\n\n${description}`;
    return;
  }
  responses[status] = { description, content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponseDto) } } } };
}

function sortedByStatus(responses: Responses): Responses {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}
