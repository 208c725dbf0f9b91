import { Get } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { Endpoint } from '../scopes/endpoint.decorator';
import { RoleResponseDto } from './dto/user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@LibraryController('roles')
export class RolesController {
  constructor(private readonly users: UsersService) {}

  /**
   * List roles
   * @remarks The roles, their privileges and the scopes each may grant.
   */
  @Get()
  @AuditAction('role.list')
  @Endpoint({ operationId: 'listRoles', scopes: ['user:read'] })
  list(): Promise<RoleResponseDto[]> {
    return this.users.listRoles();
  }
}
