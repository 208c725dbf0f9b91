import { Body, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../../core/audit.decorators';
import { LibraryController } from '../../core/library-controller.decorator';
import { ParseIdPipe } from '../../core/parse-id.pipe';
import { Auth } from '../../scopes/auth.decorators';
import { Endpoint } from '../../scopes/endpoint.decorator';
import { Principal } from '../../scopes/principal';
import { Privilege } from '../../scopes/privileges';
import { RequirePrivileges } from '../../scopes/require-scopes.decorator';
import {
  ApprovalRequestDto,
  ApprovalRequestPageDto,
  ApproveRequestDto,
  DenyRequestDto,
  ListApprovalRequestsQueryDto,
} from './dto/token-approval.dto';
import { TokenApprovals } from './token-approvals.service';

const uuid = new ParseIdPipe();
const DECIDED = 'The request was already approved, denied or expired (of concurrent decisions, all but one)';

/** Requests for scopes that need approval, for administrators (privilege MANAGE_ALL_ACCESS_TOKENS). */
@ApiTags('tokens')
@LibraryController('admin/personal-access-token-requests')
@RequirePrivileges(Privilege.ManageAllTokens)
export class TokenApprovalsController {
  constructor(private readonly approvals: TokenApprovals) {}

  /**
   * List requests for approval of sensitive scopes (administrators)
   * @remarks Pending requests first, oldest first; `status` narrows the list. Never contains a secret.
   */
  @Get()
  @AuditAction('personal_access_token.approval_list', { target: null })
  @Endpoint({ operationId: 'adminListApprovalRequests', scopes: ['admin:read'], errors: { 400: 'Invalid filter or page' } })
  list(@Query() query: ListApprovalRequestsQueryDto): Promise<ApprovalRequestPageDto> {
    return this.approvals.list(query);
  }

  /**
   * Approve a token's request (administrators)
   * @remarks The token becomes active; its owner is told (audit trail, webhook, page). An optional reason.
   */
  @Post(':tokenId/approve')
  @AuditAction('personal_access_token.approve', { target: 'personal_access_token', bodyFields: ['reason'] })
  @HttpCode(200)
  @Endpoint({
    operationId: 'adminApproveTokenRequest',
    scopes: ['admin:write'],
    uuidParams: ['tokenId'],
    optionalBody: ApproveRequestDto,
    errors: { 400: 'A reason that is not a string of 1 to 500 characters', 404: 'No request for this token', 409: DECIDED },
  })
  approve(
    @Auth() principal: Principal,
    @Param('tokenId', uuid) tokenId: string,
    @Body() body: ApproveRequestDto,
  ): Promise<ApprovalRequestDto> {
    return this.approvals.approve(principal.user.id, tokenId, body.reason);
  }

  /**
   * Deny a token's request (administrators)
   * @remarks The token is revoked; its owner is told why (audit trail, webhook, page). The reason is required.
   */
  @Post(':tokenId/deny')
  @AuditAction('personal_access_token.deny', { target: 'personal_access_token', bodyFields: ['reason'] })
  @HttpCode(200)
  @Endpoint({
    operationId: 'adminDenyTokenRequest',
    scopes: ['admin:write'],
    uuidParams: ['tokenId'],
    errors: { 400: 'A missing reason, or one that is not a string of 1 to 500 characters', 404: 'No request for this token', 409: DECIDED },
  })
  deny(@Auth() principal: Principal, @Param('tokenId', uuid) tokenId: string, @Body() body: DenyRequestDto): Promise<ApprovalRequestDto> {
    return this.approvals.deny(principal.user.id, tokenId, body.reason);
  }
}

/** A user's view of their own token's approval request. */
@ApiTags('tokens')
@LibraryController('user/me/personal-access-tokens')
export class OwnTokenApprovalController {
  constructor(private readonly approvals: TokenApprovals) {}

  /**
   * Get the approval request of one of your tokens
   * @remarks Whether it waits, was approved or denied (and why), or expired. 404 for a token that needed no approval.
   */
  @Get(':id/approval')
  @AuditAction('personal_access_token.approval_read')
  @Endpoint({
    operationId: 'getPersonalAccessTokenApproval',
    scopes: ['personal_access_tokens:read'],
    scopeOptions: { selfParam: 'id' },
    uuidParams: ['id'],
    errors: { 404: 'No such token among yours, or it needed no approval' },
  })
  get(@Auth() principal: Principal, @Param('id', uuid) id: string): Promise<ApprovalRequestDto> {
    return this.approvals.forOwner(principal.user.id, id);
  }
}
