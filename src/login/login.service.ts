import { Inject, Injectable } from '@nestjs/common';
import {
  attributeAuditActor,
  DomainError,
  PageLogin,
  Principal,
  RateLimiter,
  SessionsService,
  TooManyRequestsError,
  UsersService,
} from '../../libs/personal-access-tokens/src';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.provider';
import { LoginDto, LoginResponseDto } from './login.dto';

class InvalidLoginError extends DomainError {
  constructor() {
    super(401, 'invalid_credentials', 'Wrong email or password');
  }
}

class PasswordSignInDisabledError extends DomainError {
  constructor() {
    super(403, 'password_sign_in_disabled', 'Password sign-in is turned off here; sign in with the identity provider at /auth/oidc/login');
  }
}

/**
 * Password login for people (scripts use PATs). Limited per IP (every attempt) and per email
 * (failures only, so a flood of wrong guesses cannot lock the owner out from elsewhere for long).
 */
@Injectable()
export class LoginService implements PageLogin {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly limiter: RateLimiter,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async login(input: LoginDto, ip: string): Promise<LoginResponseDto> {
    if (this.config.oidc?.passwordSignIn === false) throw new PasswordSignInDisabledError();
    const { perIp, failuresPerEmail, windowSeconds } = this.config.loginRateLimit;
    const byIp = await this.limiter.consume(`login:ip:${ip}`, perIp, windowSeconds);
    if (!byIp.allowed) throw new TooManyRequestsError(byIp.retryAfterSeconds, 'Too many login attempts; try again later');
    // Every attempt is counted before the password is checked and a success is refunded, so that
    // parallel guesses on several instances cannot all pass a check made before any was counted.
    const emailKey = `login:email:${input.email}`;
    const byEmail = await this.limiter.consume(emailKey, failuresPerEmail, windowSeconds);
    if (!byEmail.allowed)
      throw new TooManyRequestsError(byEmail.retryAfterSeconds, 'Too many failed logins for this account; try again later');

    const user = await this.users.authenticate(input.email, input.password);
    if (!user) throw new InvalidLoginError();
    await this.limiter.refund(emailKey, windowSeconds, byEmail);
    attributeAuditActor({ userId: user.id, email: user.email });
    const session = await this.sessions.issue(user.id);
    return { accessToken: session.secret, tokenType: 'Bearer', expiresAt: session.expiresAt };
  }

  async logout(principal: Principal): Promise<void> {
    if (!principal.sessionId)
      throw new DomainError(400, 'not_a_session', 'Only a login session can log out; revoke a personal access token instead');
    await this.sessions.revoke(principal.sessionId);
  }
}
