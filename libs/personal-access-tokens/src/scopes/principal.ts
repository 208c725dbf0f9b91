import { DirectoryUser } from '../core/user-directory';

export type AuthMethod = 'session' | 'personal_access_token';

/** The token a PAT-authenticated request came with (never its secret). */
export interface PrincipalToken {
  id: string;
  name: string;
  scopes: readonly string[];
  expiresAt: Date | null;
}

/**
 * Who is calling and how: the user as the directory knows it now, and for a PAT the token's own
 * scopes and expiry. Effective permission is the token's scopes AND the user's current role.
 */
export interface Principal {
  user: DirectoryUser;
  method: AuthMethod;
  token?: PrincipalToken;
  sessionId?: string;
}
