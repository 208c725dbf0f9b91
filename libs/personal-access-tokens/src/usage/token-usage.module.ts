import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { PersonalAccessToken } from '../tokens/personal-access-token.entity';
import { AdminTokenUsageController, TokenUsageController } from './token-usage.controller';
import { TokenUsageService } from './token-usage.service';

/**
 * Token usage, the join of tokens and the audit trail: a token's requests per hour or day and
 * its addresses (`GET /user/me/personal-access-tokens/:id/usage`, `/admin/personal-access-tokens/:id/usage`),
 * and the busiest tokens (`GET /admin/personal-access-tokens/busiest`). Needs `AuditModule` and the
 * tokens' table; the user directory (core) names the owners.
 *
 * @example
 * imports: [PersonalAccessTokensCoreModule.forRoot({ peppers }), AuditModule, ScopesModule, TokensModule, AuthModule, TokenUsageModule]
 */
@Module({
  imports: [TypeOrmModule.forFeature([PersonalAccessToken]), AuditModule],
  providers: [TokenUsageService],
  exports: [TokenUsageService],
})
export class TokenUsageModule {}

/** `GET /user/me/personal-access-tokens/:id/usage`. */
@Module({ imports: [TokenUsageModule], controllers: [TokenUsageController] })
export class TokenUsageRoutesModule {}

/** `GET /admin/personal-access-tokens/busiest` and `/admin/personal-access-tokens/:id/usage`. */
@Module({ imports: [TokenUsageModule], controllers: [AdminTokenUsageController] })
export class AdminTokenUsageRoutesModule {}
