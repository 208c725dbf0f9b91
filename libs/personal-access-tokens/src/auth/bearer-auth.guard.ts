import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import passport from 'passport';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { Public } from '../scopes/auth.decorators';
import { MissingCredentialsError } from '../core/auth.errors';
import { BearerStrategy } from './bearer.strategy';
import { Principal } from '../scopes/principal';

/**
 * The global authentication guard: every route needs a valid PAT or session unless marked
 * `@Public()`. It runs this module's own strategy instance through passport (rather than the
 * process-wide registry that @nestjs/passport's AuthGuard looks up by name), so two apps in one
 * process never share a strategy, and it rethrows the strategy's domain errors as they are, so the
 * RFC 6750 challenge reaches the client.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    protected readonly reflector: Reflector,
    protected readonly strategy: BearerStrategy,
    @Inject(PAT_OPTIONS) protected readonly options: ResolvedOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride(Public, [context.getHandler(), context.getClass()])) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<{ user?: Principal }>();
    request.user = await this.authenticate(request, http.getResponse());
    return true;
  }

  protected authenticate(request: object, response: object): Promise<Principal> {
    return new Promise((resolve, reject) => {
      // passport decorates the strategy it is given with per-request callbacks: hand it a fresh object.
      const perRequest = Object.create(this.strategy) as passport.Strategy;
      const middleware = passport.authenticate(perRequest, { session: false }, (error: unknown, user: Principal | false) => {
        if (error) reject(error);
        else if (!user) reject(new MissingCredentialsError(this.options.realm));
        else resolve(user);
      });
      middleware(request, response, reject);
    });
  }
}
