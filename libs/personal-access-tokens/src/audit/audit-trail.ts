import { ExecutionContext, Inject, Injectable, Logger, OnModuleInit, RequestMethod } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DataSource, EntityManager, InsertEvent } from 'typeorm';
import { FailedRequestRecorder } from '../core/api-exception.filter';
import { Clock } from '../core/clock';
import { FailedRequestRelay } from '../core/failed-request-relay';
import { RouteMetadataCache, RouteTarget } from '../core/route-metadata';
import { TokenEvents } from '../core/token-events';
import { TransactionHook, TransactionParticipation, UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { AUDIT_STATE, auditOf, auditStorage, RequestAudit } from '../core/audit-context';
import { AuditEvent } from './audit-event.entity';
import { AUDIT_ACTION, AuditActionMetadata, SkipAudit } from '../core/audit.decorators';
import { AuditWriter, timeOrderedId } from './audit-writer';
import { AuditBacklogError } from './audit.errors';
import { AuditEventBuilder, codeOf, Failure, HttpRequest, NOBODY, outcomeOf, statusOf } from './audit-event.builder';
import { SystemAuditRecorder } from './system-audit.recorder';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const READ_ROUTE_METHODS = new Set([RequestMethod.GET, RequestMethod.HEAD, RequestMethod.OPTIONS]);
/** Nest's `@HttpCode` and route method metadata keys. */
const HTTP_CODE_METADATA = '__httpCode__';
const METHOD_METADATA = 'method';

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
    @Inject(PAT_OPTIONS) options: ResolvedOptions,
    private readonly failedRequests: FailedRequestRelay,
    private readonly builder: AuditEventBuilder,
    private readonly systemEvents: SystemAuditRecorder,
  ) {
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
    this.events.subscribeBatch((events, { recorded }) => (recorded ? undefined : this.systemEvents.record(events)));
    this.events.subscribeRecorder((manager, events, sources) => this.systemEvents.recordWithin(manager, events, sources));
  }

  private noteInsert(event: InsertEvent<unknown>): void {
    const audit = auditStorage.getStore();
    if (!audit?.creates || audit.createdId || event.metadata.target !== audit.creates) return;
    const id = (event.entity as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string') audit.createdId = this.builder.safeId(id) ?? undefined;
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
      const actor = audit.actor ?? this.builder.principalActorOf(audit.request as HttpRequest) ?? NOBODY;
      this.recordRead(this.builder.buildEvent(audit, actor));
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
      await this.writer.insert(manager, [await this.builder.eventOf(audit)]);
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
      const targetId = audit.createdId ? null : this.builder.createdId(audit, response);
      if (targetId) await this.writer.update(audit.id, { targetId }).catch((error) => this.warn('complete', error));
      return;
    }
    const event = await this.builder.eventOf(audit, undefined, response);
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
          details: JSON.stringify({ ...this.builder.detailsOf(audit), code }),
        });
        return;
      }
      // A failed request changed nothing. The first of its kind (address, credential, action,
      // status, code) in a minute is an event of its own, with its request id; the rest of that
      // minute's are counted into one roll-up row, so that a flood grows the trail by the kinds an
      // attacker can vary, not by their rate. Buffered either way: one multi-row insert per batch.
      const event = await this.builder.eventOf(audit, failure);
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

  private warn(what: string, error: unknown): void {
    this.logger.error({ message: `Could not ${what} in the audit trail`, error: error instanceof Error ? error.message : String(error) });
  }
}
