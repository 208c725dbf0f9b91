import { Controller, Get, Query, StreamableFile } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Auth } from '../scopes/auth.decorators';
import { Principal } from '../scopes/principal';
import { ErrorResponseDto } from '../core/error-response.dto';
import { RequirePrivileges, RequireScopes } from '../scopes/require-scopes.decorator';
import { Privilege } from '../scopes/privileges';
import { AuditAction } from '../core/audit.decorators';
import { AuditFilter, AuditQueryService } from './audit-query.service';
import { AdminAuditEventQueryDto, AuditEventPageDto, AuditEventQueryDto } from './dto/audit-event.dto';

const CONTENT_TYPES = { ndjson: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' } as const;

function answer(audit: AuditQueryService, filter: AuditFilter, query: AuditEventQueryDto): Promise<AuditEventPageDto> | StreamableFile {
  if (query.format === 'json') return audit.page(filter, query.cursor, query.limit);
  return new StreamableFile(audit.export(filter, query.format), {
    type: CONTENT_TYPES[query.format],
    disposition: `attachment; filename="audit-events.${query.format}"`,
  });
}

@ApiTags('audit')
@ApiBadRequestResponse({ description: 'Invalid filter or cursor', type: ErrorResponseDto })
@Controller('user/me/audit-events')
export class MyAuditEventsController {
  constructor(private readonly audit: AuditQueryService) {}

  /**
   * Your audit trail, newest first: what you did (with which token), refusals included, and what
   * the system or an administrator did to your tokens. `format=ndjson|csv` streams it all.
   */
  @Get()
  @RequireScopes('audit:read')
  @AuditAction('audit_event.list')
  @ApiProduces('application/json', CONTENT_TYPES.ndjson, CONTENT_TYPES.csv)
  @ApiOkResponse({ type: AuditEventPageDto })
  list(@Auth() principal: Principal, @Query() query: AuditEventQueryDto): Promise<AuditEventPageDto> | StreamableFile {
    const { cursor: _cursor, limit: _limit, format: _format, ...filter } = query;
    return answer(this.audit, { ...filter, userId: principal.user.id }, query);
  }
}

@ApiTags('admin')
@ApiBadRequestResponse({ description: 'Invalid filter or cursor', type: ErrorResponseDto })
@Controller('admin/audit-events')
export class AdminAuditEventsController {
  constructor(private readonly audit: AuditQueryService) {}

  /** The whole audit trail, newest first; `userId` narrows it to one user's trail. */
  @Get()
  @RequirePrivileges(Privilege.ViewAuditLog)
  @RequireScopes('admin:read')
  @AuditAction('audit_event.admin_list')
  @ApiProduces('application/json', CONTENT_TYPES.ndjson, CONTENT_TYPES.csv)
  @ApiOkResponse({ type: AuditEventPageDto })
  list(@Query() query: AdminAuditEventQueryDto): Promise<AuditEventPageDto> | StreamableFile {
    const { cursor: _cursor, limit: _limit, format: _format, ...filter } = query;
    return answer(this.audit, filter, query);
  }
}
