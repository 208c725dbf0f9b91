import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuditAction, Auth, Endpoint, ErrorResponseDto, NoStore, Principal, Public } from '../../libs/personal-access-tokens/src';
import { LoginDto, LoginResponseDto } from './login.dto';
import { LoginService } from './login.service';

@ApiTags('auth')
@Controller('auth')
export class LoginController {
  constructor(private readonly login: LoginService) {}

  /**
   * Log in
   * @remarks Exchange email and password for a session token. Wrong email and wrong password look the same.
   */
  @Post('login')
  @NoStore()
  @AuditAction('auth.login', { target: null, bodyFields: ['email'] })
  @Public()
  @HttpCode(200)
  @Endpoint({ operationId: 'login', errors: { 400: 'No email or password, or not strings', 429: 'Too many attempts; see Retry-After' } })
  @ApiUnauthorizedResponse({ description: 'Wrong email or password', type: ErrorResponseDto })
  create(@Body() body: LoginDto, @Ip() ip: string): Promise<LoginResponseDto> {
    return this.login.login(body, ip);
  }

  /** Log out (end this session) */
  @Post('logout')
  @AuditAction('auth.logout', { target: 'session' })
  @HttpCode(204)
  @Endpoint({ operationId: 'logout', scopes: [] })
  logout(@Auth() principal: Principal): Promise<void> {
    return this.login.logout(principal);
  }
}
