import { Controller, RequestMethod, UseFilters, UseInterceptors, UsePipes } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { ApiExceptionFilter } from './api-exception.filter';
import { AUDIT_ACTION, READ_METHODS } from './audit.decorators';
import { AUDIT_INTERCEPTED, auditRouteInterceptor } from './audit-route.interceptor';
import { useLibraryRoutesGuard } from './route-guards';
import { createValidationPipe } from './validation';

/** Marks the library's own controllers: its guards, audit, error filter and validation apply to them without any option. */
export const LIBRARY_ROUTE = Reflector.createDecorator<boolean>({ transform: () => true });

/**
 * `@Controller(path)` for the library's own controllers: the library's guards, error shape and
 * validation pipe on these controllers only (a host keeps its own filter and pipe on its routes), the marker
 * its guards and audit trail look for, and the audit interceptor on each mutation. A class
 * decorator runs after its methods' decorators, so the routes' methods are known here.
 *
 * @example
 * @LibraryController('scopes') export class ScopesController {}
 */
export function LibraryController(path: string): ClassDecorator {
  const pipe = createValidationPipe();
  return (target) => {
    const prototype = target.prototype as Record<string, unknown>;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const handler = prototype[name];
      if (name === 'constructor' || typeof handler !== 'function' || !Reflect.hasMetadata(PATH_METADATA, handler)) continue;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod;
      const readOnly = (Reflect.getMetadata(AUDIT_ACTION.KEY, handler) as { readOnly?: boolean } | undefined)?.readOnly;
      if ((readOnly ?? READ_METHODS.has(method)) || Reflect.getMetadata(AUDIT_INTERCEPTED.KEY, handler)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
      UseInterceptors(auditRouteInterceptor)(prototype, name, descriptor);
      AUDIT_INTERCEPTED()(prototype, name, descriptor);
    }
    LIBRARY_ROUTE()(target);
    useLibraryRoutesGuard()(target);
    UseFilters(ApiExceptionFilter)(target);
    UsePipes(pipe)(target);
    Controller(path)(target);
  };
}
