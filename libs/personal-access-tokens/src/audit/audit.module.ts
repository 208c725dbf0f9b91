import { DataSource } from 'typeorm';
import { RouteGuards } from '../core/route-guards';
import { assertSchema } from '../core/schema-check';
import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEventBuilder } from './audit-event.builder';
import { AuditEvent } from './audit-event.entity';
import { AuditQueryService } from './audit-query.service';
import { AuditRetentionJob } from './audit-retention.job';
import { AuditTrail } from './audit-trail';
import { AuditWriter } from './audit-writer';
import { AuditInterceptor, AuditRouteGuard } from './audit.interceptor';
import { SystemAuditRecorder } from './system-audit.recorder';
import { UsageQueryService } from './usage-query.service';

/**
 * The audit trail of the library's requests (a host's routes: those marked `@AuditAction`, or all
 * with `audit.allRoutes`) and of system actions on tokens, its
 * query API (`/user/me/audit-events`, `/admin/audit-events`) and retention. It is fed, and reaches
 * into no other module: routes through the route guard, the interceptor and the route metadata of `@AuditAction`,
 * refusals through the exception filter's recorder, system actions through token events, writes
 * through the unit of work's transaction hook. Its route guard runs before the bearer guard
 * (`RouteGuards`), so that refusals are recorded under the route's action, in any import order.
 *
 * @example
 * imports: [PersonalAccessTokensCoreModule.forRoot({ peppers, userDirectory }), AuditModule, ScopesModule, TokensModule, AuthModule]
 */
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [
    AuditWriter,
    AuditEventBuilder,
    SystemAuditRecorder,
    AuditTrail,
    AuditQueryService,
    UsageQueryService,
    AuditRetentionJob,
    // Run first of the library's guards (RouteGuards): it only notes the route, so that refusals are audited under its action.
    AuditRouteGuard,
    // Reached through `auditRouteInterceptor` on the audited mutation routes, not as a global interceptor.
    AuditInterceptor,
  ],
  exports: [AuditWriter, AuditTrail, AuditQueryService, UsageQueryService, AuditRetentionJob],
})
export class AuditModule implements OnModuleInit {
  constructor(
    private readonly dataSource: DataSource,
    guards: RouteGuards,
    guard: AuditRouteGuard,
  ) {
    guards.use('audit', guard);
  }

  onModuleInit(): Promise<void> {
    return assertSchema(this.dataSource, 'AuditModule', 'audit', [AuditEvent]);
  }
}
