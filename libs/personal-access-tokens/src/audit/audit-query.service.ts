import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Readable } from 'node:stream';
import { Brackets, Repository, SelectQueryBuilder } from 'typeorm';
import { BadRequestError } from '../core/domain-error';
import { csvField } from '../core/csv';
import { AuditEvent } from './audit-event.entity';
import { AuditWriter } from './audit-writer';
import { AuditEventDto, AuditEventPageDto, AuditEventQueryDto } from './dto/audit-event.dto';

export interface AuditFilter extends Omit<AuditEventQueryDto, 'cursor' | 'limit' | 'format'> {
  /** Whose trail: required for a user's own view, optional for administrators. */
  userId?: string;
}

interface Cursor {
  occurredAt: Date;
  id: string;
}

const EXPORT_PAGE = 500;
const CSV_COLUMNS: Array<keyof AuditEventDto> = [
  'id',
  'occurredAt',
  'actorUserId',
  'actorEmail',
  'subjectUserId',
  'tokenId',
  'tokenName',
  'authMethod',
  'action',
  'targetType',
  'targetId',
  'outcome',
  'statusCode',
  'ip',
  'userAgent',
  'requestId',
  'durationMs',
  'details',
  // Added with roll-ups, after the columns that were there, so that existing readers keep working.
  'kind',
  'lastOccurredAt',
  'count',
];

/**
 * Reads the audit trail: newest first, keyset pagination on (occurred_at, id) so that a page
 * boundary stays put while events keep arriving, and streamed exports that walk the same order.
 */
@Injectable()
export class AuditQueryService {
  constructor(
    @InjectRepository(AuditEvent) private readonly events: Repository<AuditEvent>,
    private readonly writer: AuditWriter,
  ) {}

  async page(filter: AuditFilter, cursorText: string | undefined, limit: number): Promise<AuditEventPageDto> {
    // This instance's buffered reads first, so that a caller sees their own latest requests.
    await this.writer.flush();
    const rows = await this.query(filter, cursorText ? decodeCursor(cursorText) : undefined, limit + 1);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(toDto),
      nextCursor: rows.length > limit && last ? encodeCursor({ occurredAt: last.occurredAt, id: last.id }) : null,
    };
  }

  /** Every matching event as NDJSON or CSV, page by page as the client reads. */
  export(filter: AuditFilter, format: 'ndjson' | 'csv'): Readable {
    return Readable.from(this.lines(filter, format), { objectMode: false });
  }

  private async *lines(filter: AuditFilter, format: 'ndjson' | 'csv'): AsyncGenerator<string> {
    await this.writer.flush();
    if (format === 'csv') yield CSV_COLUMNS.join(',') + '\r\n';
    let cursor: Cursor | undefined;
    for (;;) {
      const rows = await this.query(filter, cursor, EXPORT_PAGE);
      for (const row of rows) {
        const dto = toDto(row);
        yield format === 'csv' ? CSV_COLUMNS.map((column) => csvField(dto[column])).join(',') + '\r\n' : JSON.stringify(dto) + '\n';
      }
      if (rows.length < EXPORT_PAGE) return;
      const last = rows[rows.length - 1];
      cursor = { occurredAt: last.occurredAt, id: last.id };
    }
  }

  private query(filter: AuditFilter, cursor: Cursor | undefined, take: number): Promise<AuditEvent[]> {
    const builder = this.events.createQueryBuilder('e');
    this.applyFilter(builder, filter);
    if (cursor) {
      builder.andWhere(
        new Brackets((b) =>
          b
            .where('e.occurredAt < :cursorAt', { cursorAt: cursor.occurredAt })
            .orWhere(
              new Brackets((c) =>
                c.where('e.occurredAt = :cursorAt', { cursorAt: cursor.occurredAt }).andWhere('e.id < :cursorId', { cursorId: cursor.id }),
              ),
            ),
        ),
      );
    }
    return builder.orderBy('e.occurredAt', 'DESC').addOrderBy('e.id', 'DESC').take(take).getMany();
  }

  private applyFilter(builder: SelectQueryBuilder<AuditEvent>, filter: AuditFilter): void {
    if (filter.userId) builder.andWhere('e.subjectUserId = :userId', { userId: filter.userId });
    // With it or to it: both columns are indexed (with occurred_at), one query either way. Looking
    // at a token (its page, its scopes) is neither using it nor changing it: a successful view
    // stays in the viewer's trail, not in the token's.
    if (filter.tokenId)
      builder.andWhere("(e.tokenId = :tokenId OR (e.targetId = :tokenId AND NOT (e.action IN (:...views) AND e.outcome = 'success')))", {
        tokenId: filter.tokenId,
        views: TOKEN_VIEWS,
      });
    if (filter.action) builder.andWhere('e.action = :action', { action: filter.action });
    if (filter.outcome) builder.andWhere('e.outcome = :outcome', { outcome: filter.outcome });
    if (filter.from) builder.andWhere('e.occurredAt >= :from', { from: filter.from });
    if (filter.to) builder.andWhere('e.occurredAt < :to', { to: filter.to });
  }
}

/** Reads of a token's metadata by its owner or an administrator (the page's own views among them). */
const TOKEN_VIEWS = [
  'personal_access_token.read',
  'personal_access_token.admin_read',
  'personal_access_token.list_scopes',
  'personal_access_token.read_usage',
  'personal_access_token.admin_read_usage',
];

function toDto(row: AuditEvent): AuditEventDto {
  const { lastOccurredAt, ...rest } = row;
  return {
    ...rest,
    kind: lastOccurredAt ? 'rollup' : 'event',
    lastOccurredAt: lastOccurredAt ?? row.occurredAt,
    details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
  };
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.occurredAt.getTime(), cursor.id])).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const [ms, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof ms === 'number' && Number.isFinite(ms) && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) {
      return { occurredAt: new Date(ms), id };
    }
  } catch {
    // Falls through to the error below.
  }
  throw new BadRequestError('invalid_cursor', 'The cursor is not one this API handed out', [
    { field: 'cursor', reason: 'is not one this API handed out' },
  ]);
}
