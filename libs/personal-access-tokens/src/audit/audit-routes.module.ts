import { Module } from '@nestjs/common';
import { AdminAuditEventsController, MyAuditEventsController } from './audit.controller';
import { AuditModule } from './audit.module';

/** `GET /user/me/audit-events`: a user's own trail. */
@Module({ imports: [AuditModule], controllers: [MyAuditEventsController] })
export class MyAuditRoutesModule {}

/** `GET /admin/audit-events`: everyone's trail, for auditors. */
@Module({ imports: [AuditModule], controllers: [AdminAuditEventsController] })
export class AdminAuditRoutesModule {}
