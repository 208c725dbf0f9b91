import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { In, Not, Repository } from 'typeorm';
import { InvalidTokenError } from '../core/auth.errors';
import { Clock } from '../core/clock';
import { TokenEvents } from '../core/token-events';
import { UnitOfWork } from '../core/unit-of-work';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { PrincipalToken } from '../scopes/principal';
import { effectiveStatus, PersonalAccessToken } from './personal-access-token.entity';
import { RetiredTokenDigest } from './retired-token-digest.entity';
import { hasValidTokenFormat } from './token-format';
import { safeEqualDigest, TokenHasher } from './token-hasher';
import { TokenBookkeepingService } from './token-bookkeeping.service';
import { findTokenWithScopes } from './token-lookup';
import { isAddressAllowed } from './ip-allow-list';
import { TokenRow } from './verified-rows';

/** A PAT that verified: what the bearer strategy needs to build a principal. */
export interface VerifiedToken extends PrincipalToken {
  userId: string;
  /** Where it may be used from (`isAddressAllowed`); null for anywhere. */
  allowedIps: string[] | null;
  /** The row it was verified from, for `/self` (see `rememberVerifiedRow`). */
  row?: TokenRow;
}

/**
 * The gate: a PAT secret to the token it belongs to, or `InvalidTokenError`. A secret that was
 * rotated away and is presented again revokes its token (reuse detection). Kept apart from the
 * lifecycle in `TokensService`: this runs on every request, that on a user's changes.
 */
@Injectable()
export class TokenVerificationService {
  private readonly logger = new Logger(TokenVerificationService.name);

  constructor(
    @InjectRepository(PersonalAccessToken) private readonly tokens: Repository<PersonalAccessToken>,
    @InjectRepository(RetiredTokenDigest) private readonly retiredDigests: Repository<RetiredTokenDigest>,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
    private readonly hasher: TokenHasher,
    private readonly unitOfWork: UnitOfWork,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
    private readonly bookkeeping: TokenBookkeepingService,
  ) {}

  /**
   * Verifies a PAT secret: format and checksum first (no query for a look-alike), then one
   * indexed lookup by digest, then status and expiry against the clock. Background jobs are
   * bookkeeping; this is the gate. A secret that was rotated away revokes its token.
   * `touch: false` (introspection: a third party asking) leaves lastUsedAt alone. The token's IP
   * allow-list is checked against `ip` (no `ip`: refused if it has one) unless `anyAddress`, for a
   * caller that checks it on every use itself (`CredentialVerifier`, whose cache skips this).
   */
  async verify(secret: string, ip?: string, options: { touch?: boolean; anyAddress?: boolean } = {}): Promise<VerifiedToken> {
    if (!hasValidTokenFormat(secret, this.options.tokenPrefix)) throw new InvalidTokenError(this.options.realm);
    const digests = this.hasher.candidateDigests(secret);
    const found = await findTokenWithScopes(this.tokens.manager, `t.digest IN (${digests.map(() => '?').join(', ')})`, digests, {
      causal: true,
    });
    if (!found) return this.refuseUnknown(digests);
    const { token, scopes } = found;
    // SQL compared under the column's collation; confirm byte for byte, in constant time.
    if (!digests.some((digest) => safeEqualDigest(digest, token.digest))) throw new InvalidTokenError(this.options.realm);
    const subject = { userId: token.userId, tokenId: token.id, tokenName: token.name };
    const now = this.clock.now();
    if (effectiveStatus(token, now) !== 'active') throw new InvalidTokenError(this.options.realm, subject);
    if (!options.anyAddress && !isAddressAllowed(token.allowedIps, ip))
      throw new InvalidTokenError(this.options.realm, { ...subject, reason: 'address_not_allowed' });
    if (token.digest !== digests[0]) this.bookkeeping.rekeyDigest(token.id, token.digest, digests[0]);
    if (options.touch !== false) this.bookkeeping.recordUse(token.id, ip);
    const { digest: _digest, ...row } = token;
    return {
      id: token.id,
      userId: token.userId,
      name: token.name,
      scopes,
      expiresAt: token.expiresAt,
      allowedIps: token.allowedIps,
      row,
    };
  }

  /** An unknown secret; if it is one that was rotated away, the token it belonged to is revoked. */
  private async refuseUnknown(digests: string[]): Promise<never> {
    const retired = await this.retiredDigests.findOne({ where: { digest: In(digests) } });
    if (!retired) throw new InvalidTokenError(this.options.realm);
    const token = await this.tokens.findOne({ where: { id: retired.tokenId } });
    if (!token) throw new InvalidTokenError(this.options.realm);
    const now = this.clock.now();
    const result = await this.unitOfWork.run((manager) =>
      manager.update(PersonalAccessToken, { id: token.id, status: Not('revoked') }, { status: 'revoked', revokedAt: now }),
    );
    if (result.affected) {
      this.logger.warn({ message: 'Rotated-away token secret presented again: token revoked', tokenId: token.id, userId: token.userId });
      await this.events.publish({
        type: 'token.reuse_detected',
        occurredAt: now,
        userId: token.userId,
        tokenId: token.id,
        tokenName: token.name,
        actor: { type: 'system' },
        details: { retiredAt: retired.retiredAt },
      });
    }
    throw new InvalidTokenError(this.options.realm, { userId: token.userId, tokenId: token.id, tokenName: token.name });
  }
}
