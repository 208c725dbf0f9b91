import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, In, Repository } from 'typeorm';
import { Clock } from '../../core/clock';
import { Page } from '../../core/pagination.dto';
import { PAT_OPTIONS, ResolvedOptions } from '../../core/personal-access-tokens.options';
import { TokenEvent, TokenEvents } from '../../core/token-events';
import { UnitOfWork } from '../../core/unit-of-work';
import { UserDirectory } from '../../core/user-directory';
import { ScopeCatalog } from '../../scopes/scope-catalog';
import { PersonalAccessTokenScope } from '../personal-access-token-scope.entity';
import { PersonalAccessToken } from '../personal-access-token.entity';
import { scopesByToken } from '../token-listing';
import { ApprovalRequestDto, ListApprovalRequestsQueryDto } from './dto/token-approval.dto';
import { TokenApproval } from './token-approval.entity';
import { ApprovalAlreadyDecidedError, ApprovalRequestNotFoundError, ApprovalRequiredError } from './token-approvals.errors';

const HOUR = 3600 * 1000;
/** Requests expired per transaction by the expiry job. */
const EXPIRY_BATCH = 500;

/**
 * Approval of sensitive scopes. A token asking for a scope the catalog marks `requiresApproval`
 * is created `pending` with a request here (its secret is shown once, and refused as not active
 * until approved). Administrators approve or deny it with a reason; undecided after the policy's
 * `approvalRequestLifetimeHours` it expires. Denial and expiry revoke the token. Each decision is
 * one conditional update of the request (`WHERE status = 'pending'`), so of concurrent decisions,
 * on one database or across a Galera cluster (the loser's transaction is retried and then finds
 * the request decided), exactly one wins and the others answer 409. The owner hears of each
 * step through token events: the audit trail, the webhook and the page.
 */
@Injectable()
export class TokenApprovals {
  private readonly mysql: boolean;

  constructor(
    @InjectRepository(TokenApproval) private readonly approvals: Repository<TokenApproval>,
    @InjectRepository(PersonalAccessTokenScope) private readonly scopes: Repository<PersonalAccessTokenScope>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    @Inject(UserDirectory) private readonly directory: UserDirectory,
    private readonly catalog: ScopeCatalog,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
    dataSource: DataSource,
  ) {
    this.mysql = dataSource.options.type !== 'better-sqlite3';
  }

  /** The scopes among `scopes` that need approval: a token asking for any is created pending. */
  sensitiveOf(scopes: readonly string[]): string[] {
    return this.catalog.requiringApproval(scopes);
  }

  /** Refuses a change that would put a scope needing approval on an existing token (it never went through approval). */
  async assertNoneAdded(manager: EntityManager, tokenId: string, scopes: readonly string[]): Promise<void> {
    const sensitive = this.sensitiveOf(scopes);
    if (sensitive.length === 0) return;
    const held = new Set((await manager.find(PersonalAccessTokenScope, { where: { tokenId } })).map((row) => row.scope));
    const added = sensitive.filter((scope) => !held.has(scope));
    if (added.length) throw new ApprovalRequiredError(added);
  }

  /** Inside the transaction that creates (or regenerates) the pending token: its request, replacing any earlier one. */
  async open(manager: EntityManager, token: Pick<PersonalAccessToken, 'id' | 'userId'>, sensitive: string[], now: Date): Promise<void> {
    await manager.delete(TokenApproval, { tokenId: token.id });
    await manager.insert(TokenApproval, {
      tokenId: token.id,
      userId: token.userId,
      status: 'pending',
      scopes: JSON.stringify(sensitive),
      requestedAt: now,
      expiresAt: new Date(now.getTime() + this.options.policy.approvalRequestLifetimeHours * HOUR),
      decidedAt: null,
      decidedBy: null,
      reason: null,
    });
  }

  /** After the commit: the owner (and the webhook) hear that the token waits for approval. */
  announce(token: Pick<PersonalAccessToken, 'id' | 'userId' | 'name'>, sensitive: string[], actorUserId: string, now: Date): Promise<void> {
    return this.events.publish({
      type: 'token.approval_requested',
      occurredAt: now,
      userId: token.userId,
      tokenId: token.id,
      tokenName: token.name,
      actor: { type: 'user', userId: actorUserId },
      details: { scopes: sensitive },
    });
  }

  /** Administrators' queue: pending first (oldest first), then decided ones, newest decision first. */
  async list(query: ListApprovalRequestsQueryDto): Promise<Page<ApprovalRequestDto>> {
    const builder = this.approvals.createQueryBuilder('a').innerJoinAndSelect('a.token', 't');
    const now = this.clock.now();
    // By the status callers see: undecided past its lifetime is expired before the job marks it.
    if (query.status === 'pending')
      builder.where("a.status = 'pending'").andWhere('a.expiresAt > :now', { now }).andWhere("t.status = 'pending'");
    else if (query.status === 'expired') builder.where("(a.status = 'expired' OR (a.status = 'pending' AND a.expiresAt <= :now))", { now });
    else if (query.status) builder.where('a.status = :status', { status: query.status });
    // One token per request: plain LIMIT/OFFSET pages the joined rows correctly.
    const [rows, total] = await builder
      .addSelect("CASE WHEN a.status = 'pending' THEN 0 ELSE 1 END", 'pending_last')
      .orderBy('pending_last', 'ASC')
      .addOrderBy('a.requestedAt', 'ASC')
      .addOrderBy('a.tokenId', 'ASC')
      .offset((query.page - 1) * query.pageSize)
      .limit(query.pageSize)
      .getManyAndCount();
    return { items: await this.present(rows), total, page: query.page, pageSize: query.pageSize };
  }

  /** The owner's view of their token's request; another user's token is a 404. */
  async forOwner(userId: string, tokenId: string): Promise<ApprovalRequestDto> {
    const row = await this.approvals.findOne({ where: { tokenId, userId }, relations: { token: true } });
    if (!row) throw new ApprovalRequestNotFoundError();
    return (await this.present([row]))[0];
  }

  approve(adminUserId: string, tokenId: string, reason: string | undefined): Promise<ApprovalRequestDto> {
    return this.decide(adminUserId, tokenId, 'approved', reason ?? null);
  }

  deny(adminUserId: string, tokenId: string, reason: string): Promise<ApprovalRequestDto> {
    return this.decide(adminUserId, tokenId, 'denied', reason);
  }

  private async decide(
    adminUserId: string,
    tokenId: string,
    decision: 'approved' | 'denied',
    reason: string | null,
  ): Promise<ApprovalRequestDto> {
    const now = this.clock.now();
    const token = await this.unitOfWork.run(async (manager) => {
      const result = await manager
        .createQueryBuilder()
        .update(TokenApproval)
        .set({ status: decision, decidedAt: now, decidedBy: adminUserId, reason })
        .where('token_id = :tokenId', { tokenId })
        .andWhere("status = 'pending'")
        .andWhere('expires_at > :now', { now })
        .execute();
      if (result.affected !== 1) {
        const row = await manager.findOne(TokenApproval, { where: { tokenId } });
        if (!row) throw new ApprovalRequestNotFoundError();
        throw new ApprovalAlreadyDecidedError(row.status === 'pending' ? 'expired' : row.status);
      }
      const changes: Partial<PersonalAccessToken> = decision === 'approved' ? { status: 'active' } : { status: 'revoked', revokedAt: now };
      // The owner revoked (withdrew) it meanwhile: nothing is left to decide.
      const changed = await manager.update(PersonalAccessToken, { id: tokenId, status: 'pending' }, changes);
      if (changed.affected !== 1) throw new ApprovalAlreadyDecidedError('withdrawn');
      return manager.findOneOrFail(PersonalAccessToken, { where: { id: tokenId } });
    });
    await this.events.publish({
      type: decision === 'approved' ? 'token.approved' : 'token.denied',
      occurredAt: now,
      userId: token.userId,
      tokenId,
      tokenName: token.name,
      actor: { type: 'user', userId: adminUserId },
      details: { reason },
    });
    const row = await this.approvals.findOneOrFail({ where: { tokenId }, relations: { token: true } });
    return (await this.present([row]))[0];
  }

  /**
   * Requests undecided past their lifetime expire and revoke their tokens, in batches (the expiry
   * job's turn; each batch's events are recorded in its transaction). Answers how many expired.
   */
  async expireDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const now = this.clock.now();
      const events = await this.unitOfWork.run(async (manager) => {
        const due = manager
          .createQueryBuilder(TokenApproval, 'a')
          .where("a.status = 'pending'")
          .andWhere('a.expiresAt <= :now', { now })
          .orderBy('a.expiresAt', 'ASC')
          .limit(EXPIRY_BATCH);
        const rows = await (this.mysql ? due.setLock('pessimistic_write') : due).getMany();
        if (rows.length === 0) return [];
        const ids = rows.map((row) => row.tokenId);
        await manager.update(TokenApproval, { tokenId: In(ids), status: 'pending' }, { status: 'expired', decidedAt: now });
        await manager.update(PersonalAccessToken, { id: In(ids), status: 'pending' }, { status: 'revoked', revokedAt: now });
        const tokens = await manager.find(PersonalAccessToken, { where: { id: In(ids) } });
        const events = tokens.map((token): TokenEvent => ({
          type: 'token.approval_expired',
          occurredAt: now,
          userId: token.userId,
          tokenId: token.id,
          tokenName: token.name,
          actor: { type: 'system' },
          details: { reason: 'no decision in time' },
        }));
        await this.events.record(manager, events);
        return events;
      });
      await this.events.publishAll(events, { recorded: true });
      total += events.length;
      if (events.length < EXPIRY_BATCH) return total;
    }
  }

  private async present(rows: TokenApproval[]): Promise<ApprovalRequestDto[]> {
    const scopes = await scopesByToken(
      this.scopes,
      rows.map((row) => row.tokenId),
    );
    const emails = new Map<string, string | null>();
    for (const userId of new Set(rows.map((row) => row.userId))) {
      emails.set(userId, (await this.directory.findById(userId).catch(() => null))?.email ?? null);
    }
    const now = this.clock.now();
    return rows.map((row) => ({
      tokenId: row.tokenId,
      tokenName: row.token?.name ?? '',
      userId: row.userId,
      userEmail: emails.get(row.userId) ?? null,
      scopes: scopes.get(row.tokenId) ?? [],
      sensitiveScopes: JSON.parse(row.scopes) as string[],
      // Undecided past its lifetime is expired, even before the expiry job revoked its token.
      status: row.status === 'pending' && !(row.expiresAt.getTime() > now.getTime()) ? 'expired' : row.status,
      requestedAt: row.requestedAt,
      expiresAt: row.expiresAt,
      decidedAt: row.decidedAt,
      decidedBy: row.decidedBy,
      reason: row.reason,
    }));
  }
}
