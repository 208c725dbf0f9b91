export { PersonalAccessTokensModule } from './personal-access-tokens.module';
export type {
  PersonalAccessTokensForRootOptions,
  PersonalAccessTokensForRootAsyncOptions,
  PersonalAccessTokensModuleExtras,
} from './personal-access-tokens.module-definition';
export { PersonalAccessTokensCoreModule } from './core/core.module';
export type { PersonalAccessTokensCoreExtras } from './core/core.module-definition';
export { UsersModule } from './users/users.module';
export { ScopesModule } from './scopes/scopes.module';
export { TokensModule } from './tokens/tokens.module';
export { AuditModule } from './audit/audit.module';
export { AuthModule } from './auth/auth.module';
export { PAT_OPTIONS, DEFAULT_POLICY } from './core/personal-access-tokens.options';
export type {
  PersonalAccessTokensModuleOptions,
  TokenPolicy,
  ResolvedOptions,
  ExpiryJobOptions,
  WebhookOptions,
} from './core/personal-access-tokens.options';
export {
  PERSONAL_ACCESS_TOKENS_ENTITIES,
  CORE_ENTITIES,
  USERS_ENTITIES,
  TOKENS_ENTITIES,
  AUTH_ENTITIES,
  AUDIT_ENTITIES,
  OIDC_ENTITIES,
  TOKEN_EXCHANGE_ENTITIES,
} from './entities';
export { Public, Auth } from './scopes/auth.decorators';
export type { Principal, PrincipalToken, AuthMethod } from './scopes/principal';
export { BearerAuthGuard } from './auth/bearer-auth.guard';
export { CredentialVerifier } from './auth/credential-verifier';
export { SessionsService } from './auth/sessions/sessions.service';
export { RequireScopes, RequirePrivileges } from './scopes/require-scopes.decorator';
export { Endpoint } from './scopes/endpoint.decorator';
export type { EndpointOptions, EndpointErrorStatus } from './scopes/endpoint.decorator';
export { ScopesGuard } from './scopes/scopes.guard';
export { isGranted } from './scopes/scope';
export { ScopeCatalog } from './scopes/scope-catalog';
export type { ScopeResourceDefinition, ScopeDefinition } from './scopes/scope-catalog';
export { TokensService } from './tokens/tokens.service';
export { TokenHasher } from './tokens/token-hasher';
export { CompanionCredentials } from './tokens/companion-credentials';
export type { CompanionCredentialStore } from './tokens/companion-credentials';
export { UsersService } from './users/users.service';
export { UserDirectory } from './core/user-directory';
export type { DirectoryUser } from './core/user-directory';
export { UserChanges } from './core/user-changes';
export type { UserChangeListener } from './core/user-changes';
export { Privilege } from './scopes/privileges';
export { Clock, SystemClock } from './core/clock';
export { UnitOfWork } from './core/unit-of-work';
export { isConnectionLost, isUniqueViolation } from './core/database-errors';
export { DomainError } from './core/domain-error';
export { ApiExceptionFilter, FailedRequestRecorder } from './core/api-exception.filter';
export { FailedRequestRelay } from './core/failed-request-relay';
export { requestIdOf } from './core/request-id';
export { RateLimiter, RateLimitStore, MemoryRateLimitStore } from './core/rate-limiter';
export { TooManyRequestsError, BadRequestError } from './core/domain-error';
export { ErrorResponseDto } from './core/error-response.dto';
export { finishOpenApiDocument } from './core/openapi-document';
export { TokenEvents } from './core/token-events';
export type { TokenEvent, TokenEventType, TokenEventListener, TokenEventBatchListener } from './core/token-events';
export { ExpiryJob } from './tokens/expiry/expiry-job';
export type { ExpiryRunResult } from './tokens/expiry/expiry-job';
export { WebhookDispatcher, WEBHOOK_EVENT_TYPES } from './tokens/webhooks/webhook-dispatcher';
export type { WebhookPayload, WebhookRunResult } from './tokens/webhooks/webhook-dispatcher';
export { signWebhookPayload, verifyWebhookSignature } from './tokens/webhooks/webhook-signature';
export { AuditAction, SkipAudit } from './core/audit.decorators';
export { NoStore } from './core/no-store.decorator';
export type { AuditActionOptions } from './core/audit.decorators';
export { attributeAuditActor } from './core/audit-context';
export { AuditEvent } from './audit/audit-event.entity';
export type { AuditAuthMethod, AuditOutcome } from './audit/audit-event.entity';
export { AuditRetentionJob } from './audit/audit-retention.job';
export { AuditWriter } from './audit/audit-writer';
export { AuditTrail } from './audit/audit-trail';
export { AuditQueryService } from './audit/audit-query.service';
export type { AuditOptions } from './core/personal-access-tokens.options';
export { MIGRATIONS as PERSONAL_ACCESS_TOKENS_MIGRATIONS } from '../../../migrations';
export { VerificationCache } from './auth/verification-cache';
export { PersonalAccessTokensPageModule } from './page/page.module';
export { PageLogin } from './page/page.options';
export { PageSignInDto } from './page/dto/page-session.dto';
export type { PersonalAccessTokensPageOptions, PageLoginResult } from './page/page.options';
export { CookieCredentials } from './auth/cookie-credentials';
export { SignInMethods } from './core/sign-in-methods';
export type { SignInProvider } from './core/sign-in-methods';
export { OidcModule } from './oidc/oidc.module';
export type { OidcSignInOptions } from './oidc/oidc.options';
export { TokenExchangeModule } from './token-exchange/token-exchange.module';
export type { TokenExchangeOptions } from './token-exchange/token-exchange.options';
