import { CallHandler, CanActivate, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { from, mergeMap, Observable } from 'rxjs';
import { auditStorage } from '../core/audit-context';
import { AuditTrail } from './audit-trail';

interface RawResponse {
  once?(event: 'close', listener: () => void): unknown;
  statusCode?: number;
  writableFinished?: boolean;
}

/**
 * Registered first among the global guards: it notes the route's audit metadata on the request
 * before any guard can refuse it, so that a refusal is recorded under the route's action name.
 * It never refuses anything.
 */
@Injectable()
export class AuditRouteGuard implements CanActivate {
  constructor(private readonly trail: AuditTrail) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'http') this.trail.begin(context.switchToHttp().getRequest<object>(), context);
    return true;
  }
}

/**
 * Records every handled request. While the handler runs, the request's audit state is in
 * async-local storage, where `UnitOfWork` finds it to commit the event with the request's
 * change. Failures are recorded by the exception filter (which knows the final status and code);
 * should another filter answer instead, the event is written when the response closes.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
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
    return new Observable((subscriber) =>
      auditStorage.run(audit, () =>
        next
          .handle()
          .pipe(mergeMap((value) => from(this.trail.succeed(audit, value).then(() => value))))
          .subscribe(subscriber),
      ),
    );
  }
}
