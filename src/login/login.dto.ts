import { PageSignInDto } from '../../libs/personal-access-tokens/src/dto';

/** The same body, and the same rules, as the self-service page's sign-in. */
export class LoginDto extends PageSignInDto {}

export class LoginResponseDto {
  /** An opaque session token; send it as `Authorization: Bearer <accessToken>`. */
  accessToken: string;
  /** @example "Bearer" */
  tokenType: 'Bearer';
  expiresAt: Date;
}
