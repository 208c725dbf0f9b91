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
import { TokenAddressRulesAndSuspension1795400013000 } from './1795400013000-token-address-rules-and-suspension';

/** Every migration, oldest first: listed explicitly so the app, the CLI and tests load the same set. */
export const MIGRATIONS = [
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
  TokenAddressRulesAndSuspension1795400013000,
];
