import { AuditEvent } from './audit/audit-event.entity';
import { Session } from './auth/sessions/session.entity';
import { RateLimitCounter } from './common/rate-limit-counter.entity';
import { PersonalAccessTokenScope } from './tokens/personal-access-token-scope.entity';
import { PersonalAccessToken } from './tokens/personal-access-token.entity';
import { RetiredTokenDigest } from './tokens/retired-token-digest.entity';
import { Role } from './users/role.entity';
import { User } from './users/user.entity';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity';

/** Every entity of the library: add them to the host's TypeORM data source. */
export const PERSONAL_ACCESS_TOKENS_ENTITIES = [PersonalAccessToken, PersonalAccessTokenScope, RetiredTokenDigest, Session, User, Role, RateLimitCounter, WebhookDelivery, AuditEvent];