import { Inject, Injectable, Logger } from '@nestjs/common';
import { Brackets, In } from 'typeorm';
import { Clock } from '../../core/clock';
import { TooManyRequestsError } from '../../core/domain-error';
import { RateLimiter } from '../../core/rate-limiter';
import { TokenEvents } from '../../core/token-events';
import { UnitOfWork } from '../../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../../core/personal-access-tokens.options';
import { PersonalAccessToken } from '../personal-access-token.entity';
import { hasValidTokenFormat } from '../token-format';
import { TokenHasher } from '../token-hasher';

const CHUNK = 200;

/**
 * Leaked-credential revocation, as GitHub and Hugging Face offer it to secret scanners: anyone may
 * report secrets; the live tokens among them are revoked at once and their owners notified (the
 * `token.leaked_revoked` event reaches the webhook and the audit trail). The caller learns
 * nothing: the answer is the same whatever was found. Look-alikes are dropped by their checksum
 * before any query.
 */
@Injectable()
export class LeakedCredentialsService {
  private readonly logger = new Logger(LeakedCredentialsService.name);

  constructor(
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly hasher: TokenHasher,
    private readonly unitOfWork: UnitOfWork,
    private readonly rateLimiter: RateLimiter,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
  ) {}

  async revoke(credentials: string[], ip: string): Promise<void> {
    const { limit, windowSeconds } = this.options.credentialRevocationRateLimit;
    const decision = await this.rateLimiter.consume(`credential-revocation:${ip}`, limit, windowSeconds);
    if (!decision.allowed) throw new TooManyRequestsError(decision.retryAfterSeconds);

    const candidates = [...new Set(credentials.filter((c) => hasValidTokenFormat(c, this.options.tokenPrefix)))];
    let revoked = 0;
    for (let i = 0; i < candidates.length; i += CHUNK) {
      revoked += await this.revokeChunk(candidates.slice(i, i + CHUNK).flatMap((c) => this.hasher.candidateDigests(c)));
    }
    if (revoked) this.logger.warn({ message: 'Leaked personal access tokens revoked', count: revoked, reportedBy: ip });
  }

  private async revokeChunk(digests: string[]): Promise<number> {
    const now = this.clock.now();
    const live = await this.unitOfWork.run(async (manager) => {
      const found = await manager
        .createQueryBuilder(PersonalAccessToken, 't')
        .select(['t.id', 't.userId', 't.name'])
        .where({ digest: In(digests) })
        .andWhere("t.status = 'active'")
        .andWhere(new Brackets((b) => b.where('t.expiresAt IS NULL').orWhere('t.expiresAt > :now', { now })))
        .getMany();
      const changed: PersonalAccessToken[] = [];
      // One conditional update per token: only the tokens this call really revoked are reported.
      for (const token of found) {
        const result = await manager.update(PersonalAccessToken, { id: token.id, status: 'active' }, { status: 'revoked', revokedAt: now });
        if (result.affected === 1) changed.push(token);
      }
      return changed;
    });
    for (const token of live) {
      await this.events.publish({
        type: 'token.leaked_revoked',
        occurredAt: now,
        userId: token.userId,
        tokenId: token.id,
        tokenName: token.name,
        actor: { type: 'system' },
        details: { source: 'credential_revocation_api' },
      });
    }
    return live.length;
  }
}
