import { CredentialReading } from './credentials';

/**
 * Where a request without an `Authorization` header may still carry a credential: a browser
 * page's session cookie. The bearer strategy asks it only when the header is absent; an
 * implementation refuses what it cannot vouch for (a cross-site state-changing request, say) by
 * throwing a `DomainError`. Provided by `PersonalAccessTokensPageModule`; without it, only the
 * header counts.
 */
export abstract class CookieCredentials {
  abstract read(request: { method?: string; headers: Record<string, string | string[] | undefined> }): CredentialReading;
}
