import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuditAction, Auth, ErrorResponseDto, Principal, Public, RequireScopes } from '../../libs/personal-access-tokens/src';
import { LoginDto, LoginResponseDto } from './login.dto';
import { LoginService } from './login.service';

@ApiTags('auth')
@Controller('auth')
export class LoginController {
  constructor(private readonly login: LoginService) {}

  /** Exchange email and password for a session token. Wrong email and wrong password look the same. */
  @Post('login')
  @AuditAction('auth.login', { target: null, bodyFields: ['email'] })
  @Public()
  @HttpCode(200)
  @ApiUnauthorizedResponse({ description: 'Wrong email or password', type: ErrorResponseDto })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts; see Retry-After', type: ErrorResponseDto })
  create(@Body() body: LoginDto, @Ip() ip: string): Promise<LoginResponseDto> {
    return this.login.login(body, ip);
  }

  /** End this session. */
  @Post('logout')
  @AuditAction('auth.logout', { target: 'session' })
  @HttpCode(204)
  @RequireScopes()
  logout(@Auth() principal: Principal): Promise<void> {
    return this.login.logout(principal);
  }
}
