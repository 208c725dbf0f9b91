import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { In, IsNull, Repository } from 'typeorm';
import { Clock } from '../../core/clock';
import { UnitOfWork } from '../../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../../core/personal-access-tokens.options';
import { generateTokenSecret, hasValidTokenFormat } from '../../tokens/token-format';
import { TokenHasher } from '../../tokens/token-hasher';
import { Session } from './session.entity';

export interface IssuedSession {
  id: string;
  secret: string;
  expiresAt: Date;
}

/** Login sessions: issued at login, ended at logout, on deactivation, or when they expire. */
@Injectable()
export class SessionsService {
  constructor(
    @InjectRepository(Session) private readonly sessions: Repository<Session>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly hasher: TokenHasher,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
  ) {}

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
    const session = await this.sessions.findOne({ where: { digest: In(this.hasher.candidateDigests(secret)) } });
    if (!session || session.revokedAt || session.expiresAt <= this.clock.now()) return null;
    return session;
  }

  async revoke(id: string): Promise<void> {
    const now = this.clock.now();
    await this.unitOfWork.run((manager) => manager.update(Session, { id, revokedAt: IsNull() }, { revokedAt: now }));
  }

  async revokeAllForUser(userId: string): Promise<number> {
    const now = this.clock.now();
    const result = await this.unitOfWork.run((manager) => manager.update(Session, { userId, revokedAt: IsNull() }, { revokedAt: now }));
    return result.affected ?? 0;
  }
}
