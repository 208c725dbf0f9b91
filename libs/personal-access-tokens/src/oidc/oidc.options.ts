/**
 * Options of `OidcModule.forRoot`: sign-in through one OpenID Connect provider (Keycloak, Entra ID,
 * Okta, Google...) with the authorization code flow, PKCE, state and nonce.
 *
 * @example
 * OidcModule.forRoot({
 *   issuer: 'https://login.example.com/realms/acme',
 *   clientId: 'pat-service',
 *   clientSecret: process.env.OIDC_CLIENT_SECRET,
 *   redirectUri: 'https://pat.example.com/auth/oidc/callback',
 *   roleClaim: 'groups',
 *   roleMap: { 'pat-admins': 'admin', engineering: 'member' },
 * })
 */
export interface OidcSignInOptions {
  /** The issuer URL; its `/.well-known/openid-configuration` is read at start-up. */
  issuer: string;
  clientId: string;
  /** For a confidential client (client_secret_basic); without it the client is public (PKCE only). */
  clientSecret?: string;
  /** This service's callback, `<origin>/auth/oidc/callback`, as registered at the provider. */
  redirectUri: string;
  /** The button says "Sign in with <label>" (default "single sign-on"). */
  label?: string;
  /** Default `openid email profile`. */
  scopes?: string[];
  /** The ID token claim (a string or a list of strings) that the role map reads (default `groups`). */
  roleClaim?: string;
  /** Claim value -> role name; the first entry the person has wins, so list the most privileged first. */
  roleMap: Record<string, string>;
  /** The role of a person no entry maps; null (default): such a person is refused. */
  defaultRole?: string | null;
  /** Accept passwords too (default true); false leaves sign-in to the provider alone. */
  passwordSignIn?: boolean;
  /** Where the page is, to go back to after signing in or out (default `/page`). */
  pagePath?: string;
  /** Where the provider sends the browser after RP-initiated logout (default: the page, on the redirect URI's origin). */
  postLogoutRedirectUri?: string;
  /** Accept an `http://` issuer on a loopback address (tests, a local provider); default false. */
  allowLoopbackHttp?: boolean;
}

export interface ResolvedOidcOptions extends Required<Omit<OidcSignInOptions, 'clientSecret' | 'defaultRole'>> {
  clientSecret: string | null;
  defaultRole: string | null;
}

export const OIDC_OPTIONS = Symbol('OidcSignInOptions');

export function resolveOidcOptions(options: OidcSignInOptions): ResolvedOidcOptions {
  const redirect = new URL(options.redirectUri);
  const pagePath = `/${(options.pagePath ?? '/page').replace(/^\/+|\/+$/g, '')}`;
  if (!Object.keys(options.roleMap).length && !options.defaultRole) {
    throw new Error('OIDC sign-in needs a role map (claim value -> role) or a default role');
  }
  return {
    issuer: options.issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret ?? null,
    redirectUri: options.redirectUri,
    label: options.label ?? 'single sign-on',
    scopes: options.scopes ?? ['openid', 'email', 'profile'],
    roleClaim: options.roleClaim ?? 'groups',
    roleMap: options.roleMap,
    defaultRole: options.defaultRole ?? null,
    passwordSignIn: options.passwordSignIn ?? true,
    pagePath,
    postLogoutRedirectUri: options.postLogoutRedirectUri ?? `${redirect.origin}${pagePath}`,
    allowLoopbackHttp: options.allowLoopbackHttp ?? false,
  };
}
