import { NotFoundError } from './domain-error';

/** A user as the token machinery sees it, whoever stores users. */
export interface DirectoryUser {
  id: string;
  email: string;
  displayName: string;
  active: boolean;
  role: string;
  privileges: readonly string[];
  /** Scope grant patterns of the user's role (see `isGranted`): what it may do and hand on. */
  scopes: readonly string[];
  /**
   * Optional: login sessions issued at or before this instant are refused for good (the user was
   * deactivated then). Reactivating a user does not revive the sessions a deactivation cut off.
   */
  sessionsNotBefore?: Date | null;
}

/**
 * Where the token machinery finds users. The default reads this library's `users` and `roles`
 * tables; a host app with its own users provides its own implementation under this token.
 *
 * @example
 * @Injectable()
 * class AccountsDirectory implements UserDirectory {
 *   async findById(id: string) { const a = await this.accounts.find(id); return a && toDirectoryUser(a); }
 * }
 * PersonalAccessTokensModule.forRoot({ peppers, userDirectory: AccountsDirectory })
 */
export interface UserDirectory {
  /** The user with this id, active or not; `null` when there is none. */
  findById(id: string): Promise<DirectoryUser | null>;
  /**
   * Optional: the users with these ids that exist, in any order, in one look-up. Jobs that touch
   * many users' tokens at once (the expiry job's webhook deliveries) use it when it is there, and
   * `findById` per user otherwise.
   */
  findByIds?(ids: readonly string[]): Promise<DirectoryUser[]>;
}

export const UserDirectory = Symbol('UserDirectory');

/** The user directory does not know this user. */
export class UserNotFoundError extends NotFoundError {
  constructor() {
    super('user_not_found', 'User not found');
  }
}
