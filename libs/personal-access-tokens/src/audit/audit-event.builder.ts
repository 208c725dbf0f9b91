import { HttpException, Inject, Injectable } from '@nestjs/common';
import { InvalidTokenError } from '../core/auth.errors';
import { AUDIT_STATE, AuditActor, RequestAudit } from '../core/audit-context';
import { DomainError } from '../core/domain-error';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { requestIdOf } from '../core/request-id';
import { UserDirectory } from '../core/user-directory';
import { Principal } from '../scopes/principal';
import { boundedDetails } from './audit-details';
import { AuditEvent, AuditOutcome } from './audit-event.entity';

const SAFE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const CONTROL_CHARACTERS = /\p{Cc}/gu;

/** A request as either adapter (Express, Fastify) hands it to the trail. */
export interface HttpRequest {
  method?: string;
  ip?: string;
  headers?: Record<string, string | string[] | undefined>;
  params?: Record<string, unknown>;
  body?: unknown;
  user?: Principal;
  routeOptions?: { url?: string };
  route?: { path?: string };
  [AUDIT_STATE]?: RequestAudit;
}

export const NOBODY: AuditActor = Object.freeze({ userId: null, email: null, authMethod: 'none', tokenId: null, tokenName: null });

export interface Failure {
  status: number;
  code: string;
  exception: unknown;
}

/**
 * Turns an audited request into its `audit_events` row: actor, target, outcome, details. Whatever
 * goes into a row passes through here, so this is where secrets are masked (a pasted token in a
 * path, a body field or a user agent) and sizes bounded. Kept apart from `AuditTrail`, which
 * decides when and how a row is written.
 */
@Injectable()
export class AuditEventBuilder {
  private readonly secretPattern: RegExp;

  constructor(
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    @Inject(PAT_OPTIONS) options: ResolvedOptions,
  ) {
    const prefixes = [options.tokenPrefix, options.sessionTokenPrefix].map((p) => p.replace(/[^a-z0-9_]/g, ''));
    this.secretPattern = new RegExp(`(${prefixes.join('|')})[A-Za-z0-9]{8,}`, 'g');
  }

  async eventOf(audit: RequestAudit, failure?: Failure, response?: unknown): Promise<AuditEvent> {
    const actor = audit.actor ?? (await this.actorOf(audit.request as HttpRequest, failure?.exception));
    return this.buildEvent(audit, actor, failure, response);
  }

  buildEvent(audit: RequestAudit, actor: AuditActor, failure?: Failure, response?: unknown): AuditEvent {
    const req = audit.request as HttpRequest;
    const status = failure?.status ?? audit.successStatus;
    // Most requests have nothing to detail: no object to build and serialize for them.
    const details =
      !failure && !audit.bodyFields.length && !audit.details
        ? {}
        : { ...this.detailsOf(audit), ...(failure && { code: failure.code, ...refusalReasonOf(failure.exception) }) };
    return {
      id: audit.id,
      occurredAt: audit.occurredAt,
      actorUserId: actor.userId,
      actorEmail: actor.email,
      subjectUserId: actor.userId,
      tokenId: actor.tokenId,
      tokenName: actor.tokenName,
      authMethod: actor.authMethod,
      action: audit.action,
      targetType: audit.targetType,
      targetId: this.targetIdOf(audit, req, response),
      outcome: failure ? outcomeOf(failure.status, failure.code) : 'success',
      statusCode: status,
      ip: req.ip ? req.ip.slice(0, 45) : null,
      userAgent: this.userAgentOf(req),
      requestId: requestIdOf(req).slice(0, 64),
      durationMs: Number((process.hrtime.bigint() - audit.startedAt) / 1_000_000n),
      count: 1,
      lastOccurredAt: null,
      details: Object.keys(details).length ? JSON.stringify(details) : null,
    };
  }

  /** The authenticated caller, if any. */
  principalActorOf(req: HttpRequest): AuditActor | undefined {
    const principal = req.user;
    if (!principal?.user) return undefined;
    return {
      userId: principal.user.id,
      email: principal.user.email,
      authMethod: principal.method,
      tokenId: principal.token?.id ?? null,
      tokenName: principal.token?.name ?? null,
    };
  }

  /** The caller; for a refused credential that identified someone, that user and token. */
  private async actorOf(req: HttpRequest, exception: unknown): Promise<AuditActor> {
    const principal = this.principalActorOf(req);
    if (principal) return principal;
    const subject = exception instanceof InvalidTokenError ? exception.subject : undefined;
    if (!subject) return NOBODY;
    const user = await this.directory.findById(subject.userId).catch(() => null);
    return {
      userId: subject.userId,
      email: user?.email ?? null,
      authMethod: subject.tokenId ? 'personal_access_token' : 'session',
      tokenId: subject.tokenId ?? null,
      tokenName: subject.tokenName ?? null,
    };
  }

  private targetIdOf(audit: RequestAudit, req: HttpRequest, response?: unknown): string | null {
    const param = audit.targetParam ? req.params?.[audit.targetParam] : undefined;
    if (typeof param === 'string') return this.safeId(param);
    return audit.createdId ?? this.createdId(audit, response);
  }

  createdId(audit: RequestAudit, response: unknown): string | null {
    if (!audit.targetType || audit.method !== 'POST' || typeof response !== 'object' || response === null) return null;
    const id = (response as { id?: unknown }).id;
    return typeof id === 'string' ? this.safeId(id) : null;
  }

  /** An id from a URL is stored only if it looks like one (a secret pasted into a path is not). */
  safeId(value: string): string | null {
    if (!SAFE_ID.test(value)) return null;
    this.secretPattern.lastIndex = 0;
    return this.secretPattern.test(value) ? null : value;
  }

  detailsOf(audit: RequestAudit): Record<string, unknown> {
    const own = audit.details ? this.scrubbed(audit.details) : {};
    const body = (audit.request as HttpRequest).body;
    if (!audit.bodyFields.length || typeof body !== 'object' || body === null) return own;
    const picked: Record<string, unknown> = {};
    for (const field of audit.bodyFields) {
      const value = (body as Record<string, unknown>)[field];
      if (value !== undefined) picked[field] = value;
    }
    return { ...this.scrubbed(picked), ...own };
  }

  /** Bounded whatever the input (an event is never lost to its body), secrets masked. */
  scrubbed(details: Record<string, unknown>): Record<string, unknown> {
    return boundedDetails(details, (text) => this.scrub(text));
  }

  private scrub(text: string): string {
    return text.replace(this.secretPattern, '[redacted]');
  }

  private userAgentOf(req: HttpRequest): string | null {
    const agent = req.headers?.['user-agent'];
    if (typeof agent !== 'string' || !agent) return null;
    return this.scrub(agent.replace(CONTROL_CHARACTERS, ' ')).slice(0, 255);
  }
}

/** What the trail may say about a refused credential that the 401 does not (`CredentialSubject.reason`). */
function refusalReasonOf(exception: unknown): { reason?: string } {
  const reason = exception instanceof InvalidTokenError ? exception.subject?.reason : undefined;
  return reason ? { reason } : {};
}

export function statusOf(exception: unknown): number {
  if (exception instanceof DomainError) return exception.status;
  if (exception instanceof HttpException) return exception.getStatus();
  const candidate = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof candidate === 'number' && candidate >= 400 && candidate < 600 ? candidate : 500;
}

export function codeOf(exception: unknown, status: number): string {
  if (exception instanceof DomainError) return exception.code;
  return status >= 500 ? 'internal_error' : `http_${status}`;
}

/** Refused (401, 403, 429, or a malformed credential) versus failed. */
export function outcomeOf(status: number, code: string): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 || status === 429 || code === 'invalid_request' ? 'denied' : 'error';
}
