// What the tests reach beyond the library's public entries: jobs run on demand, the audit
// buffer flushed, rows read back. A host does not need these.
export { AuditEvent } from '../../libs/personal-access-tokens/src/audit/audit-event.entity';
export { AuditWriter } from '../../libs/personal-access-tokens/src/audit/audit-writer';
export { AuditRetentionJob } from '../../libs/personal-access-tokens/src/audit/audit-retention.job';
export { ExpiryJob } from '../../libs/personal-access-tokens/src/tokens/expiry/expiry-job';
export { WebhookDispatcher } from '../../libs/personal-access-tokens/src/tokens/webhooks/webhook-dispatcher';
export type { TokenEvent, WebhookPayload } from '../../libs/personal-access-tokens/src/dto';
export { UnitOfWork } from '../../libs/personal-access-tokens/src/core/unit-of-work';
