import { Body, Controller, HttpCode, Ip, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiTags, ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { AuditAction } from '../../core/audit.decorators';
import { Public } from '../../scopes/auth.decorators';
import { ErrorResponseDto } from '../../core/error-response.dto';
import { RevokeCredentialsDto } from './dto/revoke-credentials.dto';
import { LeakedCredentialsService } from './leaked-credentials.service';

@ApiTags('credentials')
@Controller('credentials')
export class LeakedCredentialsController {
  constructor(private readonly leaked: LeakedCredentialsService) {}

  /**
   * Report leaked credentials (no authentication; at most 1000 per call; strictly rate limited
   * per IP). Live personal access tokens among them are revoked at once and their owners
   * notified. The answer is always 202 with an empty body, whatever was found.
   */
  @Post('revoke')
  @AuditAction('credential.report_leaked', { target: null })
  @Public()
  @HttpCode(202)
  @ApiAcceptedResponse({ description: 'Received; live tokens among them are revoked' })
  @ApiTooManyRequestsResponse({ description: 'Over the per-IP rate limit', type: ErrorResponseDto })
  async revoke(@Body() body: RevokeCredentialsDto, @Ip() ip: string): Promise<void> {
    await this.leaked.revoke(body.credentials, ip);
  }
}
