import { applyDecorators, Type } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../core/error-response.dto';
import { RequirePrivileges, RequireScopes, ScopeRequirement } from './require-scopes.decorator';

/** The error statuses a route documents itself; the rest follow from its shape (see `finishOpenApiDocument`). */
export type EndpointErrorStatus = 400 | 403 | 404 | 409 | 429 | 503;

export interface EndpointOptions {
  /** What a generated client names the call, such as `createPersonalAccessToken`. */
  operationId: string;
  /**
   * The scopes the route needs, as `@RequireScopes` (an empty array: any authenticated caller).
   * Leave out on a `@Public()` route: it is then documented with `security: []`.
   */
  scopes?: string[];
  /** `entityParam` / `selfParam` of `@RequireScopes`. */
  scopeOptions?: Omit<ScopeRequirement, 'scopes'>;
  /** Role privileges required as well, as `@RequirePrivileges`. */
  privileges?: string[];
  /** Path parameters that must be UUIDs (a non-UUID answers 400). */
  uuidParams?: string[];
  /** A body the route may go without (every field optional: no body reads as `{}`). */
  optionalBody?: Type<unknown>;
  /** The route's own refusals, by status: why each happens, all in the one error shape. */
  errors?: Partial<Record<EndpointErrorStatus, string>>;
}

/**
 * Declares a route of the API in one place: its operation id, the scopes and privileges it needs
 * (set as guard metadata, as `@RequireScopes` and `@RequirePrivileges` do) and every error it can
 * answer, documented with the one error schema. The summary and description come from the
 * method's JSDoc (first paragraph, then `@remarks`) through the Swagger CLI plugin.
 *
 * @example
 * @Endpoint({ operationId: 'rotateReport', scopes: ['reports:write'], uuidParams: ['id'], errors: { 404: 'No such report' } })
 * @Patch(':id/rotate') rotate() {}
 */
export function Endpoint(options: EndpointOptions): MethodDecorator {
  const decorators: Array<MethodDecorator | ClassDecorator> = [
    ApiOperation({ operationId: options.operationId }, { overrideExisting: false }),
  ];
  if (options.scopes) decorators.push(RequireScopes(...options.scopes, options.scopeOptions ?? {}));
  if (options.privileges?.length) decorators.push(RequirePrivileges(...options.privileges));
  for (const name of options.uuidParams ?? []) decorators.push(ApiParam({ name, type: 'string', format: 'uuid' }));
  if (options.optionalBody) decorators.push(ApiBody({ type: options.optionalBody, required: false }));
  for (const [status, description] of Object.entries(options.errors ?? {}))
    decorators.push(ApiResponse({ status: Number(status), description, type: ErrorResponseDto }));
  if (options.uuidParams?.length)
    decorators.push(ApiResponse({ status: 400, description: 'A path parameter is not a UUID', type: ErrorResponseDto }));
  return applyDecorators(...decorators);
}
