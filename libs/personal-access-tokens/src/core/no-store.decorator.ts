import { applyDecorators, Header } from '@nestjs/common';

/**
 * Marks a route whose answer carries a secret (a new token, a session, a CSRF token): no cache,
 * shared or private, may keep it (RFC 6749 §5.1; `Pragma` for HTTP/1.0 caches).
 *
 * @example
 * @NoStore() @Post('login') login() {}
 */
export function NoStore(): MethodDecorator {
  return applyDecorators(Header('Cache-Control', 'no-store'), Header('Pragma', 'no-cache'));
}
