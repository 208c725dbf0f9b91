import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, NotFoundException, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import { isDatabaseUnavailable } from './database-errors';
import { DomainError, ErrorDetail } from './domain-error';
import { requestIdOf } from './request-id';

/** The one error body of the API. */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: string;
  message: string;
  requestId: string;
  details?: ErrorDetail[];
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  431: 'headers_too_large',
  503: 'service_unavailable',
};

/** Told of every failed request before its answer goes out (the audit trail); must not throw. */
export abstract class FailedRequestRecorder {
  abstract recordFailure(request: object, exception: unknown, status: number, code: string): Promise<void>;
}

/**
 * Maps every error to `{statusCode, error, code, message, requestId}` and the headers it needs.
 * Unknown errors become a bare 500: their message and stack go to the log, never to the client.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Optional() private readonly recorder?: FailedRequestRecorder,
  ) {}

  async catch(exception: unknown, host: ArgumentsHost): Promise<void> {
    const http = host.switchToHttp();
    const request = http.getRequest<object>();
    const response = http.getResponse<object>();
    const { body, headers } = this.describe(exception, requestIdOf(request));
    // Refusals by guards and pipes never reach an interceptor: the audit trail learns of them here.
    await this.recorder?.recordFailure(request, exception, body.statusCode, body.code);
    const adapter = this.adapterHost.httpAdapter;
    for (const [name, value] of Object.entries(headers)) adapter.setHeader(response, name, value);
    adapter.reply(response, body, body.statusCode);
  }

  describe(thrown: unknown, requestId: string): { body: ErrorBody; headers: Record<string, string> } {
    // A refusal on a host's route travels as an HttpException for the host's filter; this one knows better.
    const exception = thrown instanceof HttpException && thrown.cause instanceof DomainError ? thrown.cause : thrown;
    if (exception instanceof DomainError) {
      return {
        body: this.body(exception.status, exception.code, exception.message, requestId, exception.details),
        headers: exception.headers,
      };
    }
    const status = statusOf(exception);
    if (status !== undefined && status < 500) {
      return {
        body: this.body(status, CODES_BY_STATUS[status] ?? 'bad_request', clientMessageOf(exception, status), requestId),
        headers: {},
      };
    }
    if (status === 503 || isDatabaseUnavailable(exception)) {
      if (status !== 503) this.logger.warn({ message: 'Database unavailable', requestId, error: describeForLog(exception).message });
      return {
        body: this.body(503, 'service_unavailable', 'The service is temporarily unavailable', requestId),
        headers: { 'Retry-After': '5' },
      };
    }
    this.logger.error({ message: 'Unhandled error', requestId, error: describeForLog(exception) });
    return { body: this.body(500, 'internal_error', 'An unexpected error occurred', requestId), headers: {} };
  }

  private body(statusCode: number, code: string, message: string, requestId: string, details?: ErrorDetail[]): ErrorBody {
    const body: ErrorBody = { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', code, message, requestId };
    if (details) body.details = details;
    return body;
  }
}

function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  // Fastify's own errors (body parsing, size limits) carry a 4xx statusCode.
  const candidate = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 600 ? candidate : undefined;
}

/** Nest's answer for a path no route matches, `Cannot GET /path?query`: the URL may hold a secret. */
const ROUTE_NOT_FOUND = /^Cannot [A-Z-]+ /;

function clientMessageOf(exception: unknown, status: number): string {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'string') return response;
    const message = (response as { message?: unknown }).message;
    if (typeof message === 'string' && exception instanceof NotFoundException && ROUTE_NOT_FOUND.test(message)) {
      return 'No route matches this method and path';
    }
    if (typeof message === 'string') return message;
    if (Array.isArray(message)) return message.join('; ');
  }
  // Parser messages can quote the raw body (and so a secret): answer with a fixed text instead.
  return FIXED_MESSAGES[status] ?? STATUS_CODES[status] ?? 'Bad request';
}

const FIXED_MESSAGES: Record<number, string> = {
  400: 'The request could not be parsed',
  404: 'Not found',
  413: 'The request body is too large',
  415: 'Unsupported content type; send application/json',
  431: 'The request headers are too large',
};

function describeForLog(exception: unknown): Record<string, unknown> {
  if (exception instanceof Error) return { name: exception.name, message: exception.message, stack: exception.stack };
  return { value: String(exception) };
}
