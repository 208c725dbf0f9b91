import { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Observable } from 'rxjs';

/** Where the audit's route guard leaves its app's interceptor for a request that needs one. */
export const AUDIT_INTERCEPTOR_SLOT = Symbol('auditInterceptor');

/** Marks a handler that carries `auditRouteInterceptor`, so that the route guard hands it the request. */
export const AUDIT_INTERCEPTED = Reflector.createDecorator<boolean>({ transform: () => true });

/**
 * What an audited mutation route carries (`@AuditAction`, and the library's own controllers put it
 * on their mutations): one object for every app in the process, since a controller's metadata is
 * shared by all of them, handing each request to its own app's audit interceptor, which the route
 * guard left on the request. Without `AuditModule` it does nothing.
 */
export const auditRouteInterceptor: NestInterceptor = {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<{ [AUDIT_INTERCEPTOR_SLOT]?: NestInterceptor } | undefined>();
    const own = request?.[AUDIT_INTERCEPTOR_SLOT];
    return own ? own.intercept(context, next) : next.handle();
  },
};
