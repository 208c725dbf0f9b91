import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, IsNull, Not, Repository } from 'typeorm';
import { Clock } from '../core/clock';
import { TokenEvents, TokenEventType } from '../core/token-events';
import { UnitOfWork } from '../core/unit-of-work';
import { CallerTransactions, TokenActor } from './caller-transactions.service';
import { TokenResponseDto } from './dto/token.dto';
import { PersonalAccessTokenScope } from './personal-access-token-scope.entity';
import { effectiveStatus, PersonalAccessToken } from './personal-access-token.entity';
import { scopesByToken, toTokenResponse } from './token-listing';
import { SuspendedByAdministratorError, TokenNotFoundError, TokenStateConflictError } from './tokens.errors';

type Change = 'suspend' | 'resume';

/**
 * Pausing a token without losing it. A suspended token is refused everywhere a revoked one is
 * (bearer routes, `/auth/verify`, introspection), through `effectiveStatus`: this instance's
 * verification cache drops it at once (the `token.suspended` event), other instances within
 * `verificationCacheTtlSeconds`, as for revocation. Resuming changes nothing else: the expiry
 * stays what it was, so a token that expired while suspended stays expired. The owner may not
 * resume a token an administrator suspended.
 *
 * Both are conditional writes (`suspended_at IS NULL` / `IS NOT NULL` on an active row), so of
 * concurrent calls exactly one changes the token and announces it; the others answer its state.
 */
@Injectable()
export class TokenSuspensionService {
  constructor(
    @InjectRepository(PersonalAccessToken) private readonly tokens: Repository<PersonalAccessToken>,
    @InjectRepository(PersonalAccessTokenScope) private readonly scopes: Repository<PersonalAccessTokenScope>,
    private readonly callers: CallerTransactions,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
  ) {}

  /** The owner suspends one of their tokens (a token may suspend itself). */
  suspend(actor: TokenActor, id: string): Promise<TokenResponseDto> {
    const userId = actor.user.id;
    return this.change('suspend', userId, { id, userId }, (work) => this.callers.run(actor, work));
  }

  /** The owner resumes a token they suspended. */
  resume(actor: TokenActor, id: string): Promise<TokenResponseDto> {
    const userId = actor.user.id;
    return this.change('resume', userId, { id, userId }, (work) => this.callers.run(actor, work));
  }

  /** An administrator suspends anyone's token. */
  adminSuspend(adminUserId: string, id: string): Promise<TokenResponseDto> {
    return this.change('suspend', adminUserId, { id }, (work) => this.unitOfWork.run(work), true);
  }

  /** An administrator resumes anyone's suspended token. */
  adminResume(adminUserId: string, id: string): Promise<TokenResponseDto> {
    return this.change('resume', adminUserId, { id }, (work) => this.unitOfWork.run(work), true);
  }

  private async change(
    change: Change,
    actorUserId: string,
    where: { id: string; userId?: string },
    transaction: (work: (manager: EntityManager) => Promise<PersonalAccessToken | undefined>) => Promise<PersonalAccessToken | undefined>,
    byAdmin = false,
  ): Promise<TokenResponseDto> {
    const now = this.clock.now();
    const changed = await transaction(async (manager) => {
      const token = await manager.findOne(PersonalAccessToken, { where });
      if (!token) throw new TokenNotFoundError();
      const status = effectiveStatus(token, now);
      if (status === 'revoked' || status === 'expired')
        throw new TokenStateConflictError(change === 'suspend' ? 'suspended' : 'resumed', status);
      if (change === 'suspend') {
        if (status === 'suspended') return undefined;
        const result = await manager.update(
          PersonalAccessToken,
          { ...where, status: 'active', suspendedAt: IsNull() },
          { suspendedAt: now, suspendedBy: actorUserId },
        );
        return result.affected === 1 ? token : undefined;
      }
      if (status === 'active') return undefined;
      if (!byAdmin && token.suspendedBy !== token.userId) throw new SuspendedByAdministratorError();
      const result = await manager.update(
        PersonalAccessToken,
        { ...where, status: 'active', suspendedAt: Not(IsNull()) },
        { suspendedAt: null, suspendedBy: null },
      );
      return result.affected === 1 ? token : undefined;
    });
    if (changed) {
      const type: TokenEventType = change === 'suspend' ? 'token.suspended' : 'token.resumed';
      await this.events.publish({
        type,
        occurredAt: now,
        userId: changed.userId,
        tokenId: changed.id,
        tokenName: changed.name,
        actor: { type: 'user', userId: actorUserId },
        details: byAdmin ? { by: 'admin' } : undefined,
      });
    }
    const token = await this.tokens.findOne({ where });
    if (!token) throw new TokenNotFoundError();
    return toTokenResponse(token, (await scopesByToken(this.scopes, [token.id])).get(token.id) ?? [], this.clock.now());
  }
}
