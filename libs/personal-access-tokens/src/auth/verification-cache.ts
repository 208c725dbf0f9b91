import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { VerifiedToken } from '../tokens/token-verification.service';
import type { DirectoryUser } from '../core/user-directory';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { Clock } from '../core/clock';
import { TokenEvents } from '../core/token-events';
import { UserChanges } from '../core/user-changes';

export interface VerifiedCredential {
  token: VerifiedToken;
  user: DirectoryUser;
}

const MAX_ENTRIES = 10_000;

/**
 * Recently verified PATs, so that most requests need no query at all. Correctness:
 * - on this instance, every token change (TokenEvents) and user change (`UserChanges`) drops
 *   the entries concerned at once, and a verification that raced with such a change is not cached
 *   (generation check), so revocation bites on the very next request;
 * - expiry is checked against the clock on every hit;
 * - other instances, and user stores this library does not manage, may see a change up to
 *   `verificationCacheTtlSeconds` late (0 turns the cache off).
 */
@Injectable()
export class VerificationCache implements OnModuleInit {
  private readonly entries = new Map<string, { value: VerifiedCredential; storedAt: number }>();
  private generation = 0;
  private readonly ttlMs: number;

  constructor(
    @Inject(PAT_OPTIONS) options: ResolvedOptions,
    private readonly clock: Clock,
    private readonly events: TokenEvents,
    private readonly userChanges: UserChanges,
  ) {
    this.ttlMs = options.verificationCacheTtlSeconds * 1000;
  }

  onModuleInit(): void {
    this.events.subscribeBatch((events) => this.invalidateTokens(new Set(events.map((event) => event.tokenId))));
    this.userChanges.subscribe((userId) => this.invalidateUser(userId));
  }

  /**
   * A snapshot to hand back to `set`: a change in between means the result may be stale. The
   * entry ages from here, before the database was read, so that another instance's change is
   * never seen more than the TTL late however long the read took.
   */
  begin(): { generation: number; at: number } {
    return { generation: this.generation, at: this.clock.now().getTime() };
  }

  get(key: string): VerifiedCredential | undefined {
    if (this.ttlMs === 0) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (this.clock.now().getTime() - entry.storedAt >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: VerifiedCredential, snapshot: { generation: number; at: number }): void {
    if (this.ttlMs === 0 || snapshot.generation !== this.generation) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, storedAt: snapshot.at });
  }

  invalidateTokens(tokenIds: ReadonlySet<string>): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (tokenIds.has(entry.value.token.id)) this.entries.delete(key);
  }

  /** Call when a user's role, scopes or active flag change (a host with its own users, too). */
  invalidateUser(userId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (entry.value.user.id === userId) this.entries.delete(key);
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
  }
}
