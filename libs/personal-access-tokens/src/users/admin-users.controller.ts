import { Body, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { PageQueryDto } from '../core/pagination.dto';
import { ParseIdPipe } from '../core/parse-id.pipe';
import { RequirePrivileges } from '../scopes/require-scopes.decorator';
import { Endpoint } from '../scopes/endpoint.decorator';
import { CreateUserDto, UpdateUserDto, UserPageDto, UserResponseDto } from './dto/user.dto';
import { Privilege } from '../scopes/privileges';
import { User } from './user.entity';
import { UsersService } from './users.service';

@ApiTags('users')
@LibraryController('admin/users')
@RequirePrivileges(Privilege.ManageUsers)
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  /** Create a user (administrators) */
  @Post()
  @AuditAction('user.create', { creates: User, bodyFields: ['email', 'displayName', 'role'] })
  @Endpoint({
    operationId: 'adminCreateUser',
    scopes: ['admin:write'],
    errors: { 400: 'Invalid input, or no such role', 409: 'The email is taken' },
  })
  create(@Body() body: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(body);
  }

  /**
   * List users (administrators)
   * @remarks Newest first.
   */
  @Get()
  @AuditAction('user.list')
  @Endpoint({ operationId: 'adminListUsers', scopes: ['admin:read'], errors: { 400: 'Invalid page' } })
  list(@Query() query: PageQueryDto): Promise<UserPageDto> {
    return this.users.list(query.page, query.pageSize);
  }

  /** Get a user (administrators) */
  @Get(':id')
  @AuditAction('user.read')
  @Endpoint({ operationId: 'adminGetUser', scopes: ['admin:read'], uuidParams: ['id'], errors: { 404: 'No such user' } })
  get(@Param('id', ParseIdPipe) id: string): Promise<UserResponseDto> {
    return this.users.get(id);
  }

  /**
   * Update a user (administrators)
   * @remarks Change a user's role, display name or active flag; deactivation takes effect on the next request.
   */
  @Patch(':id')
  @AuditAction('user.update', { bodyFields: ['displayName', 'role', 'active'] })
  @Endpoint({
    operationId: 'adminUpdateUser',
    scopes: ['admin:write'],
    uuidParams: ['id'],
    optionalBody: UpdateUserDto,
    errors: {
      400: 'Invalid input, or no such role',
      404: 'No such user',
      409: 'The change would leave no active user who can manage users (`last_administrator`)',
    },
  })
  update(@Param('id', ParseIdPipe) id: string, @Body() body: UpdateUserDto): Promise<UserResponseDto> {
    return this.users.update(id, body);
  }
}
