import { CallHandler, CanActivate, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { from, mergeMap, Observable } from 'rxjs';
import { RouteTarget } from '../core/route-metadata';
import { auditStorage } from '../core/audit-context';
import { AuditTrail, RawResponse } from './audit-trail';

/** Nest's own metadata keys: a route's path and its interceptors. */
const PATH_METADATA = 'path';
const INTERCEPTORS_METADATA = '__interceptors__';
/** Where the route guard leaves its app's interceptor for a request that needs one. */
const OWN_INTERCEPTOR = Symbol('auditInterceptor');

/**
 * Records a route's event when its handler succeeds, on the routes whose event must be written
 * before the answer (mutations). While the handler runs, the request's audit state is in
 * async-local storage, where `UnitOfWork` finds it to commit the event with the request's change.
 * Failures are recorded by the exception filter (which knows the final status and code); should
 * another filter answer instead, the event is written when the response closes.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  /** Handlers running inside `auditStorage`: none, and its promise hooks are switched off. */
  private running = 0;

  constructor(private readonly trail: AuditTrail) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<object>();
    const audit = this.trail.begin(request, context);
    if (!audit) return next.handle();
    const response = http.getResponse<{ raw?: RawResponse } & RawResponse>();
    const raw = response.raw ?? response;
    // Only for an answer that went out unrecorded; a client that hung up early changes nothing here.
    raw.once?.('close', () => {
      if (!audit.finished && raw.writableFinished)
        void this.trail.fail(request, undefined, raw.statusCode ?? 500, `http_${raw.statusCode}`);
    });
    return new Observable((subscriber) => {
      this.running++;
      const subscription = auditStorage.run(audit, () =>
        next
          .handle()
          .pipe(mergeMap((value) => from(this.trail.succeed(audit, value).then(() => value))))
          .subscribe(subscriber),
      );
      return () => {
        subscription.unsubscribe();
        // On Node 20, an enabled AsyncLocalStorage costs a hook on every promise of the process,
        // every request's included: it is on only while a mutation runs. A write its handler did
        // not wait for finds no state afterwards, and its event was written without it.
        if (--this.running === 0) auditStorage.disable();
      };
    });
  }
}

/**
 * Registered first among the global guards: it notes the route's audit metadata on the request
 * before any guard can refuse it, so that a refusal is recorded under the route's action name.
 * On a route without the interceptor (see `AuditRoutes`), it also has the event recorded once the
 * answer has gone out. It refuses only when the audit buffer is full and stays full (503, see
 * `AuditTrail.admit`): a request whose event cannot be kept is not served.
 */
@Injectable()
export class AuditRouteGuard implements CanActivate {
  constructor(
    private readonly trail: AuditTrail,
    private readonly interceptor: AuditInterceptor,
  ) {}

  canActivate(context: ExecutionContext): true | Promise<true> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const request = http.getRequest<{ [OWN_INTERCEPTOR]?: AuditInterceptor }>();
    const audit = this.trail.begin(request, context);
    if (!audit) return true;
    if (!audit.batched) {
      request[OWN_INTERCEPTOR] = this.interceptor;
    } else {
      const response = http.getResponse<{ raw?: RawResponse } & RawResponse>();
      const raw = response.raw ?? response;
      raw.once?.('finish', () => this.trail.answered(audit, raw, 'finish'));
      raw.once?.('close', () => this.trail.answered(audit, raw, 'close'));
    }
    return this.trail.admit();
  }
}

/**
 * Puts the audit interceptor on the routes that need it, every controller's (a host app's
 * included): all but `@SkipAudit()` routes and batched ones (reads, and routes declared
 * `readOnly`), whose events the route guard records once they are answered. A global interceptor
 * would do the same work, but Nest runs an rxjs chain (and a ReplaySubject) on every request of
 * every route that has any interceptor: `/health` and every read would pay for it.
 * Runs when the module's providers are created, before Nest reads routes' interceptors.
 */
@Injectable()
export class AuditRoutes {
  constructor(modules: ModulesContainer, trail: AuditTrail) {
    if (!trail.isEnabled()) return;
    for (const module of modules.values()) {
      for (const controller of module.controllers.values()) {
        const type = controller.metatype as (abstract new (...args: never[]) => unknown) | null;
        if (!type) continue;
        for (const handler of routeHandlers(type.prototype as object)) {
          const route = trail.routeOf(handler, type);
          if (route && !route.batched) attachInterceptor(handler);
        }
      }
    }
  }
}

/** The route handlers of a controller (its own and inherited methods that carry a path). */
function routeHandlers(prototype: object): RouteTarget[] {
  const handlers = new Set<RouteTarget>();
  for (let proto = prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      const value: unknown = descriptor?.value;
      if (name !== 'constructor' && typeof value === 'function' && Reflect.hasMetadata(PATH_METADATA, value))
        handlers.add(value as RouteTarget);
    }
  }
  return [...handlers];
}

/**
 * What a route carries: one object for every app in the process (controllers' metadata is shared
 * by all of them), handing each request to its own app's interceptor, which the route guard named.
 */
const routeInterceptor: NestInterceptor = {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const own = context.switchToHttp().getRequest<{ [OWN_INTERCEPTOR]?: AuditInterceptor } | undefined>()?.[OWN_INTERCEPTOR];
    return own ? own.intercept(context, next) : next.handle();
  },
};

/** Outermost of the route's own interceptors, as a global one would be; once. */
function attachInterceptor(handler: object): void {
  const current = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
  if (!current.includes(routeInterceptor)) Reflect.defineMetadata(INTERCEPTORS_METADATA, [routeInterceptor, ...current], handler);
}
