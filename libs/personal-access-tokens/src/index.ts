// The public API, in the order a host meets it. Request/response DTOs and the types the services
// take and return are in the `/dto` entry (`@pat-service/personal-access-tokens/dto`).

// 1. Modules: the composition, or its parts; the routes by feature; the optional page.
export { PersonalAccessTokensModule } from './personal-access-tokens.module';
export type {
  PersonalAccessTokensForRootOptions,
  PersonalAccessTokensForRootAsyncOptions,
} from './personal-access-tokens.module-definition';
export { PersonalAccessTokensCoreModule } from './core/core.module';
export { UsersModule } from './users/users.module';
export { ScopesModule } from './scopes/scopes.module';
export { TokensModule } from './tokens/tokens.module';
export { AuthModule } from './auth/auth.module';
export { AuditModule } from './audit/audit.module';
export { PersonalAccessTokensRoutesModule } from './personal-access-tokens-routes.module';
export type { PersonalAccessTokensRoutes, PersonalAccessTokensRoutesOptions } from './personal-access-tokens-routes.module';
export { PersonalAccessTokensPageModule } from './page/page.module';
export { PageLogin } from './page/page.options';
export type { PersonalAccessTokensPageOptions } from './page/page.options';
export { OidcModule } from './oidc/oidc.module';
export { TokenExchangeModule } from './token-exchange/token-exchange.module';

// 2. Options.
export { DEFAULT_POLICY } from './core/personal-access-tokens.options';
export type { PersonalAccessTokensModuleOptions, TokenPolicy } from './core/personal-access-tokens.options';
export type { ScopeResourceDefinition } from './scopes/scope-catalog';

// 3. Tables: entities and migrations, of every module or of those the host imports.
export { PERSONAL_ACCESS_TOKENS_ENTITIES } from './entities';
export { PERSONAL_ACCESS_TOKENS_MIGRATIONS, personalAccessTokensTables } from './migrations';

// 4. Protecting routes.
export { Public, Auth } from './scopes/auth.decorators';
export { RequireScopes, RequirePrivileges } from './scopes/require-scopes.decorator';
export { Endpoint } from './scopes/endpoint.decorator';
export { BearerAuthGuard } from './auth/bearer-auth.guard';
export { ScopesGuard } from './scopes/scopes.guard';
export { Privilege } from './scopes/privileges';
export type { Principal } from './scopes/principal';

// 5. Auditing routes.
export { AuditAction, SkipAudit } from './core/audit.decorators';
export { NoStore } from './core/no-store.decorator';
export { attributeAuditActor } from './core/audit-context';

// 6. Users: the host's own, through a directory.
export { UserDirectory } from './core/user-directory';
export type { DirectoryUser } from './core/user-directory';
export { UserChanges } from './core/user-changes';

// 7. Services.
export { TokensService } from './tokens/tokens.service';
export { SessionsService } from './auth/sessions/sessions.service';
export { CredentialVerifier } from './auth/credential-verifier';
export { UsersService } from './users/users.service';
export { TokenEvents } from './core/token-events';
export { verifyWebhookSignature } from './tokens/webhooks/webhook-signature';
export { Clock } from './core/clock';

// 8. Errors, in the library's one shape, for a host's routes that want it.
export { DomainError, TooManyRequestsError } from './core/domain-error';
export { ErrorResponseDto } from './core/error-response.dto';
export { finishOpenApiDocument } from './scopes/openapi-document';
export { isConnectionLost, isUniqueViolation } from './core/database-errors';
export { RateLimiter } from './core/rate-limiter';
