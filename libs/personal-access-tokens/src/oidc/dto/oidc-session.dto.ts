/** The session of an API client signed in through the provider (`target=api`). */
export class OidcSessionDto {
  /** An opaque session token; send it as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** @example "Bearer" */
  tokenType: 'Bearer';
  expiresAt: Date;
}
