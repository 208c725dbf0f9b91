import { ExecutionContext, HttpException, Inject, Injectable, Logger, OnModuleInit, RequestMethod } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DataSource, EntityManager, InsertEvent } from 'typeorm';
import { InvalidTokenError } from '../core/auth.errors';
import { Principal } from '../scopes/principal';
import { FailedRequestRecorder } from '../core/api-exception.filter';
import { Clock } from '../core/clock';
import { FailedRequestRelay } from '../core/failed-request-relay';
import { DomainError } from '../core/domain-error';
import { requestIdOf } from '../core/request-id';
import { RouteMetadataCache, RouteTarget } from '../core/route-metadata';
import { TokenEvent, TokenEvents, TokenEventSource } from '../core/token-events';
import { TransactionHook, TransactionParticipation, UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { UserDirectory } from '../core/user-directory';
import { AUDIT_STATE, AuditActor, auditOf, auditStorage, RequestAudit } from '../core/audit-context';
import { AuditEvent, AuditOutcome } from './audit-event.entity';
import { AUDIT_ACTION, AuditActionMetadata, SkipAudit } from '../core/audit.decorators';
import { AuditWriter, timeOrderedId } from './audit-writer';
import { boundedDetails } from './audit-details';
import { AuditBacklogError } from './audit.errors';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const READ_ROUTE_METHODS = new Set([RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS]);
/** Nest's `@HttpCode` and route method metadata keys. */
const HTTP_CODE_METADATA = '__httpCode__';
const METHOD_METADATA = 'method';
const SAFE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;
const CONTROL_CHARACTERS = /\p{Cc}/gu;

interface HttpRequest {
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

/** The Node response under either adapter. */
export interface RawResponse {
  once?(event: 'finish' | 'close', listener: () => void): unknown;
  statusCode?: number;
  writableFinished?: boolean;
}

/** What the trail needs to know of a route, read once per route. */
export interface RouteAudit {
  metadata: AuditActionMetadata | null;
  declaredStatus?: number;
  /**
   * Its events are batched (a read, or declared `readOnly`): recorded once answered, by the route
   * guard, with no interceptor and no async-local state around the handler.
   */
  batched: boolean;
}

const NOBODY: AuditActor = Object.freeze({ userId: null, email: null, authMethod: 'none', tokenId: null, tokenName: null });

interface Failure {
  status: number;
  code: string;
  exception: unknown;
}

/**
 * The audit trail: every handled request (action, actor, token, target, outcome), and every
 * system action on a token. A request that writes to the database gets its event inside its own
 * transaction (through `UnitOfWork`'s hook), so an acknowledged change always has its event and a
 * change whose event cannot be written is rolled back. Other requests get theirs when they
 * finish: successful mutations written before the response; successful reads counted into one
 * roll-up row per key and minute (or one event each, `audit.reads: 'each'`); failures one event
 * for the first of their kind in a minute and a roll-up for the rest. Buffered ones are flushed
 * within `flushIntervalMs`, and on shutdown.
 */
@Injectable()
export class AuditTrail implements OnModuleInit, TransactionHook, FailedRequestRecorder {
  private readonly logger = new Logger(AuditTrail.name);
  /** Route metadata seen so far, for failures that happen before any guard ran (body parsing). */
  private readonly routes = new Map<string, AuditActionMetadata | null>();
  private readonly secretPattern: RegExp;
  private readonly enabled: boolean;
  private readonly countReads: boolean;
  private readonly flushIntervalMs: number;
  /** `null` for `@SkipAudit()` routes. */
  private readonly routeAudits = new RouteMetadataCache<RouteAudit | null>(([handler, controller]) => {
    if (this.reflector.getAllAndOverride(SkipAudit, [handler, controller])) return null;
    const metadata = this.reflector.get(AUDIT_ACTION, handler) ?? null;
    const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
    return {
      metadata,
      declaredStatus: this.reflector.get<number | undefined>(HTTP_CODE_METADATA, handler),
      batched: metadata?.readOnly ?? (method !== undefined && READ_ROUTE_METHODS.has(method)),
    };
  });

  constructor(
    private readonly reflector: Reflector,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly writer: AuditWriter,
    private readonly unitOfWork: UnitOfWork,
    private readonly events: TokenEvents,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    @Inject(PAT_OPTIONS) options: ResolvedOptions,
    private readonly failedRequests: FailedRequestRelay,
  ) {
    const prefixes = [options.tokenPrefix, options.sessionTokenPrefix].map((p) => p.replace(/[^a-z0-9_]/g, ''));
    this.secretPattern = new RegExp(`(${prefixes.join('|')})[A-Za-z0-9]{8,}`, 'g');
    this.enabled = options.audit.enabled;
    this.countReads = options.audit.reads === 'counted';
    this.flushIntervalMs = options.audit.flushIntervalMs;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.failedRequests.attach(this);
    this.unitOfWork.useTransactionHook(this);
    // Sees a create's insert inside its transaction, before the event joins it.
    this.dataSource.subscribers.push({ afterInsert: (event: InsertEvent<unknown>) => this.noteInsert(event) });
    // A publisher that recorded its events inside its own transaction (the expiry job) had them
    // written there by the recorder; the others' are written after their commit.
    this.events.subscribeBatch((events, { recorded }) => (recorded ? undefined : this.recordSystemEvents(events)));
    this.events.subscribeRecorder((manager, events, sources) => this.recordSystemEventsWithin(manager, events, sources));
  }

  private noteInsert(event: InsertEvent<unknown>): void {
    const audit = auditStorage.getStore();
    if (!audit?.creates || audit.createdId || event.metadata.target !== audit.creates) return;
    const id = (event.entity as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string') audit.createdId = this.safeId(id) ?? undefined;
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  /** The audit trail's view of a route; `null` for `@SkipAudit()` routes. */
  routeOf(handler: RouteTarget, controller: RouteTarget): RouteAudit | null {
    return this.routeAudits.of(handler, controller);
  }

  /** Opens the audit of a routed request (once); undefined for `@SkipAudit()` routes. */
  begin(request: object, context: ExecutionContext): RequestAudit | undefined {
    if (!this.enabled) return undefined;
    const existing = auditOf(request);
    if (existing) return existing;
    const route = this.routeAudits.get(context);
    if (!route) return undefined;
    const req = request as HttpRequest;
    const routeKey = this.routeKey(req);
    if (routeKey && !this.routes.has(routeKey) && this.routes.size < 10_000) this.routes.set(routeKey, route.metadata);
    return this.open(req, route.metadata, route.declaredStatus, route.batched);
  }

  /**
   * A batched route's answer went out (`finish`), or its client left before it did (`close`):
   * the request's event, unless a failure recorded it already. A success is buffered before this
   * returns, so that it is in the buffer before the client can read the answer. Never throws.
   */
  answered(audit: RequestAudit, raw: RawResponse, event: 'finish' | 'close'): void {
    if (audit.finished) return;
    const status = raw.statusCode ?? 500;
    if (event === 'close') void this.fail(audit.request, undefined, 499, 'client_closed_request');
    else if (status >= 400) void this.fail(audit.request, undefined, status, `http_${status}`);
    else {
      audit.finished = true;
      const actor = audit.actor ?? this.principalActorOf(audit.request as HttpRequest) ?? NOBODY;
      this.recordRead(this.buildEvent(audit, actor));
    }
  }

  /**
   * Holds a request until the audit buffer has room for its event (see `AuditWriter`): at once
   * when it has, else up to `backpressureTimeoutMs`, then a 503 with Retry-After.
   */
  admit(): true | Promise<true> {
    if (this.writer.hasRoom()) return true;
    return this.writer.waitForRoom().then((room) => {
      if (!room) throw new AuditBacklogError(Math.max(1, Math.ceil(this.flushIntervalMs / 1000)));
      return true;
    });
  }

  /** A successful read: counted into its minute's roll-up, or (`each`) buffered as an event of its own. */
  private recordRead(event: AuditEvent): void {
    if (this.countReads) this.writer.count(event, 'read');
    else this.writer.enqueue(event).catch((error: unknown) => this.warn('record a request', error));
  }

  /** Transaction hook: the current request's event joins its first write transaction. */
  async beforeCommit(manager: EntityManager): Promise<TransactionParticipation | undefined> {
    const audit = auditStorage.getStore();
    if (!audit || audit.finished || audit.committed || audit.joining) return undefined;
    let settle!: () => void;
    audit.joining = new Promise<void>((resolve) => (settle = resolve));
    const end = (committed: boolean) => {
      audit.committed = committed;
      audit.joining = undefined;
      settle();
    };
    try {
      await this.writer.insert(manager, [await this.eventOf(audit)]);
    } catch (error) {
      end(false);
      throw error;
    }
    return { committed: () => end(true), rolledBack: () => end(false) };
  }

  /** The handler succeeded: its event, unless its transaction already committed one. */
  async succeed(audit: RequestAudit, response: unknown): Promise<void> {
    if (audit.finished) return;
    audit.finished = true;
    // A write the handler did not wait for may be committing the event right now.
    await audit.joining;
    if (audit.committed) {
      // A create whose entity the trail could not watch learns its target's id from its response.
      const targetId = audit.createdId ? null : this.createdId(audit, response);
      if (targetId) await this.writer.update(audit.id, { targetId }).catch((error) => this.warn('complete', error));
      return;
    }
    const event = await this.eventOf(audit, undefined, response);
    if (audit.readOnly) this.recordRead(event);
    else await this.writer.write(event);
  }

  /** The request failed: in a guard, a pipe, the handler or the router. Never throws. */
  async fail(request: object, exception: unknown, status = statusOf(exception), code = codeOf(exception, status)): Promise<void> {
    const audit = auditOf(request) ?? this.openUnrouted(request as HttpRequest);
    if (!audit || audit.finished) return;
    audit.finished = true;
    const failure: Failure = { status, code, exception };
    try {
      await audit.joining;
      if (audit.committed) {
        // The change committed but the response failed afterwards: the event says how it ended.
        await this.writer.update(audit.id, {
          outcome: outcomeOf(status, code),
          statusCode: status,
          details: JSON.stringify({ ...this.detailsOf(audit), code }),
        });
        return;
      }
      // A failed request changed nothing. The first of its kind (address, credential, action,
      // status, code) in a minute is an event of its own, with its request id; the rest of that
      // minute's are counted into one roll-up row, so that a flood grows the trail by the kinds an
      // attacker can vary, not by their rate. Buffered either way: one multi-row insert per batch.
      const event = await this.eventOf(audit, failure);
      if (this.writer.count(event, 'refusal') === 'first') await this.writer.enqueue(event);
    } catch (error) {
      this.warn('record a failed request', error);
    }
  }

  /** `FailedRequestRecorder`: what the exception filter reports. */
  async recordFailure(request: object, exception: unknown, status: number, code: string): Promise<void> {
    if (!this.enabled) return;
    return this.fail(request, exception, status, code);
  }

  /**
   * Expiry, reuse detection, leaked-token revocation, and whatever someone other than the owner
   * did to a token (an administrator revoking it): recorded with the owner as subject, one
   * multi-row write per batch, in a transaction of its own.
   */
  async recordSystemEvents(events: TokenEvent[]): Promise<void> {
    const rows = await this.systemEventRows(events);
    if (rows.length) await this.writer.write(...rows);
  }

  /**
   * The same, inside the transaction that changed the tokens (the expiry job's thousands at once):
   * from the publisher's SQL sources when it offers them (`INSERT ... SELECT`: no row's values go
   * through the driver twice), else as multi-row inserts.
   */
  async recordSystemEventsWithin(manager: EntityManager, events: TokenEvent[], sources?: TokenEventSource[]): Promise<void> {
    if (sources && events.length) {
      const [first] = events;
      const action = this.actionOf(first);
      await this.writer.insertSelected(manager, sources, { occurredAt: first.occurredAt, action, targetType: 'personal_access_token' });
      return;
    }
    const rows = await this.systemEventRows(events);
    if (rows.length) await this.writer.insert(manager, rows, { large: true });
  }

  private actionOf(event: TokenEvent): string {
    return `personal_access_token.${event.type.replace(/^token\./, '')}`;
  }

  private async systemEventRows(events: TokenEvent[]): Promise<AuditEvent[]> {
    const rows: AuditEvent[] = [];
    for (const event of events) {
      const row = await this.systemEventRow(event);
      if (row) rows.push(row);
    }
    return rows;
  }

  private async systemEventRow(event: TokenEvent): Promise<AuditEvent | undefined> {
    const byOwner = event.actor.type === 'user' && event.actor.userId === event.userId;
    if (byOwner) return undefined;
    const actorUserId = event.actor.type === 'user' ? event.actor.userId : null;
    const actor = actorUserId ? await this.directory.findById(actorUserId).catch(() => null) : null;
    const request = auditStorage.getStore();
    return {
      id: timeOrderedId(),
      occurredAt: event.occurredAt,
      actorUserId,
      actorEmail: actor?.email ?? null,
      subjectUserId: event.userId,
      tokenId: event.tokenId,
      tokenName: event.tokenName,
      authMethod: 'system',
      action: this.actionOf(event),
      targetType: 'personal_access_token',
      targetId: event.tokenId,
      outcome: 'success',
      statusCode: null,
      ip: null,
      userAgent: null,
      requestId: request ? requestIdOf(request.request) : null,
      durationMs: null,
      count: 1,
      lastOccurredAt: null,
      details: event.details ? JSON.stringify(this.scrubbed(event.details)) : null,
    };
  }

  private open(req: HttpRequest, metadata: AuditActionMetadata | null, declaredStatus?: number, batched = false): RequestAudit {
    const method = (req.method ?? 'GET').toUpperCase();
    const routePath = req.routeOptions?.url ?? req.route?.path;
    const action = metadata?.action ?? (routePath ? `${method} ${routePath}` : 'http.route_not_found');
    const targetType =
      metadata?.target !== undefined ? metadata.target : metadata && action.includes('.') ? action.slice(0, action.lastIndexOf('.')) : null;
    const audit: RequestAudit = {
      request: req,
      method,
      action: action.slice(0, 100),
      targetType,
      targetParam: 'id',
      bodyFields: metadata?.bodyFields ?? [],
      creates: metadata?.creates,
      readOnly: metadata?.readOnly ?? READ_METHODS.has(method),
      batched,
      successStatus: declaredStatus ?? (method === 'POST' ? 201 : 200),
      startedAt: process.hrtime.bigint(),
      occurredAt: this.clock.now(),
      id: timeOrderedId(),
      committed: false,
      finished: false,
    };
    req[AUDIT_STATE] = audit;
    return audit;
  }

  private openUnrouted(req: HttpRequest): RequestAudit {
    const key = this.routeKey(req);
    return this.open(req, (key && this.routes.get(key)) || null);
  }

  private routeKey(req: HttpRequest): string | undefined {
    const path = req.routeOptions?.url ?? req.route?.path;
    return path ? `${req.method} ${path}` : undefined;
  }

  private async eventOf(audit: RequestAudit, failure?: Failure, response?: unknown): Promise<AuditEvent> {
    const actor = audit.actor ?? (await this.actorOf(audit.request as HttpRequest, failure?.exception));
    return this.buildEvent(audit, actor, failure, response);
  }

  private buildEvent(audit: RequestAudit, actor: AuditActor, failure?: Failure, response?: unknown): AuditEvent {
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
  private principalActorOf(req: HttpRequest): AuditActor | undefined {
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

  private createdId(audit: RequestAudit, response: unknown): string | null {
    if (!audit.targetType || audit.method !== 'POST' || typeof response !== 'object' || response === null) return null;
    const id = (response as { id?: unknown }).id;
    return typeof id === 'string' ? this.safeId(id) : null;
  }

  /** An id from a URL is stored only if it looks like one (a secret pasted into a path is not). */
  private safeId(value: string): string | null {
    if (!SAFE_ID.test(value)) return null;
    this.secretPattern.lastIndex = 0;
    return this.secretPattern.test(value) ? null : value;
  }

  private detailsOf(audit: RequestAudit): Record<string, unknown> {
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
  private scrubbed(details: Record<string, unknown>): Record<string, unknown> {
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

  private warn(what: string, error: unknown): void {
    this.logger.error({ message: `Could not ${what} in the audit trail`, error: error instanceof Error ? error.message : String(error) });
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

function codeOf(exception: unknown, status: number): string {
  if (exception instanceof DomainError) return exception.code;
  return status >= 500 ? 'internal_error' : `http_${status}`;
}

/** Refused (401, 403, 429, or a malformed credential) versus failed. */
export function outcomeOf(status: number, code: string): AuditOutcome {
  if (status < 400) return 'success';
  return status === 401 || status === 403 || status === 429 || code === 'invalid_request' ? 'denied' : 'error';
}
