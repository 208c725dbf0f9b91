import { InitialSchema1795400000000 } from './1795400000000-initial-schema';
import { AuditEvents1795400001000 } from './1795400001000-audit-events';
import { ExpiryNoticesAndWebhooks1795400002000 } from './1795400002000-expiry-notices-and-webhooks';
import { RateLimitCounters1795400003000 } from './1795400003000-rate-limit-counters';
import { TokenNameKey1795400004000 } from './1795400004000-token-name-key';
import { AuditTargetIndex1795400004500 } from './1795400004500-audit-target-index';
import { ClusterSafeLocks1795400005000 } from './1795400005000-cluster-safe-locks';
import { DropAuditActorIndex1795400005500 } from './1795400005500-drop-audit-actor-index';
import { UserSessionsCutOff1795400007000 } from './1795400007000-user-sessions-cut-off';
import { AuditRollups1795400008000 } from './1795400008000-audit-rollups';
import { OidcAndTokenExchange1795400012000 } from './1795400012000-oidc-and-token-exchange';
import { CoreTables1795400012100 } from './1795400012100-core-tables';
import { UsersTables1795400012200 } from './1795400012200-users-tables';
import { TokensTables1795400012300 } from './1795400012300-tokens-tables';
import { AuthTables1795400012400 } from './1795400012400-auth-tables';
import { AuditTables1795400012500 } from './1795400012500-audit-tables';
import { OidcTables1795400012600 } from './1795400012600-oidc-tables';
import { TokenExchangeTables1795400012700 } from './1795400012700-token-exchange-tables';
import { TokenAddressRulesAndSuspension1795400013000 } from './1795400013000-token-address-rules-and-suspension';

/*
 * Migrations per module, so that a host gets the tables of the modules it imports and no others.
 *
 * - ONE_CHAIN: the single chain every database ran until 1795400012000 (all tables, roles seeded).
 *   Closed: nothing joins it. It stays in MIGRATIONS so that a database it started (the standalone
 *   service, existing deployments) upgrades as before.
 * - One list per module, each opening with that module's baseline (1795400012100-12700): its
 *   tables as the one chain left them, created only where absent. On a database the one chain
 *   started they change nothing; on a new one they create only the tables of the lists it runs.
 *
 * Adding a migration: it changes the tables of ONE module (split it otherwise), is timestamped
 * after 1795400012700, and goes at the end of that module's list below, not in ONE_CHAIN.
 * Which list: tokens, their scopes, retired digests, webhook deliveries, job leases -> TOKENS;
 * audit_events -> AUDIT; users, roles -> USERS; sessions -> AUTH; rate-limit counters, lock rows
 * -> CORE; oidc_* -> OIDC; token_exchange_* -> TOKEN_EXCHANGE. A new table goes to the module whose
 * entity list (libs/personal-access-tokens/src/entities.ts) holds its entity.
 */
export const ONE_CHAIN = [
  InitialSchema1795400000000,
  AuditEvents1795400001000,
  ExpiryNoticesAndWebhooks1795400002000,
  RateLimitCounters1795400003000,
  TokenNameKey1795400004000,
  AuditTargetIndex1795400004500,
  ClusterSafeLocks1795400005000,
  DropAuditActorIndex1795400005500,
  UserSessionsCutOff1795400007000,
  AuditRollups1795400008000,
  OidcAndTokenExchange1795400012000,
];

export const CORE_MIGRATIONS = [CoreTables1795400012100];
export const USERS_MIGRATIONS = [UsersTables1795400012200];
export const TOKENS_MIGRATIONS = [TokensTables1795400012300, TokenAddressRulesAndSuspension1795400013000];
export const AUTH_MIGRATIONS = [AuthTables1795400012400];
export const AUDIT_MIGRATIONS = [AuditTables1795400012500];
export const OIDC_MIGRATIONS = [OidcTables1795400012600];
export const TOKEN_EXCHANGE_MIGRATIONS = [TokenExchangeTables1795400012700];

/**
 * Every migration, for the standalone service and any database the one chain started: the one
 * chain, then every module's list. Listed explicitly so the app, the CLI and tests load the same set.
 */
export const MIGRATIONS = [
  ...ONE_CHAIN,
  ...CORE_MIGRATIONS,
  ...USERS_MIGRATIONS,
  ...TOKENS_MIGRATIONS,
  ...AUTH_MIGRATIONS,
  ...AUDIT_MIGRATIONS,
  ...OIDC_MIGRATIONS,
  ...TOKEN_EXCHANGE_MIGRATIONS,
];
