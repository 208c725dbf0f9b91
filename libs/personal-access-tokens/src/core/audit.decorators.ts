import { applyDecorators, RequestMethod, UseInterceptors } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { AUDIT_INTERCEPTED, auditRouteInterceptor } from './audit-route.interceptor';
import { useLibraryRoutesGuard } from './route-guards';

/** Methods whose events are batched (recorded once answered) unless a route says otherwise. */
export const READ_METHODS = new Set<RequestMethod>([RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS]);

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
 * Names a route's action in the audit trail with a stable name, and puts a host's route in the
 * trail (with `AuditModule` imported; the library's own routes are always in it, and every
 * route with `audit.allRoutes`). Without it, the action is `<METHOD> <route path>`, such as
 * `GET /reports/:id`. A mutation's event is then written before its answer.
 *
 * @example
 * @AuditAction('personal_access_token.rotate') @Patch(':id/rotate') rotate() {}
 * @AuditAction('report.create', { bodyFields: ['title'] }) @Post() create() {}
 */
export function AuditAction(action: string, options: AuditActionOptions = {}): MethodDecorator {
  // The library's route guards, which note the route for the trail (and check scopes it declares).
  const metadata = applyDecorators(AUDIT_ACTION({ action, ...options }), useLibraryRoutesGuard());
  const intercepted = applyDecorators(metadata, UseInterceptors(auditRouteInterceptor), AUDIT_INTERCEPTED());
  return (target, key, descriptor) => {
    // A read's event is recorded once answered: no interceptor (an rxjs chain per request) for it.
    // Its method is known when the route's method decorator is written below this one.
    const method = Reflect.getMetadata(METHOD_METADATA, descriptor.value as object) as RequestMethod | undefined;
    const read = options.readOnly ?? (method !== undefined && READ_METHODS.has(method));
    return (read ? metadata : intercepted)(target, key, descriptor);
  };
}

/**
 * Leaves a route (or a controller) out of the audit trail. Meant for health checks and docs
 * only: every other request is an action that someone may need to account for.
 *
 * @example
 * @SkipAudit() @Public() @Controller('health') export class HealthController {}
 */
export const SkipAudit = Reflector.createDecorator<boolean>({ transform: () => true });
