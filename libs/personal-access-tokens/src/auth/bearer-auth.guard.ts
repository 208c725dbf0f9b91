import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { RouteMetadataCache } from '../core/route-metadata';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { Public } from '../scopes/auth.decorators';
import { BearerStrategy } from './bearer.strategy';
import { Principal } from '../scopes/principal';

/**
 * The global authentication guard: every route needs a valid PAT or session unless marked
 * `@Public()`. It applies this module's own strategy instance (rather than the process-wide
 * registry that @nestjs/passport's AuthGuard looks up by name), so two apps in one process never
 * share a strategy, and it rethrows the strategy's domain errors as they are, so the RFC 6750
 * challenge reaches the client. It calls the strategy's checks directly, not through
 * `passport.authenticate`: the same checks, without passport's per-request closures and copies
 * (a host app's `AuthGuard(BEARER_STRATEGY)` still goes through passport).
 */
/** What the guard needs of the strategy; typed here so that its public types need no passport typings. */
interface RequestAuthenticator {
  authenticateRequest(request: object): Promise<Principal>;
}

@Injectable()
export class BearerAuthGuard implements CanActivate {
  private readonly publicRoutes = new RouteMetadataCache((targets) => !!this.reflector.getAllAndOverride(Public, targets));

  constructor(
    protected readonly reflector: Reflector,
    @Inject(BearerStrategy) protected readonly strategy: RequestAuthenticator,
    @Inject(PAT_OPTIONS) protected readonly options: ResolvedOptions,
  ) {}

  /** Synchronous on public routes: Nest skips its promise handling for a guard's plain boolean. */
  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (this.publicRoutes.get(context)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<{ user?: Principal }>();
    return this.authenticate(request, http.getResponse()).then((principal) => {
      request.user = principal;
      return true;
    });
  }

  protected authenticate(request: object, _response: object): Promise<Principal> {
    return this.strategy.authenticateRequest(request);
  }
}
