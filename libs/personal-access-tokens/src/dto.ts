// The `/dto` entry (`@pat-service/personal-access-tokens/dto`): the routes' request and response
// DTOs and the types the public services take and return, for a host that rebuilds a route itself
// or types its client. Nothing here changes behaviour.

export type { PersonalAccessTokensCoreExtras } from './core/core.module-definition';
export type { PersonalAccessTokensModuleExtras } from './personal-access-tokens.module-definition';
export type { AuditOptions, ExpiryJobOptions, WebhookOptions } from './core/personal-access-tokens.options';
export type { ScopeDefinition } from './scopes/scope-catalog';
export type { PrincipalToken, AuthMethod } from './scopes/principal';
export type { EndpointOptions, EndpointErrorStatus } from './scopes/endpoint.decorator';
export type { AuditActionOptions } from './core/audit.decorators';
export type { ErrorDetail } from './core/domain-error';
export { ErrorDetailDto } from './core/error-response.dto';
export type { Page } from './core/pagination.dto';
export { PageQueryDto } from './core/pagination.dto';

// Own tokens (TokensService).
export {
  CreateTokenDto,
  UpdateTokenDto,
  RotateTokenDto,
  RegenerateTokenDto,
  ListTokensQueryDto,
  TokenFiltersDto,
  AddScopeDto,
  TokenResponseDto,
  CreatedTokenResponseDto,
  TokenPageDto,
  TokenScopesDto,
} from './tokens/dto/token.dto';
export type { VerifiedToken } from './tokens/token-verification.service';
export type { TokenActor } from './tokens/tokens.service';
export type { TokenEvent, TokenEventType, TokenEventListener, TokenEventBatchListener } from './core/token-events';
export type { WebhookPayload } from './tokens/webhooks/webhook-dispatcher';
export type { ExpiryRunResult } from './tokens/expiry/expiry-job';
// Governance and leaked credentials.
export { AdminListTokensQueryDto, UserCredentialsRevokedDto } from './tokens/admin/dto/admin-tokens.dto';
export { RevokeCredentialsDto } from './tokens/leaked-credentials/dto/revoke-credentials.dto';
// Introspection, /auth/verify, /user/me, sessions.
export { IntrospectTokenDto, IntrospectionResponseDto, VerifyQueryDto } from './auth/introspection/dto/introspection.dto';
export { MeResponseDto, MeTokenDto } from './auth/dto/me.dto';
export type { IssuedSession } from './auth/sessions/sessions.service';
// Scopes, users and roles.
export { ScopeCatalogDto, ScopeEntryDto } from './scopes/dto/scope.dto';
export { CreateUserDto, UpdateUserDto, UserResponseDto, UserPageDto, RoleResponseDto } from './users/dto/user.dto';
export type { UserChangeListener } from './core/user-changes';
// The audit trail.
export { AuditEventQueryDto, AdminAuditEventQueryDto, AuditEventDto, AuditEventPageDto } from './audit/dto/audit-event.dto';
export type { AuditAuthMethod, AuditOutcome } from './audit/audit-event.entity';
// Token usage and the busiest tokens.
export {
  TokenUsageQueryDto,
  TokenUsageDto,
  UsageBucketDto,
  UsageTotalsDto,
  UsageAddressDto,
  BusiestTokensQueryDto,
  BusiestTokensDto,
  BusiestTokenDto,
} from './usage/dto/token-usage.dto';
// The page.
export type { PageLoginResult } from './page/page.options';
export { PageSignInDto, PageSignedInDto, PageSessionDto, PageUserDto, PagePolicyDto } from './page/dto/page-session.dto';
// Single sign-on and the CI token exchange.
export type { OidcSignInOptions } from './oidc/oidc.options';
export type { TokenExchangeOptions } from './token-exchange/token-exchange.options';
