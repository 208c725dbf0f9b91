import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/** A handler or a controller class, as Nest's `Reflector` takes them. */
export type RouteTarget = Parameters<Reflector['getAllAndOverride']>[1][number];

/**
 * Route metadata read once per route instead of on every request: guards and the audit trail run
 * on every request, and reflecting on a handler costs more than the rest of what they do.
 * Keyed by controller and handler, so that two controllers sharing an inherited method keep
 * their own answers.
 *
 * @example
 * private readonly isPublic = new RouteMetadataCache((targets) => !!this.reflector.getAllAndOverride(Public, targets));
 * canActivate(context) { if (this.isPublic.get(context)) return true; ... }
 */
export class RouteMetadataCache<T> {
  private readonly byController = new WeakMap<RouteTarget, WeakMap<RouteTarget, { value: T }>>();

  constructor(private readonly read: (targets: [RouteTarget, RouteTarget]) => T) {}

  get(context: ExecutionContext): T {
    return this.of(context.getHandler(), context.getClass());
  }

  of(handler: RouteTarget, controller: RouteTarget): T {
    let handlers = this.byController.get(controller);
    if (!handlers) this.byController.set(controller, (handlers = new WeakMap()));
    let entry = handlers.get(handler);
    if (!entry) handlers.set(handler, (entry = { value: this.read([handler, controller]) }));
    return entry.value;
  }
}
