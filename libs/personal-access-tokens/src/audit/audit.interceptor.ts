import { CallHandler, CanActivate, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, mergeMap, Observable } from 'rxjs';
import { AUDIT_ACTION } from '../core/audit.decorators';
import { auditStorage } from '../core/audit-context';
import { AUDIT_INTERCEPTED, AUDIT_INTERCEPTOR_SLOT } from '../core/audit-route.interceptor';
import { LIBRARY_ROUTE } from '../core/library-controller.decorator';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { RouteMetadataCache } from '../core/route-metadata';
import { AuditTrail, RawResponse } from './audit-trail';

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

interface AuditedRoute {
  /** In the trail: a library route, a host route marked `@AuditAction`, or any with `audit.allRoutes`. */
  audited: boolean;
  /** It carries `auditRouteInterceptor`, which hands the request to this app's interceptor. */
  intercepted: boolean;
}

/**
 * Run first of the library's guards (`RouteGuards`: on its own routes and those marked
 * `@AuditAction`; app-wide with `audit.allRoutes`): it notes the route's audit metadata on the request
 * before the library's other guards can refuse it, so that a refusal is recorded under the route's action name.
 * On a route without the interceptor (reads, and a host's unmarked routes under
 * `audit.allRoutes`), it also has the event recorded once the answer has gone out. It refuses
 * only when the audit buffer is full and stays full (503, see `AuditTrail.admit`): a request
 * whose event cannot be kept is not served. It leaves a host's routes alone unless they are audited.
 */
@Injectable()
export class AuditRouteGuard implements CanActivate {
  private readonly routes = new RouteMetadataCache<AuditedRoute>(([handler, controller]) => ({
    audited:
      this.options.audit.allRoutes ||
      !!this.reflector.getAllAndOverride(LIBRARY_ROUTE, [handler, controller]) ||
      this.reflector.get(AUDIT_ACTION, handler) !== undefined,
    intercepted: !!this.reflector.get(AUDIT_INTERCEPTED, handler),
  }));

  constructor(
    private readonly trail: AuditTrail,
    private readonly interceptor: AuditInterceptor,
    private readonly reflector: Reflector,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  canActivate(context: ExecutionContext): true | Promise<true> {
    if (context.getType() !== 'http') return true;
    const route = this.routes.get(context);
    if (!route.audited) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<{ [AUDIT_INTERCEPTOR_SLOT]?: AuditInterceptor }>();
    const audit = this.trail.begin(request, context);
    if (!audit) return true;
    const response = http.getResponse<{ raw?: RawResponse } & RawResponse>();
    const raw = response.raw ?? response;
    if (!audit.batched && route.intercepted) {
      request[AUDIT_INTERCEPTOR_SLOT] = this.interceptor;
      // For an answer that went out unrecorded: a later guard's refusal answered by another filter
      // (a host's), or a failure past the interceptor. A client that hung up early changes nothing.
      raw.once?.('close', () => {
        if (!audit.finished && raw.writableFinished)
          void this.trail.fail(request, undefined, raw.statusCode ?? 500, `http_${raw.statusCode}`);
      });
      return this.trail.admit();
    }
    raw.once?.('finish', () => this.trail.answered(audit, raw, 'finish'));
    raw.once?.('close', () => this.trail.answered(audit, raw, 'close'));
    return this.trail.admit();
  }
}
