import { DataSource } from 'typeorm';
import { RouteGuards } from '../core/route-guards';
import { assertSchema } from '../core/schema-check';
import { Module, OnModuleInit } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ScopesGuard } from '../scopes/scopes.guard';
import { ScopesModule } from '../scopes/scopes.module';
import { PersonalAccessToken } from '../tokens/personal-access-token.entity';
import { TokensModule } from '../tokens/tokens.module';
import { BearerAuthGuard } from './bearer-auth.guard';
import { BearerStrategy } from './bearer.strategy';
import { CredentialVerifier } from './credential-verifier';
import { FailedAuthLimiter } from './failed-auth-limiter';
import { IntrospectionService } from './introspection/introspection.service';
import { ProtectedRoutesGuard } from './protected-routes.guard';
import { Session } from './sessions/session.entity';
import { SessionsService } from './sessions/sessions.service';
import { VerificationCache } from './verification-cache';

/**
 * The join: the passport-http-bearer strategy (`Bearer` and `ApiKey`) over PATs and login
 * sessions, the bearer guard followed by `ScopesGuard` on the library's routes and those that
 * declare scopes (on every route, `@Public()` to opt out, with `protectAllRoutes`), the verification cache, the failed-authentication limiter, `/user/me`,
 * introspection and `/auth/verify`.
 *
 * @example
 * imports: [PersonalAccessTokensCoreModule.forRoot({ peppers, userDirectory: AccountsDirectory }), ScopesModule, TokensModule, AuthModule]
 */
@Module({
  imports: [TypeOrmModule.forFeature([Session, PersonalAccessToken]), PassportModule, ScopesModule, TokensModule],
  providers: [
    SessionsService,
    VerificationCache,
    CredentialVerifier,
    FailedAuthLimiter,
    BearerStrategy,
    IntrospectionService,
    BearerAuthGuard,
    ScopesGuard,
    // The bearer guard then the scopes guard, on the routes the host asked for (see the guard and RouteGuards).
    ProtectedRoutesGuard,
  ],
  // The guards too, for a host's `@UseGuards(BearerAuthGuard, ScopesGuard)`.
  exports: [SessionsService, VerificationCache, CredentialVerifier, IntrospectionService, BearerAuthGuard, ScopesGuard],
})
export class AuthModule implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    guards: RouteGuards,
    guard: ProtectedRoutesGuard,
  ) {
    guards.use('auth', guard);
  }

  onModuleInit(): Promise<void> {
    return assertSchema(this.dataSource, 'AuthModule', 'auth', [Session]);
  }
}
