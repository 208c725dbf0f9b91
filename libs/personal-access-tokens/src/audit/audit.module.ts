import { DataSource } from 'typeorm';
import { assertSchema } from '../core/schema-check';
import { Module, OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditEventBuilder } from './audit-event.builder';
import { AuditEvent } from './audit-event.entity';
import { AuditQueryService } from './audit-query.service';
import { AuditRetentionJob } from './audit-retention.job';
import { AuditTrail } from './audit-trail';
import { AuditWriter } from './audit-writer';
import { AuditInterceptor, AuditRouteGuard } from './audit.interceptor';
import { SystemAuditRecorder } from './system-audit.recorder';

/**
 * The audit trail of the library's requests (a host's routes: those marked `@AuditAction`, or all
 * with `audit.allRoutes`) and of system actions on tokens, its
 * query API (`/user/me/audit-events`, `/admin/audit-events`) and retention. It is fed, and reaches
 * into no other module: routes through the route guard, the interceptor and the route metadata of `@AuditAction`,
 * refusals through the exception filter's recorder, system actions through token events, writes
 * through the unit of work's transaction hook. Import it before `AuthModule`, so that its route
 * guard runs first and refusals are recorded under the route's action.
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
    AuditRetentionJob,
    // First of the global guards: it only notes the route, so that refusals are audited under its action.
    { provide: APP_GUARD, useClass: AuditRouteGuard },
    // Reached through `auditRouteInterceptor` on the audited mutation routes, not as a global interceptor.
    AuditInterceptor,
  ],
  exports: [AuditWriter, AuditTrail, AuditQueryService, AuditRetentionJob],
})
export class AuditModule implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): Promise<void> {
    return assertSchema(this.dataSource, 'AuditModule', 'AUDIT_ENTITIES', [AuditEvent]);
  }
}
