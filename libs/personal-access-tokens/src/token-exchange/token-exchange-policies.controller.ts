import { Body, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { ParseIdPipe } from '../core/parse-id.pipe';
import { Endpoint } from '../scopes/endpoint.decorator';
import { Privilege } from '../scopes/privileges';
import { RequirePrivileges } from '../scopes/require-scopes.decorator';
import {
  CreateTokenExchangePolicyDto,
  TokenExchangePolicyListDto,
  TokenExchangePolicyResponseDto,
  UpdateTokenExchangePolicyDto,
} from './dto/token-exchange-policy.dto';
import { TokenExchangePolicy } from './token-exchange-policy.entity';
import { TokenExchangePoliciesService } from './token-exchange-policies.service';

const FIELDS = ['name', 'issuer', 'audience', 'conditions', 'userId', 'scopes', 'tokenLifetimeSeconds', 'enabled'];

/** Trust policies of token exchange (administrators: a policy mints tokens for the user it names). */
@ApiTags('token exchange')
@LibraryController('admin/token-exchange-policies')
@RequirePrivileges(Privilege.ManageUsers)
export class TokenExchangePoliciesController {
  constructor(private readonly policies: TokenExchangePoliciesService) {}

  /** Create a trust policy (administrators) */
  @Post()
  @AuditAction('token_exchange_policy.create', { creates: TokenExchangePolicy, bodyFields: FIELDS })
  @Endpoint({
    operationId: 'adminCreateTokenExchangePolicy',
    scopes: ['admin:write'],
    errors: { 400: 'Invalid input', 403: "The user's role may not generate tokens or grant these scopes", 409: 'The name is taken' },
  })
  create(@Body() body: CreateTokenExchangePolicyDto): Promise<TokenExchangePolicyResponseDto> {
    return this.policies.create(body);
  }

  /** List trust policies (administrators) */
  @Get()
  @AuditAction('token_exchange_policy.list', { target: null })
  @Endpoint({ operationId: 'adminListTokenExchangePolicies', scopes: ['admin:read'] })
  list(): Promise<TokenExchangePolicyListDto> {
    return this.policies.list();
  }

  /** Get a trust policy (administrators) */
  @Get(':id')
  @AuditAction('token_exchange_policy.read')
  @Endpoint({ operationId: 'adminGetTokenExchangePolicy', scopes: ['admin:read'], uuidParams: ['id'], errors: { 404: 'No such policy' } })
  get(@Param('id', ParseIdPipe) id: string): Promise<TokenExchangePolicyResponseDto> {
    return this.policies.get(id);
  }

  /** Update a trust policy (administrators) */
  @Patch(':id')
  @AuditAction('token_exchange_policy.update', { bodyFields: FIELDS })
  @Endpoint({
    operationId: 'adminUpdateTokenExchangePolicy',
    scopes: ['admin:write'],
    uuidParams: ['id'],
    optionalBody: UpdateTokenExchangePolicyDto,
    errors: { 400: 'Invalid input', 403: "The user's role may not grant these scopes", 404: 'No such policy' },
  })
  update(@Param('id', ParseIdPipe) id: string, @Body() body: UpdateTokenExchangePolicyDto): Promise<TokenExchangePolicyResponseDto> {
    return this.policies.update(id, body);
  }

  /** Delete a trust policy (administrators); tokens it minted live out their short lives */
  @Delete(':id')
  @HttpCode(204)
  @AuditAction('token_exchange_policy.delete')
  @Endpoint({
    operationId: 'adminDeleteTokenExchangePolicy',
    scopes: ['admin:write'],
    uuidParams: ['id'],
    errors: { 404: 'No such policy' },
  })
  delete(@Param('id', ParseIdPipe) id: string): Promise<void> {
    return this.policies.delete(id);
  }
}
