import { Body, HttpCode, Ip, Post } from '@nestjs/common';
import { LibraryController } from '../../core/library-controller.decorator';
import { ApiAcceptedResponse, ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../../core/audit.decorators';
import { Public } from '../../scopes/auth.decorators';
import { Endpoint } from '../../scopes/endpoint.decorator';
import { RevokeCredentialsDto } from './dto/revoke-credentials.dto';
import { LeakedCredentialsService } from './leaked-credentials.service';

@ApiTags('tokens')
@LibraryController('credentials')
export class LeakedCredentialsController {
  constructor(private readonly leaked: LeakedCredentialsService) {}

  /**
   * Report leaked credentials
   * @remarks No authentication; at most 1000 per call; strictly rate limited per IP. Live
   * personal access tokens among them are revoked at once and their owners notified. The answer
   * is always 202 with an empty body, whatever was found.
   */
  @Post('revoke')
  @AuditAction('credential.report_leaked', { target: null })
  @Public()
  @HttpCode(202)
  @Endpoint({
    operationId: 'reportLeakedCredentials',
    errors: { 400: 'No `credentials` array, more than 1000, or not all strings', 429: 'Over the per-IP rate limit; see Retry-After' },
  })
  @ApiAcceptedResponse({ description: 'Received; live tokens among them are revoked' })
  async revoke(@Body() body: RevokeCredentialsDto, @Ip() ip: string): Promise<void> {
    await this.leaked.revoke(body.credentials, ip);
  }
}
