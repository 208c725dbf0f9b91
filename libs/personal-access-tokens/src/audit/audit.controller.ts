import { Get, Query, StreamableFile } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { Auth } from '../scopes/auth.decorators';
import { Principal } from '../scopes/principal';
import { Endpoint } from '../scopes/endpoint.decorator';
import { Privilege } from '../scopes/privileges';
import { AuditAction } from '../core/audit.decorators';
import { AuditFilter, AuditQueryService } from './audit-query.service';
import { AdminAuditEventQueryDto, AuditEventPageDto, AuditEventQueryDto } from './dto/audit-event.dto';

const CONTENT_TYPES = { ndjson: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' } as const;

/** A page as JSON (the default), or every matching event streamed as NDJSON or CSV (`format`). */
const ApiAuditEventsResponse = () =>
  ApiOkResponse({
    description: 'A page of events (`format=json`), or all matching events as NDJSON lines or CSV rows',
    content: {
      'application/json': { schema: { $ref: getSchemaPath(AuditEventPageDto) } },
      'application/x-ndjson': { schema: { type: 'string', description: 'One AuditEvent JSON object per line' } },
      'text/csv': { schema: { type: 'string', description: 'A header row, then one event per row' } },
    },
  });

function answer(audit: AuditQueryService, filter: AuditFilter, query: AuditEventQueryDto): Promise<AuditEventPageDto> | StreamableFile {
  if (query.format === 'json') return audit.page(filter, query.cursor, query.limit);
  return new StreamableFile(audit.export(filter, query.format), {
    type: CONTENT_TYPES[query.format],
    disposition: `attachment; filename="audit-events.${query.format}"`,
  });
}

@ApiTags('audit')
@ApiExtraModels(AuditEventPageDto)
@LibraryController('user/me/audit-events')
export class MyAuditEventsController {
  constructor(private readonly audit: AuditQueryService) {}

  /**
   * Read your audit trail
   * @remarks Newest first: what you did (with which token), refusals included, and what
   * the system or an administrator did to your tokens. `tokenId` narrows it to the requests made
   * with one token and the system's actions on it; `format=ndjson|csv` streams it all.
   */
  @Get()
  @Endpoint({ operationId: 'listMyAuditEvents', scopes: ['audit:read'], errors: { 400: 'Invalid filter or cursor' } })
  @AuditAction('audit_event.list')
  @ApiAuditEventsResponse()
  async list(@Auth() principal: Principal, @Query() query: AuditEventQueryDto): Promise<AuditEventPageDto | StreamableFile> {
    const { cursor: _cursor, limit: _limit, format: _format, ...filter } = query;
    return answer(this.audit, { ...filter, userId: principal.user.id }, query);
  }
}

@ApiTags('audit')
@ApiExtraModels(AuditEventPageDto)
@LibraryController('admin/audit-events')
export class AdminAuditEventsController {
  constructor(private readonly audit: AuditQueryService) {}

  /**
   * Read the whole audit trail (administrators)
   * @remarks Newest first; `userId` narrows it to one user's trail.
   */
  @Get()
  @Endpoint({
    operationId: 'adminListAuditEvents',
    scopes: ['admin:read'],
    privileges: [Privilege.ViewAuditLog],
    errors: { 400: 'Invalid filter or cursor' },
  })
  @AuditAction('audit_event.admin_list')
  @ApiAuditEventsResponse()
  async list(@Query() query: AdminAuditEventQueryDto): Promise<AuditEventPageDto | StreamableFile> {
    const { cursor: _cursor, limit: _limit, format: _format, ...filter } = query;
    return answer(this.audit, filter, query);
  }
}
