/**
 * Registered (globally) by `TokenExchangeModule`: token exchange is served here, so the page offers
 * administrators its trust policies. The page reads it optionally, as it reads `SignInMethods`.
 */
export abstract class TokenExchangeFeature {
  /** Where the admin API of trust policies is served. */
  abstract readonly policiesPath: string;
}
