import { applyDecorators } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../core/error-response.dto';
import { useLibraryRoutesGuard } from '../core/route-guards';

export interface ScopeRequirement {
  scopes: string[];
  /** Route parameter holding the entity id: the scope required becomes `resource:action:<id>`. */
  entityParam?: string;
  /** Route parameter holding a token id: a PAT acting on itself needs none of the scopes. */
  selfParam?: string;
}

export const SCOPE_REQUIREMENT = Reflector.createDecorator<ScopeRequirement>();
export const PRIVILEGE_REQUIREMENT = Reflector.createDecorator<string[]>();

/**
 * Declares the scopes a route needs, checked by the bearer guard and `ScopesGuard` (which it puts on the route) against the token's
 * scopes AND the caller's role, and documents them (and the 400/401/403/429 answers of the guards) in Swagger.
 * With no scopes, any authenticated caller may use the route; a route without this decorator is
 * closed to personal access tokens.
 *
 * @example
 * @RequireScopes('reports:read', { entityParam: 'id' }) @Get('reports/:id') findOne() {}
 */
export function RequireScopes(...args: Array<string | Omit<ScopeRequirement, 'scopes'>>): MethodDecorator & ClassDecorator {
  const scopes = args.filter((a): a is string => typeof a === 'string');
  const options = args.find((a): a is Omit<ScopeRequirement, 'scopes'> => typeof a === 'object') ?? {};
  const shown = scopes.map((s) => (options.entityParam ? `${s}:{${options.entityParam}}` : s));
  return applyDecorators(
    SCOPE_REQUIREMENT({ scopes, ...options }),
    useLibraryRoutesGuard(),
    ApiBearerAuth('Bearer'),
    ApiSecurity('ApiKey'),
    ApiExtension('x-required-scopes', shown),
    ApiBadRequestResponse({ description: 'A malformed Authorization header (RFC 6750 `invalid_request`)', type: ErrorResponseDto }),
    ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked credential (RFC 6750)', type: ErrorResponseDto }),
    // With no scopes, any authenticated caller may use the route: no 403 of the scopes guard.
    ...(shown.length
      ? [
          ApiForbiddenResponse({
            description: `Requires scope ${shown.join(' and ')} (RFC 6750 \`insufficient_scope\`)`,
            type: ErrorResponseDto,
          }),
        ]
      : []),
    ApiTooManyRequestsResponse({
      description: 'Too many failed authentications from this address; see Retry-After',
      type: ErrorResponseDto,
    }),
  );
}

/**
 * Requires role privileges in addition to scopes (e.g. `Privilege.ManageUsers`).
 *
 * @example
 * @RequirePrivileges(Privilege.ManageUsers) @RequireScopes('admin:write') @Post('admin/users') create() {}
 */
export function RequirePrivileges(...privileges: string[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    PRIVILEGE_REQUIREMENT(privileges),
    useLibraryRoutesGuard(),
    ApiExtension('x-required-privileges', privileges),
    ApiForbiddenResponse({ description: `Requires the role privilege ${privileges.join(' and ')}`, type: ErrorResponseDto }),
  );
}
