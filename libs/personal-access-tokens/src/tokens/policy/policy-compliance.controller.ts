import { Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../../core/audit.decorators';
import { LibraryController } from '../../core/library-controller.decorator';
import { PageQueryDto } from '../../core/pagination.dto';
import { ParseIdPipe } from '../../core/parse-id.pipe';
import { Auth } from '../../scopes/auth.decorators';
import { Endpoint } from '../../scopes/endpoint.decorator';
import { Principal } from '../../scopes/principal';
import { Privilege } from '../../scopes/privileges';
import { RequirePrivileges } from '../../scopes/require-scopes.decorator';
import { TokenResponseDto } from '../dto/token.dto';
import { PolicyViolationPageDto } from './dto/policy-violation.dto';
import { PolicyCompliance } from './policy-compliance.service';

const uuid = new ParseIdPipe();

/** Live tokens a tightened policy would not allow, for administrators (privilege MANAGE_ALL_ACCESS_TOKENS). */
@ApiTags('tokens')
@LibraryController('admin/personal-access-token-policy-violations')
@RequirePrivileges(Privilege.ManageAllTokens)
export class PolicyComplianceController {
  constructor(private readonly compliance: PolicyCompliance) {}

  /**
   * List tokens that break the current policy (administrators)
   * @remarks Live tokens without an expiry where the policy requires one, or expiring later than a token made now may; oldest first.
   * Shorten each (below) or revoke it (`adminRevokePersonalAccessToken`).
   */
  @Get()
  @AuditAction('personal_access_token.policy_report', { target: null })
  @Endpoint({ operationId: 'adminListPolicyViolations', scopes: ['admin:read'], errors: { 400: 'Invalid page' } })
  list(@Query() query: PageQueryDto): Promise<PolicyViolationPageDto> {
    return this.compliance.report(query);
  }

  /**
   * Shorten a token to the policy (administrators)
   * @remarks Its expiry becomes the latest a token made now may have; never later than its own. The owner is told (webhook, trail).
   */
  @Post(':tokenId/shorten')
  @AuditAction('personal_access_token.shorten', { target: 'personal_access_token' })
  @HttpCode(200)
  @Endpoint({
    operationId: 'adminShortenTokenToPolicy',
    scopes: ['admin:write'],
    uuidParams: ['tokenId'],
    errors: { 404: 'No such token', 409: 'The token already meets the policy, or is no longer live' },
  })
  shorten(@Auth() principal: Principal, @Param('tokenId', uuid) tokenId: string): Promise<TokenResponseDto> {
    return this.compliance.shorten(principal.user.id, tokenId);
  }
}
