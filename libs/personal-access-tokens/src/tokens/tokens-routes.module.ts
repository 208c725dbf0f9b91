import { Module } from '@nestjs/common';
import { AdminTokensController } from './admin/admin-tokens.controller';
import { LeakedCredentialsController } from './leaked-credentials/leaked-credentials.controller';
import { TokensController } from './tokens.controller';
import { TokensModule } from './tokens.module';
import { PolicyComplianceController } from './policy/policy-compliance.controller';
import { OwnTokenApprovalController, TokenApprovalsController } from './approvals/token-approvals.controller';

/** `/user/me/personal-access-tokens`: a user's own tokens. */
@Module({ imports: [TokensModule], controllers: [TokensController, OwnTokenApprovalController] })
export class TokensRoutesModule {}

/** `/admin/personal-access-tokens` and `/admin/users/:id/personal-access-tokens/revoke`: governance. */
@Module({ imports: [TokensModule], controllers: [AdminTokensController, TokenApprovalsController, PolicyComplianceController] })
export class AdminTokensRoutesModule {}

/** `POST /credentials/revoke`: leaked-credential revocation (secret scanners). */
@Module({ imports: [TokensModule], controllers: [LeakedCredentialsController] })
export class LeakedCredentialsRoutesModule {}
