import { Get } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { Endpoint } from '../scopes/endpoint.decorator';
import { MeResponseDto } from './dto/me.dto';
import { Auth } from '../scopes/auth.decorators';
import { Principal } from '../scopes/principal';

@ApiTags('auth')
@LibraryController('user/me')
export class MeController {
  /**
   * Get the calling user
   * @remarks The caller, their role's privileges, and how this request authenticated (session or PAT).
   */
  @Get()
  @AuditAction('user.read_self')
  @Endpoint({ operationId: 'getCurrentUser', scopes: ['user:read'] })
  me(@Auth() principal: Principal): MeResponseDto {
    const { user, token } = principal;
    return {
      id: user.id,
      email: user.email,
      displayName: user.displayName,
      role: user.role,
      privileges: [...user.privileges],
      roleScopes: [...user.scopes],
      authMethod: principal.method,
      ...(token && { token: { id: token.id, name: token.name, scopes: [...token.scopes], expiresAt: token.expiresAt } }),
    };
  }
}
