import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { EntityManager, In, IsNull, Repository } from 'typeorm';
import { Clock } from '../../core/clock';
import { lockedForUpdate, UnitOfWork } from '../../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../../core/personal-access-tokens.options';
import { CompanionCredentials, CompanionCredentialStore } from '../../tokens/companion-credentials';
import { generateTokenSecret, hasValidTokenFormat } from '../../tokens/token-format';
import { TokenHasher } from '../../tokens/token-hasher';
import { Session } from './session.entity';

export interface IssuedSession {
  id: string;
  secret: string;
  expiresAt: Date;
}

/**
 * Login sessions: issued at login, ended at logout, on deactivation, or when they expire. They are
 * a companion credential of the user's tokens: governance ends them and the expiry job purges them.
 */
@Injectable()
export class SessionsService implements OnModuleInit, CompanionCredentialStore {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly hasher: TokenHasher,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly companions: CompanionCredentials,
  ) {}

  onModuleInit(): void {
    this.companions.register(this);
  }

  async issue(userId: string): Promise<IssuedSession> {
    const now = this.clock.now();
    const secret = generateTokenSecret(this.options.sessionTokenPrefix);
    const session: Session = {
      id: randomUUID(),
      userId,
      digest: this.hasher.digest(secret),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.options.sessionTtlSeconds * 1000),
      revokedAt: null,
    };
    await this.unitOfWork.run((manager) => manager.insert(Session, session));
    return { id: session.id, secret, expiresAt: session.expiresAt };
  }

  /** The live session this secret opens, or null (unknown, revoked or expired). */
  async findLive(secret: string): Promise<Session | null> {
    if (!hasValidTokenFormat(secret, this.options.sessionTokenPrefix)) return null;
    const digests = this.hasher.candidateDigests(secret);
    const session = await this.sessions.findOne({ where: { digest: In(digests) } });
    if (!session || session.revokedAt || session.expiresAt <= this.clock.now()) return null;
    // Found under an older pepper: re-keyed to the current one, so that the old pepper can be retired.
    if (session.digest !== digests[0]) {
      await this.unitOfWork.run((manager) => manager.update(Session, { id: session.id, digest: session.digest }, { digest: digests[0] }), {
        bookkeeping: true,
      });
      session.digest = digests[0];
    }
    return session;
  }

  async isLive(manager: EntityManager, userId: string, id: string, now: Date): Promise<boolean> {
    const query = manager
      .createQueryBuilder(Session, 's')
      .select('s.id')
      .where('s.id = :id AND s.userId = :userId', { id, userId })
      .andWhere('s.revokedAt IS NULL AND s.expiresAt > :now', { now });
    return (await lockedForUpdate(query).getOne()) !== null;
  }

  async revoke(id: string): Promise<void> {
    const now = this.clock.now();
    await this.unitOfWork.run((manager) => manager.update(Session, { id, revokedAt: IsNull() }, { revokedAt: now }));
  }

  async revokeAllForUser(userId: string): Promise<number> {
    const now = this.clock.now();
    return this.unitOfWork.run((manager) => this.endAllOf(manager, userId, now));
  }

  async endAllOf(manager: EntityManager, userId: string, now: Date): Promise<number> {
    const result = await manager.update(Session, { userId, revokedAt: IsNull() }, { revokedAt: now });
    return result.affected ?? 0;
  }

  /** Expired or revoked: such a session can never be used again. */
  async purgeDead(manager: EntityManager, now: Date, limit: number): Promise<number> {
    const ids = await manager
      .createQueryBuilder(Session, 's')
      .select('s.id')
      .where('s.expiresAt <= :now', { now })
      .orWhere('s.revokedAt IS NOT NULL')
      .limit(limit)
      .getMany();
    if (ids.length) await manager.delete(Session, { id: In(ids.map((s) => s.id)) });
    return ids.length;
  }
}
