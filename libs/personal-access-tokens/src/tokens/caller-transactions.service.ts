import { Inject, Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { InvalidTokenError } from '../core/auth.errors';
import { Clock } from '../core/clock';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { lockedForUpdate, UnitOfWork } from '../core/unit-of-work';
import { Principal } from '../scopes/principal';
import { CompanionCredentials } from './companion-credentials';
import { effectiveStatus, PersonalAccessToken } from './personal-access-token.entity';

/**
 * The caller of a token operation: the user (as the directory sees them) and the credential the
 * request came with (a PAT, or a session by id). A library call such as `TokensService.mint`
 * has no credential, only a user.
 */
export type TokenActor = Pick<Principal, 'user' | 'token'> & Partial<Pick<Principal, 'method' | 'sessionId'>>;

/** The lock row every change to a user's tokens and "revoke all of a user's credentials" take. */
export function userLock(userId: string): string {
  return `pat:user:${userId}`;
}

/**
 * Transactions that change a user's tokens for a caller holding one of that user's credentials.
 * Each takes the user's lock row (the one revoke-all takes) and, under it, reads the calling
 * credential again: one revoked, ended or expired while its request was in flight changes
 * nothing (401). So a change and a revoke-all are ordered: either the change commits first and
 * revoke-all revokes what it made, or revoke-all commits first and the change is refused. On a
 * Galera cluster both write the lock row, so certification orders them the same way (the loser
 * is retried by the unit of work and then sees the winner's commit).
 */
@Injectable()
export class CallerTransactions {
  constructor(
    private readonly unitOfWork: UnitOfWork,
    private readonly companions: CompanionCredentials,
    private readonly clock: Clock,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  run<T>(actor: TokenActor, work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.unitOfWork.run(
      async (manager) => {
        await this.assertCredentialLive(manager, actor);
        return work(manager);
      },
      { lock: userLock(actor.user.id) },
    );
  }

  private async assertCredentialLive(manager: EntityManager, actor: TokenActor): Promise<void> {
    const now = this.clock.now();
    if (actor.token) {
      // A locking read: the latest committed row, held until this transaction ends.
      const token = await lockedForUpdate(
        manager
          .createQueryBuilder(PersonalAccessToken, 't')
          .where('t.id = :id AND t.userId = :userId', { id: actor.token.id, userId: actor.user.id }),
      ).getOne();
      if (token && effectiveStatus(token, now) === 'active') return;
      throw new InvalidTokenError(this.options.realm, { userId: actor.user.id, tokenId: actor.token.id, tokenName: actor.token.name });
    }
    if (actor.method === undefined) return;
    // A session (or any other credential kind): its store must vouch for it, or the change is refused.
    const live = actor.sessionId !== undefined && (await this.companions.isLive(manager, actor.user.id, actor.sessionId, now));
    if (!live) throw new InvalidTokenError(this.options.realm, { userId: actor.user.id });
  }
}
