import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/**
 * A kind of credential a user holds besides their PATs (login sessions, kept by `AuthModule`).
 * It ends with them: cutting a user off ends these in the same transaction as the tokens, and
 * the expiry job purges the ones that can never be used again.
 */
export interface CompanionCredentialStore {
  /** Ends every live credential of the user inside `manager`'s transaction; answers how many. */
  endAllOf(manager: EntityManager, userId: string, now: Date): Promise<number>;
  /**
   * Whether the user's credential with this id is live (not ended, not expired), read inside
   * `manager`'s transaction with a lock on it where the database has one. Changes made with such
   * a credential re-check it there (see `CallerTransactions`); a store without it vouches for none.
   */
  isLive?(manager: EntityManager, userId: string, id: string, now: Date): Promise<boolean>;
  /** Deletes at most `limit` credentials that can never be used again; answers how many. */
  purgeDead(manager: EntityManager, now: Date, limit: number): Promise<number>;
}

/**
 * Where modules above `TokensModule` register their credential stores, so that token governance
 * and the expiry job reach them without importing those modules.
 *
 * @example
 * onModuleInit() { this.companions.register(this); }
 */
@Injectable()
export class CompanionCredentials {
  private readonly stores: CompanionCredentialStore[] = [];

  register(store: CompanionCredentialStore): void {
    if (!this.stores.includes(store)) this.stores.push(store);
  }

  all(): readonly CompanionCredentialStore[] {
    return this.stores;
  }

  /** Whether some store holds this credential of the user, live. */
  async isLive(manager: EntityManager, userId: string, id: string, now: Date): Promise<boolean> {
    for (const store of this.stores) if (await store.isLive?.(manager, userId, id, now)) return true;
    return false;
  }

  async endAllOf(manager: EntityManager, userId: string, now: Date): Promise<number> {
    let ended = 0;
    for (const store of this.stores) ended += await store.endAllOf(manager, userId, now);
    return ended;
  }
}
