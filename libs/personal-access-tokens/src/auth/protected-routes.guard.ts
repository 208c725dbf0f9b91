import { CanActivate, ExecutionContext, HttpException, Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import { STATUS_CODES } from 'node:http';
import { DomainError } from '../core/domain-error';
import { LIBRARY_ROUTE } from '../core/library-controller.decorator';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { RouteMetadataCache } from '../core/route-metadata';
import { PRIVILEGE_REQUIREMENT, SCOPE_REQUIREMENT } from '../scopes/require-scopes.decorator';
import { ScopesGuard } from '../scopes/scopes.guard';
import { hasValidTokenFormat } from '../tokens/token-format';
import { BearerAuthGuard } from './bearer-auth.guard';
import { readCredential } from './credentials';

/** How the library treats a route: its own or declaring scopes, any other one, or none of its business. */
type Coverage = 'library' | 'declared' | 'other';

/**
 * The guard `AuthModule` hands to `RouteGuards`, which checks only what the host asked for: the
 * library's own routes and routes that declare `@RequireScopes` / `@RequirePrivileges` (which put
 * it there) get the bearer guard then `ScopesGuard`; it sees a host's other routes only with
 * `protectAllRoutes` (app-wide). Then they fail closed too, except that a bearer credential that
 * is not this library's (`otherBearerCredentials: 'pass'`) goes on untouched to the host's own guards
 * and is never counted as a failed authentication. On a host's route, a refusal is an
 * `HttpException` (its challenge header set on the reply), so the host's own filter answers it.
 */
@Injectable()
export class ProtectedRoutesGuard implements CanActivate {
  private readonly coverage = new RouteMetadataCache<Coverage>((targets) => {
    if (this.reflector.getAllAndOverride(LIBRARY_ROUTE, targets)) return 'library';
    const declared =
      this.reflector.getAllAndOverride(SCOPE_REQUIREMENT, targets) !== undefined ||
      this.reflector.getAllAndOverride(PRIVILEGE_REQUIREMENT, targets) !== undefined;
    return declared ? 'declared' : 'other';
  });
  private readonly prefixes: string[];

  constructor(
    private readonly reflector: Reflector,
    private readonly bearer: BearerAuthGuard,
    private readonly scopes: ScopesGuard,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {
    this.prefixes = [options.tokenPrefix, options.sessionTokenPrefix];
  }

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const coverage = this.coverage.get(context);
    if (coverage === 'library') return this.check(context);
    if (coverage === 'other') {
      if (!this.options.protectAllRoutes) return true;
      if (this.options.otherBearerCredentials === 'pass' && this.isOtherCredential(context)) return true;
    }
    return this.asHttpException(context, this.check(context));
  }

  private check(context: ExecutionContext): boolean | Promise<boolean> {
    const authenticated = this.bearer.canActivate(context);
    return typeof authenticated === 'boolean'
      ? authenticated && this.scopes.canActivate(context)
      : authenticated.then((ok) => ok && this.scopes.canActivate(context));
  }

  /** A well-formed bearer credential that is not one of this library's secrets (prefix and checksum). */
  private isOtherCredential(context: ExecutionContext): boolean {
    const credential = readCredential(context.switchToHttp().getRequest());
    return credential.kind === 'token' && !this.prefixes.some((prefix) => hasValidTokenFormat(credential.token, prefix));
  }

  private async asHttpException(context: ExecutionContext, outcome: boolean | Promise<boolean>): Promise<boolean> {
    try {
      return await outcome;
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      const response = context.switchToHttp().getResponse<object>();
      for (const [name, value] of Object.entries(error.headers)) this.adapterHost.httpAdapter.setHeader(response, name, value);
      throw new HttpException(
        { statusCode: error.status, error: STATUS_CODES[error.status], code: error.code, message: error.message },
        error.status,
        {
          cause: error,
        },
      );
    }
  }
}
