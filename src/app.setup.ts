import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import { Logger } from 'pino';
import { answerClientError } from './client-error-handler';
import { AppConfig } from './config/app-config';
import { createOpenApiDocument } from './openapi';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Errors Fastify's router raises before any Nest code runs, in the API's one error shape. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'bad_request', message: 'The request URL is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'A path parameter is too long' },
};
/** `<prefix>_<30+ base62>`: PATs, session tokens, and a host app's own prefixes. UUIDs never match. */
const TOKEN_SHAPED = /[a-z][a-z0-9]{0,15}_[0-9A-Za-z]{30,}/g;
const UNKNOWN_FRAMEWORK_ERROR = { status: 400, code: 'bad_request', message: 'The request could not be routed' };

/** The HTTP server: request ids, limits and proxy trust, the same in production and tests. */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    // Requests are logged by configureApp's hook, in the app's own format.
    logger: false,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { maxParamLength: 300 },
    requestIdHeader: false,
    // Errors of the HTTP parser (headers too large, a malformed request line) in the API's shape too.
    clientErrorHandler: answerClientError,
    // Fastify's own answers to these echo the raw path and lack a request id: answer in the API's shape.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { status, code, message } = FRAMEWORK_ERRORS[error.code] ?? UNKNOWN_FRAMEWORK_ERROR;
      void reply
        .code(status)
        .header('X-Request-Id', request.id)
        .send({ statusCode: status, error: STATUS_CODES[status], code, message, requestId: request.id });
    },
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
}

/** Everything done to the app after it is created: shared by main.ts and the e2e tests. */
export function configureApp(app: NestFastifyApplication, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  // One line per request: the path without its query string, never a header, and anything in the
  // path shaped like a token (a client that put one there by mistake) masked.
  fastify.addHook('onResponse', async (request, reply) => {
    logger.info({
      requestId: request.id,
      method: request.method,
      path: request.url.split('?')[0].replace(TOKEN_SHAPED, '[redacted]'),
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
    });
  });
  app.enableShutdownHooks();

  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
