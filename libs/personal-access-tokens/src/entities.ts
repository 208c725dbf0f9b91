import { AuditEvent } from './audit/audit-event.entity';
import { Session } from './auth/sessions/session.entity';
import { LockRow } from './core/lock-row.entity';
import { RateLimitCounter } from './core/rate-limit-counter.entity';
import { JobLease } from './tokens/expiry/job-lease.entity';
import { PersonalAccessTokenScope } from './tokens/personal-access-token-scope.entity';
import { PersonalAccessToken } from './tokens/personal-access-token.entity';
import { RetiredTokenDigest } from './tokens/retired-token-digest.entity';
import { TokenAddress } from './tokens/token-address.entity';
import { Role } from './users/role.entity';
import { User } from './users/user.entity';
import { WebhookDelivery } from './tokens/webhooks/webhook-delivery.entity';
import { OidcIdentity } from './oidc/oidc-identity.entity';
import { OidcSignInAttempt } from './oidc/oidc-sign-in-attempt.entity';
import { TokenExchangePolicy } from './token-exchange/token-exchange-policy.entity';
import { TokenExchangeReplay } from './token-exchange/token-exchange-replay.entity';

/** The entities of each module, for a host that composes the modules itself. */
export const CORE_ENTITIES = [RateLimitCounter, LockRow];
export const USERS_ENTITIES = [User, Role];
export const TOKENS_ENTITIES = [PersonalAccessToken, PersonalAccessTokenScope, RetiredTokenDigest, WebhookDelivery, JobLease, TokenAddress];
export const AUTH_ENTITIES = [Session];
export const AUDIT_ENTITIES = [AuditEvent];
export const OIDC_ENTITIES = [OidcIdentity, OidcSignInAttempt];
export const TOKEN_EXCHANGE_ENTITIES = [TokenExchangePolicy, TokenExchangeReplay];

/** Every entity of the library, for the host's TypeORM data source (the migrations create them all). */
export const PERSONAL_ACCESS_TOKENS_ENTITIES = [
  ...CORE_ENTITIES,
  ...TOKENS_ENTITIES,
  ...AUTH_ENTITIES,
  ...AUDIT_ENTITIES,
  ...USERS_ENTITIES,
  ...OIDC_ENTITIES,
  ...TOKEN_EXCHANGE_ENTITIES,
];
