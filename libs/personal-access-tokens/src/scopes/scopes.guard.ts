import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public } from './auth.decorators';
import { Principal } from './principal';
import { ForbiddenError } from '../core/domain-error';
import { RouteMetadataCache } from '../core/route-metadata';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { isGranted } from './scope';
import { PRIVILEGE_REQUIREMENT, SCOPE_REQUIREMENT, ScopeRequirement } from './require-scopes.decorator';

interface GuardedRequest {
  user?: Principal;
  params?: Record<string, string>;
}

/**
 * Global guard after the bearer guard: the route's `@RequireScopes` must be granted by the
 * caller's role and, for a PAT, by the token too; `@RequirePrivileges` by the role. Responses to
 * PAT requests carry `X-OAuth-Scopes` and `X-Accepted-OAuth-Scopes` as GitHub's do.
 * The `protected` hooks let a host app adapt it.
 */
interface RouteRequirements {
  isPublic: boolean;
  privileges: string[];
  requirement: ScopeRequirement | undefined;
}

/** Ids are UUIDs, which compare in any case (as `ParseIdPipe` reads them). */
function sameId(id: string, param: string | undefined): boolean {
  return param !== undefined && id.toLowerCase() === param.toLowerCase();
}

@Injectable()
export class ScopesGuard implements CanActivate {
  private readonly routes = new RouteMetadataCache<RouteRequirements>((targets) => ({
    isPublic: !!this.reflector.getAllAndOverride(Public, targets),
    privileges: this.reflector.getAllAndOverride(PRIVILEGE_REQUIREMENT, targets) ?? [],
    requirement: this.reflector.getAllAndOverride(SCOPE_REQUIREMENT, targets),
  }));

  constructor(
    protected readonly reflector: Reflector,
    @Inject(PAT_OPTIONS) protected readonly options: ResolvedOptions,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const { isPublic, privileges, requirement } = this.routes.get(context);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<GuardedRequest>();
    const principal = request.user;
    if (!principal) return false;

    const missingPrivilege = privileges.find((p) => !principal.user.privileges.includes(p));
    if (missingPrivilege) {
      throw new ForbiddenError('missing_privilege', `This action requires the ${missingPrivilege} privilege`);
    }

    const required = this.requiredScopes(requirement, request.params ?? {});
    if (principal.token) this.describeToken(context, principal, required);
    // A route that declares nothing is closed to tokens: new routes fail closed.
    if (!requirement) {
      if (principal.token) throw this.insufficientScope([]);
      return true;
    }
    // A token acting on itself needs no scope of its own for it, but its owner's role still must grant it.
    const onItself = !!requirement.selfParam && !!principal.token && sameId(principal.token.id, request.params?.[requirement.selfParam]);
    if (required.some((scope) => !this.grants(principal, scope, onItself))) throw this.insufficientScope(required);
    return true;
  }

  protected requiredScopes(requirement: ScopeRequirement | undefined, params: Record<string, string>): string[] {
    if (!requirement) return [];
    const entityId = requirement.entityParam ? params[requirement.entityParam] : undefined;
    return requirement.scopes.map((scope) => (entityId ? `${scope}:${entityId}` : scope));
  }

  /** The role grants `scope` and, unless the token acts on itself, so does the calling token. */
  protected grants(principal: Principal, scope: string, onItself = false): boolean {
    if (!isGranted(scope, principal.user.scopes)) return false;
    return !principal.token || onItself || isGranted(scope, principal.token.scopes);
  }

  protected insufficientScope(required: string[]): ForbiddenError {
    const scope = required.join(' ');
    return new ForbiddenError(
      'insufficient_scope',
      scope ? `This action requires the scope ${required.join(' and ')}` : 'This route cannot be used with a personal access token',
      { 'WWW-Authenticate': `Bearer realm="${this.options.realm}", error="insufficient_scope", scope="${scope}"` },
    );
  }

  private describeToken(context: ExecutionContext, principal: Principal, required: string[]): void {
    const response = context
      .switchToHttp()
      .getResponse<{ header?: (n: string, v: string) => unknown; setHeader?: (n: string, v: string) => unknown }>();
    const set = (name: string, value: string) => (response.header ? response.header(name, value) : response.setHeader?.(name, value));
    const token = principal.token!;
    set('X-OAuth-Scopes', token.scopes.join(', '));
    set('X-Accepted-OAuth-Scopes', required.join(', '));
    set('X-Token-Expires-At', token.expiresAt ? token.expiresAt.toISOString() : 'never');
  }
}
