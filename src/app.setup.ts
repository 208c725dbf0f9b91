import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { IncomingMessage, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Logger } from 'pino';
import { AppConfig } from './config/app-config';
import { requestLineWriter } from './logging/logger';
import { TOKEN_SHAPED } from './logging/redact';
import { answerMethodNotAllowed } from './method-not-allowed';
import { createOpenApiDocument } from './openapi';
import { UsersService } from '../libs/personal-access-tokens/src';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Errors Fastify's router raises before any Nest code runs, in the API's one error shape. */
const FRAMEWORK_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'bad_request', message: 'The request URL is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'A path parameter is too long' },
};
const UNKNOWN_FRAMEWORK_ERROR = { status: 400, code: 'bad_request', message: 'The request could not be routed' };

/** Node's HTTP parser refusing a request (no Fastify request exists yet), by the parser's error code. */
const PARSER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', message: 'The request line and headers are over 16 KB' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', message: 'The request was not received in time' },
};
const UNPARSABLE_REQUEST = { status: 400, code: 'bad_request', message: 'The request is not valid HTTP' };

/**
 * Writes an error in the API's one shape straight onto a socket (Fastify's `clientErrorHandler`):
 * the parser gave up before there was a request, so the request id is a new one.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, code, message } = PARSER_ERRORS[error.code ?? ''] ?? UNPARSABLE_REQUEST;
  const requestId = randomUUID();
  const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], code, message, requestId });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** The HTTP server: request ids, limits and proxy trust, the same in production and tests. */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    // Requests are logged by configureApp's hook, in the app's own format.
    logger: false,
    trustProxy: config.trustProxy,
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { maxParamLength: 300 },
    requestIdHeader: false,
    clientErrorHandler: answerClientError,
    // Requests that arrive while the server drains get configureApp's 503, in the API's shape.
    return503OnClosing: false,
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
  // One line per request: the path without its query string, never a header, and anything in the
  // path shaped like a token (a client that put one there by mistake) masked.
  const writeLine = requestLineWriter(logger);
  // Callback hooks: an async one costs a promise per request and hook.
  fastify.addHook('onResponse', (request, reply, done) => {
    const query = request.url.indexOf('?');
    const path = query < 0 ? request.url : request.url.slice(0, query);
    writeLine({
      requestId: request.id,
      method: request.method,
      // A token's shape is 30+ characters after an underscore: most paths are shorter than one.
      path: path.length > 30 && path.includes('_') ? path.replace(TOKEN_SHAPED, '[redacted]') : path,
      statusCode: reply.statusCode,
      durationMs: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
    });
    done();
  });
  // Once closing starts, requests still arriving on open connections are turned away: the load
  // balancer should send them to another instance. One onRequest hook (not an onSend hook too)
  // sets the request id header: a header set here stays on whatever answer the request gets.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Request-Id', request.id);
    if (!closing) return done();
    // Answered here: a callback hook that sends does not call done().
    void reply.code(503).header('Connection', 'close').header('Retry-After', '5').send({
      statusCode: 503,
      error: STATUS_CODES[503],
      code: 'shutting_down',
      message: 'This instance is shutting down; retry the request',
      requestId: request.id,
    });
  });
  // After the request id hook, so that its 405 carries the id too.
  answerMethodNotAllowed(fastify);
  app.enableShutdownHooks();

  // Built at the first request for it, with the roles the database holds by then.
  let roles: string[] = [];
  fastify.addHook('onReady', async () => {
    roles = (await app.get(UsersService).listRoles()).map((role) => role.name);
  });
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup('docs', app, () => (document ??= createOpenApiDocument(app, roles)), { jsonDocumentUrl: 'docs-json' });
}
