import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNotFoundResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { ErrorResponseDto } from '../core/error-response.dto';
import { PageQueryDto } from '../core/pagination.dto';
import { ParseIdPipe } from '../core/parse-id.pipe';
import { RequirePrivileges, RequireScopes } from '../scopes/require-scopes.decorator';
import { CreateUserDto, UpdateUserDto, UserPageDto, UserResponseDto } from './dto/user.dto';
import { Privilege } from '../scopes/privileges';
import { User } from './user.entity';
import { UsersService } from './users.service';

@ApiTags('admin')
@Controller('admin/users')
@RequirePrivileges(Privilege.ManageUsers)
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  /** Create a user with a role. */
  @Post()
  @AuditAction('user.create', { creates: User, bodyFields: ['email', 'displayName', 'role'] })
  @RequireScopes('admin:write')
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({ description: 'The email is taken', type: ErrorResponseDto })
  create(@Body() body: CreateUserDto): Promise<UserResponseDto> {
    return this.users.create(body);
  }

  /** All users, newest first. */
  @Get()
  @AuditAction('user.list')
  @RequireScopes('admin:read')
  list(@Query() query: PageQueryDto): Promise<UserPageDto> {
    return this.users.list(query.page, query.pageSize);
  }

  @Get(':id')
  @AuditAction('user.read')
  @RequireScopes('admin:read')
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  get(@Param('id', ParseIdPipe) id: string): Promise<UserResponseDto> {
    return this.users.get(id);
  }

  /** Change a user's role, display name or active flag; deactivation takes effect on the next request. */
  @Patch(':id')
  @AuditAction('user.update', { bodyFields: ['displayName', 'role', 'active'] })
  @RequireScopes('admin:write')
  @ApiNotFoundResponse({ type: ErrorResponseDto })
  @ApiConflictResponse({
    description: 'The change would leave no active user who can manage users (`last_administrator`)',
    type: ErrorResponseDto,
  })
  update(@Param('id', ParseIdPipe) id: string, @Body() body: UpdateUserDto): Promise<UserResponseDto> {
    return this.users.update(id, body);
  }
}
