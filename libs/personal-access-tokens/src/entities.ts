import { AuditEvent } from './audit/audit-event.entity';
import { Session } from './auth/sessions/session.entity';
import { LockRow } from './common/lock-row.entity';
import { RateLimitCounter } from './common/rate-limit-counter.entity';
import { JobLease } from './expiry/job-lease.entity';
import { PersonalAccessTokenScope } from './tokens/personal-access-token-scope.entity';
import { PersonalAccessToken } from './tokens/personal-access-token.entity';
import { RetiredTokenDigest } from './tokens/retired-token-digest.entity';
import { Role } from './users/role.entity';
import { User } from './users/user.entity';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity';

/** The entities the token machinery itself uses, whoever stores the users. */
export const CORE_ENTITIES = [
  PersonalAccessToken,
  PersonalAccessTokenScope,
  RetiredTokenDigest,
  Session,
  RateLimitCounter,
  LockRow,
  JobLease,
  WebhookDelivery,
  AuditEvent,
];

/** Every entity of the library, for the host's TypeORM data source (the migrations create them all). */
export const PERSONAL_ACCESS_TOKENS_ENTITIES = [...CORE_ENTITIES, User, Role];
