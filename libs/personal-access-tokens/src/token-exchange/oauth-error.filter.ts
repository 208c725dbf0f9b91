import { Catch } from '@nestjs/common';
import { ApiExceptionFilter, ErrorBody } from '../core/api-exception.filter';
import { ValidationFailedError } from '../core/domain-error';
import { TokenExchangeError } from './token-exchange.errors';

/** The error body of the token endpoint: the API's one shape, with RFC 6749 5.2's `error` and `error_description`. */
export type OAuthErrorBody = ErrorBody & { error_description?: string };

/**
 * The token endpoint answers in the API's error shape, but with `error` set to an RFC 6749
 * section 5.2 code (`invalid_request`, `invalid_grant`, ...) and `error_description`, so that an
 * OAuth client library reads it too.
 */
@Catch()
export class OAuthErrorFilter extends ApiExceptionFilter {
  override describe(exception: unknown, requestId: string): { body: OAuthErrorBody; headers: Record<string, string> } {
    const described = super.describe(exception, requestId);
    const body: OAuthErrorBody = described.body;
    const oauthError =
      exception instanceof TokenExchangeError
        ? exception.oauthError
        : body.statusCode === 400 || exception instanceof ValidationFailedError
          ? 'invalid_request'
          : undefined;
    if (oauthError) {
      body.error = oauthError;
      body.error_description = body.message;
    }
    return { body, headers: { ...described.headers, 'Cache-Control': 'no-store' } };
  }
}
