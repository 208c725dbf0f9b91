import { DomainError } from '../core/domain-error';

/** The audit buffer stayed full for `backpressureTimeoutMs`: the database is not keeping up. */
export class AuditBacklogError extends DomainError {
  constructor(retryAfterSeconds: number) {
    super(503, 'audit_backlog', 'The service is busy writing its audit trail; try again shortly', undefined, {
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
