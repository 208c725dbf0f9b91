import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { PAT_OPTIONS, ResolvedOptions } from '../personal-access-tokens.options';
import { Public } from './auth.decorators';
import { MissingCredentialsError } from './auth.errors';
import { BEARER_STRATEGY } from './bearer.strategy';

/**
 * The global authentication guard: every route needs a valid PAT or session unless marked
 * `@Public()`. It rethrows the strategy's domain errors as they are, so the RFC 6750 challenge
 * (which the stock AuthGuard drops) reaches the client.
 */
@Injectable()
export class BearerAuthGuard extends AuthGuard(BEARER_STRATEGY) {
  constructor(
    private readonly reflector: Reflector,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    if (this.reflector.getAllAndOverride(Public, [context.getHandler(), context.getClass()])) return true;
    return super.canActivate(context);
  }

  override handleRequest<TUser>(error: unknown, user: TUser | false): TUser {
    if (error) throw error;
    if (!user) throw new MissingCredentialsError(this.options.realm);
    return user;
  }
}
