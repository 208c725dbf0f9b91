import { CanActivate, ExecutionContext, Inject, Injectable, Optional, UseGuards } from '@nestjs/common';
import { PAT_OPTIONS, ResolvedOptions } from './personal-access-tokens.options';

/** What a feature module hands the route guards: its check of one request, sync when it can be. */
export interface RouteCheck {
  canActivate(context: ExecutionContext): boolean | Promise<boolean>;
}

/**
 * The guards of this app's library, run in their order: the audit's route guard (it notes the
 * route first, so that a refusal is recorded under the route's action), then the bearer and
 * scopes guards. `AuditModule` and `AuthModule` register theirs here. Global (`APP_GUARD`) only
 * when the host asked for it (`protectAllRoutes`, `audit.allRoutes`: the standalone service);
 * otherwise they run only on the routes that carry `LibraryRoutesGuard`: the library's own, and
 * a host's routes that declare scopes, privileges or an audit action.
 */
@Injectable()
export class RouteGuards implements CanActivate {
  /** Every route is the library's business (an option the host turned on): the guards run app-wide. */
  readonly appWide: boolean;
  private audit?: RouteCheck;
  private auth?: RouteCheck;
  private readonly checked = new WeakSet<object>();

  constructor(@Inject(PAT_OPTIONS) options: ResolvedOptions) {
    this.appWide = options.protectAllRoutes || options.audit.allRoutes;
  }

  use(kind: 'audit' | 'auth', check: RouteCheck): void {
    this[kind] = check;
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    // Once per request, though a route may carry the guard on its controller and on its handler.
    const request = context.switchToHttp().getRequest<object>();
    if (this.checked.has(request)) return true;
    this.checked.add(request);
    const audited = this.audit?.canActivate(context) ?? true;
    if (audited === true) return this.auth?.canActivate(context) ?? true;
    return Promise.resolve(audited).then((ok) => ok && (this.auth?.canActivate(context) ?? true));
  }
}

/**
 * The library's guards on one route or controller, put there by `@LibraryController`,
 * `@RequireScopes`, `@RequirePrivileges` and `@AuditAction`. It does nothing when they already
 * run app-wide, or in an app without the library (a host's decorated route still starts).
 */
@Injectable()
export class LibraryRoutesGuard implements CanActivate {
  constructor(@Optional() private readonly guards?: RouteGuards) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (!this.guards || this.guards.appWide) return true;
    return this.guards.canActivate(context);
  }
}

/** `@UseGuards(LibraryRoutesGuard)`, for the decorators that mark a route as the library's business. */
export const useLibraryRoutesGuard = (): MethodDecorator & ClassDecorator => UseGuards(LibraryRoutesGuard);
