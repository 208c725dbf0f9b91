import { AsyncLocalStorage } from 'node:async_hooks';

/** How the actor of an audit event authenticated; `system` for jobs and automatic reactions. */
export type AuditAuthMethod = 'session' | 'personal_access_token' | 'none' | 'system';

/** Who acted, as far as the audit trail knows. */
export interface AuditActor {
  userId: string | null;
  email: string | null;
  authMethod: AuditAuthMethod;
  tokenId: string | null;
  tokenName: string | null;
}

/**
 * The audit state of one request, kept on the request (so the exception filter finds it) and, for
 * a mutation, in async-local storage while its handler runs (so that `UnitOfWork` finds it).
 */
export interface RequestAudit {
  readonly request: object;
  readonly method: string;
  readonly action: string;
  readonly targetType: string | null;
  readonly targetParam: string | null;
  readonly bodyFields: string[];
  /** Its event may be batched: a read, or a route declared `readOnly`. */
  readonly readOnly: boolean;
  /** Recorded once answered (see `RouteAudit.batched`): no async-local state while its handler runs. */
  readonly batched: boolean;
  /** The entity class a create inserts, and the id it got (see `AuditActionOptions.creates`). */
  readonly creates?: abstract new (...args: never[]) => unknown;
  createdId?: string;
  /** The status a success answers with (`@HttpCode`, or 201 for POST, 200 otherwise). */
  readonly successStatus: number;
  readonly startedAt: bigint;
  readonly occurredAt: Date;
  readonly id: string;
  /** Set by `attributeAuditActor` when a route learns its actor itself (login). */
  actor?: AuditActor;
  /** Set by `addAuditDetails`: what the route itself learned (the claims a token exchange matched). */
  details?: Record<string, unknown>;
  /** A transaction is writing the event now; others must not. Settles with that transaction. */
  joining?: Promise<void>;
  /** The event was committed inside the request's own write transaction. */
  committed: boolean;
  /** The request's one event has been handed over (or is being); nothing else may write it. */
  finished: boolean;
}

export const AUDIT_STATE = Symbol('audit');
export const auditStorage = new AsyncLocalStorage<RequestAudit>();

/** The audit state of a request, when it has one. */
export function auditOf(request: object): RequestAudit | undefined {
  return (request as { [AUDIT_STATE]?: RequestAudit })[AUDIT_STATE];
}

/**
 * Attributes the current request's audit event to a user the route identified on its own,
 * such as the user who just logged in. Call it before the route's write. A read (whose handler
 * runs without async-local state) passes its request.
 *
 * @example
 * attributeAuditActor({ userId: user.id, email: user.email });
 * attributeAuditActor({ userId: user.id, email: user.email }, request);
 */
export function attributeAuditActor(
  actor: {
    userId: string;
    email: string;
    tokenId?: string;
    tokenName?: string;
    authMethod?: AuditAuthMethod;
  },
  request?: object,
): void {
  const audit = (request && auditOf(request)) ?? auditStorage.getStore();
  if (!audit) return;
  audit.actor = {
    userId: actor.userId,
    email: actor.email,
    authMethod: actor.authMethod ?? 'none',
    tokenId: actor.tokenId ?? null,
    tokenName: actor.tokenName ?? null,
  };
}

/**
 * Adds facts the route learned itself to the current request's audit event (scrubbed like body
 * fields), such as the claims a token exchange matched. Call it before the route's write, or
 * before it throws, so that the event of a refusal carries them too.
 *
 * @example
 * addAuditDetails({ policy: policy.name, matched: { repository: 'acme/api' } });
 */
export function addAuditDetails(details: Record<string, unknown>, request?: object): void {
  const audit = (request && auditOf(request)) ?? auditStorage.getStore();
  if (audit) audit.details = { ...audit.details, ...details };
}
