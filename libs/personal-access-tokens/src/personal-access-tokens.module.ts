import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditInterceptor, AuditRouteGuard } from './audit/audit.interceptor';
import { AuditQueryService } from './audit/audit-query.service';
import { AuditRetentionJob } from './audit/audit-retention.job';
import { AuditTrail } from './audit/audit-trail';
import { AuditWriter } from './audit/audit-writer';
import { BearerAuthGuard } from './auth/bearer-auth.guard';
import { BearerStrategy } from './auth/bearer.strategy';
import { CredentialVerifier } from './auth/credential-verifier';
import { FailedAuthLimiter } from './auth/failed-auth-limiter';
import { SessionsService } from './auth/sessions/sessions.service';
import { ApiExceptionFilter, FailedRequestRecorder } from './core/api-exception.filter';
import { Clock, SystemClock } from './core/clock';
import { DatabaseRateLimitStore } from './core/database-rate-limit.store';
import { MemoryRateLimitStore, RateLimiter, RateLimitStore } from './core/rate-limiter';
import { TokenEvents } from './core/token-events';
import { UnitOfWork } from './core/unit-of-work';
import { VerificationCache } from './auth/verification-cache';
import { createValidationPipe } from './core/validation';
import { CORE_ENTITIES } from './entities';
import { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } from './personal-access-tokens.module-definition';
import { PAT_OPTIONS, PersonalAccessTokensModuleOptions, resolveOptions, ResolvedOptions } from './core/personal-access-tokens.options';
import { GrantRules } from './scopes/grant-rules';
import { ScopeCatalog } from './scopes/scope-catalog';
import { ScopesGuard } from './scopes/scopes.guard';
import { TokenHasher } from './tokens/token-hasher';
import { TokensService } from './tokens/tokens.service';
import { AdminTokensService } from './tokens/admin/admin-tokens.service';
import { ExpiryJob } from './tokens/expiry/expiry-job';
import { IntrospectionService } from './auth/introspection/introspection.service';
import { LeakedCredentialsService } from './tokens/leaked-credentials/leaked-credentials.service';
import { WebhookDispatcher } from './tokens/webhooks/webhook-dispatcher';

/**
 * Personal access tokens for a Nest app: tokens and scopes, login sessions, users and roles (or
 * the host's own, through `userDirectory`), the audit trail, expiry, webhooks, the global bearer guard (fail closed, `@Public()` to opt out) and `ScopesGuard`.
 *
 * @example
 * @Module({
 *   imports: [
 *     TypeOrmModule.forRoot({ ...dataSource, entities: [...PERSONAL_ACCESS_TOKENS_ENTITIES] }),
 *     PersonalAccessTokensModule.forRoot({ peppers: [pepper] }),
 *   ],
 * })
 * export class AppModule {}
 */
@Module({
  imports: [TypeOrmModule.forFeature(CORE_ENTITIES), PassportModule],
  providers: [
    {
      provide: PAT_OPTIONS,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: PersonalAccessTokensModuleOptions) => resolveOptions(options),
    },
    { provide: TokenHasher, inject: [PAT_OPTIONS], useFactory: (options: ResolvedOptions) => new TokenHasher(options.peppers) },
    { provide: ScopeCatalog, inject: [PAT_OPTIONS], useFactory: (options: ResolvedOptions) => new ScopeCatalog(options.productScopes) },
    { provide: Clock, useClass: SystemClock },
    // Several instances share MySQL, so their limits must too; SQLite is one process.
    {
      provide: RateLimitStore,
      inject: [DataSource, UnitOfWork],
      useFactory: (dataSource: DataSource, unitOfWork: UnitOfWork) =>
        dataSource.options.type === 'better-sqlite3' ? new MemoryRateLimitStore() : new DatabaseRateLimitStore(dataSource, unitOfWork),
    },
    FailedAuthLimiter,
    RateLimiter,
    TokenEvents,
    VerificationCache,
    UnitOfWork,
    GrantRules,
    TokensService,
    SessionsService,
    AdminTokensService,
    IntrospectionService,
    LeakedCredentialsService,
    WebhookDispatcher,
    ExpiryJob,
    CredentialVerifier,
    BearerStrategy,
    AuditWriter,
    AuditTrail,
    AuditQueryService,
    AuditRetentionJob,
    { provide: FailedRequestRecorder, useExisting: AuditTrail },
    // First of the global guards: it only notes the route, so that refusals are audited under its action.
    { provide: APP_GUARD, useClass: AuditRouteGuard },
    { provide: APP_GUARD, useClass: BearerAuthGuard },
    { provide: APP_GUARD, useClass: ScopesGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
    { provide: APP_FILTER, useClass: ApiExceptionFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
  ],
  exports: [
    PAT_OPTIONS,
    Clock,
    UnitOfWork,
    RateLimiter,
    TokenEvents,
    VerificationCache,
    ExpiryJob,
    WebhookDispatcher,
    AuditRetentionJob,
    AuditWriter,
    TokensService,
    SessionsService,
    CredentialVerifier,
    ScopeCatalog,
  ],
})
export class PersonalAccessTokensModule extends ConfigurableModuleClass {}
