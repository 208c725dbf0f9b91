import { Reflector } from '@nestjs/core';

export interface AuditActionOptions {
  /**
   * What the route acts on; its id comes from the `:id` route parameter or, for a create, from
   * the `id` of the response. Default: the action name up to its last dot; `null` for none.
   */
  target?: string | null;
  /** Body fields worth keeping (a new token's `name` and `scopes`); never a secret or a password. */
  bodyFields?: string[];
  /**
   * The entity a create inserts: its id becomes the target id inside the same transaction, so
   * the event is complete when it commits (otherwise the response's `id` is added afterwards).
   */
  creates?: abstract new (...args: never[]) => unknown;
  /** The route changes nothing whatever its method (introspection): its event is batched like a read's. */
  readOnly?: boolean;
}

export interface AuditActionMetadata extends AuditActionOptions {
  action: string;
}

export const AUDIT_ACTION = Reflector.createDecorator<AuditActionMetadata>();

/**
 * Names a route's action in the audit trail with a stable name. Without it, the action is
 * `<METHOD> <route path>`, such as `GET /reports/:id`.
 *
 * @example
 * @AuditAction('personal_access_token.rotate') @Patch(':id/rotate') rotate() {}
 * @AuditAction('report.create', { bodyFields: ['title'] }) @Post() create() {}
 */
export function AuditAction(action: string, options: AuditActionOptions = {}): MethodDecorator {
  return AUDIT_ACTION({ action, ...options });
}

/**
 * Leaves a route (or a controller) out of the audit trail. Meant for health checks and docs
 * only: every other request is an action that someone may need to account for.
 *
 * @example
 * @SkipAudit() @Public() @Controller('health') export class HealthController {}
 */
export const SkipAudit = Reflector.createDecorator<boolean>({ transform: () => true });
