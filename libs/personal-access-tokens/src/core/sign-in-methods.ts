/** A way to sign in besides a password, as the page shows it. */
export interface SignInProvider {
  /** "Sign in with <label>". */
  label: string;
  /** Where the browser goes to start signing in to the page. */
  signInUrl: string;
  /** Where the browser goes after signing out of the page (RP-initiated logout), or null. */
  signOutUrl: string | null;
}

/**
 * How people may sign in, registered by a sign-in module (OpenID Connect) and read by the page and
 * the password login: whether passwords are accepted, and which providers are offered.
 */
export abstract class SignInMethods {
  abstract readonly passwordSignIn: boolean;
  abstract readonly providers: readonly SignInProvider[];
}
