import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { finishOpenApiDocument } from '../libs/personal-access-tokens/src';

const OPAQUE_TOKEN =
  'An opaque token (not a JWT): a personal access token (`pat_` and 38 base62 characters by default) or a session token from `POST /auth/login`.';

/**
 * The service's OpenAPI document, served at /docs-json: what a generated client or a gateway believes.
 * It names this deployment's scopes and roles, so a request valid against it is one the API accepts.
 */
export function createOpenApiDocument(app: INestApplication, roles: readonly string[]): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Personal access tokens')
    .setDescription(
      'Issue, scope, rotate, revoke, expire and audit personal access tokens. Authenticate with ' +
        '`Authorization: Bearer <token>` (or `ApiKey <token>`): a personal access token, or a session token from `POST /auth/login`. ' +
        'Every error has the body `ErrorResponseDto`; unknown body fields and query parameters are refused with 400.',
    )
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/license/mit')
    .addServer('/', 'This service')
    .addSecurity('Bearer', { type: 'http', scheme: 'bearer', description: `\`Authorization: Bearer <token>\`. ${OPAQUE_TOKEN}` })
    .addSecurity('ApiKey', {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: `\`Authorization: ApiKey <token>\`. ${OPAQUE_TOKEN}`,
    })
    .addTag('auth', 'Log in and out, the caller, token introspection and gateway verification')
    .addTag('tokens', "Personal access tokens: your own, everyone's for administrators, leaked-credential reports")
    .addTag('scopes', 'The scope catalog')
    .addTag('users', 'Users and roles')
    .addTag('audit', 'The audit trail')
    .addTag('health', 'Liveness and readiness')
    .build();
  return finishOpenApiDocument(app, SwaggerModule.createDocument(app, config), { roles });
}
