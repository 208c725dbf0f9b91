import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
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
import { IntrospectionController } from './introspection/introspection.controller';
import { IntrospectionService } from './introspection/introspection.service';
import { MeController } from './me.controller';
import { Session } from './sessions/session.entity';
import { SessionsService } from './sessions/sessions.service';
import { VerificationCache } from './verification-cache';

/**
 * The join: the passport-http-bearer strategy (`Bearer` and `ApiKey`) over PATs and login
 * sessions, the global bearer guard (fail closed, `@Public()` opts out) followed by the global
 * `ScopesGuard`, the verification cache, the failed-authentication limiter, `/user/me`,
 * introspection and `/auth/verify`.
 *
 * @example
 * imports: [PersonalAccessTokensCoreModule.forRoot({ peppers, userDirectory: AccountsDirectory }), ScopesModule, TokensModule, AuthModule]
 */
@Module({
  imports: [TypeOrmModule.forFeature([Session, PersonalAccessToken]), PassportModule, ScopesModule, TokensModule],
  controllers: [MeController, IntrospectionController],
  providers: [
    SessionsService,
    VerificationCache,
    CredentialVerifier,
    FailedAuthLimiter,
    BearerStrategy,
    IntrospectionService,
    // In this order: the scopes guard reads the principal the bearer guard attached.
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
  ],
  exports: [SessionsService, VerificationCache, CredentialVerifier],
})
export class AuthModule {}
