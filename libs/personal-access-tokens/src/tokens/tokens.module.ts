import { DataSource } from 'typeorm';
import { assertSchema } from '../core/schema-check';
import { JobLease } from './expiry/job-lease.entity';
import { Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { ScopesModule } from '../scopes/scopes.module';
import { AdminTokensService } from './admin/admin-tokens.service';
import { CallerTransactions } from './caller-transactions.service';
import { CompanionCredentials } from './companion-credentials';
import { ExpiryJob } from './expiry/expiry-job';
import { LeakedCredentialsService } from './leaked-credentials/leaked-credentials.service';
import { PersonalAccessTokenScope } from './personal-access-token-scope.entity';
import { PersonalAccessToken } from './personal-access-token.entity';
import { RetiredTokenDigest } from './retired-token-digest.entity';
import { SecretIssuancePolicy } from './secret-issuance.policy';
import { TokenAddress } from './token-address.entity';
import { TokenHasher } from './token-hasher';
import { TokenBookkeepingService } from './token-bookkeeping.service';
import { TokenVerificationService } from './token-verification.service';
import { TokensService } from './tokens.service';
import { TokenSuspensionService } from './token-suspension.service';
import { AllowListPolicy } from './allow-list-policy';
import { WebhookDelivery } from './webhooks/webhook-delivery.entity';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher';

/**
 * Personal access tokens: entity, format, hasher, lifecycle (`/user/me/personal-access-tokens`,
 * rotation and reuse detection), the expiry job, the webhook of token events, governance of
 * everyone's tokens (`/admin/...`) and leaked-credential revocation. Users come from whichever
 * `UserDirectory` the app registered; it needs no `UsersModule`.
 *
 * @example
 * imports: [PersonalAccessTokensCoreModule.forRoot({ peppers, userDirectory: AccountsDirectory }), ScopesModule, TokensModule, AuthModule]
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([PersonalAccessToken, PersonalAccessTokenScope, RetiredTokenDigest, WebhookDelivery, JobLease, TokenAddress]),
    ScopesModule,
  ],
  providers: [
    { provide: TokenHasher, inject: [PAT_OPTIONS], useFactory: (options: ResolvedOptions) => new TokenHasher(options.peppers) },
    CompanionCredentials,
    CallerTransactions,
    SecretIssuancePolicy,
    AllowListPolicy,
    TokenBookkeepingService,
    TokenVerificationService,
    TokensService,
    TokenSuspensionService,
    AdminTokensService,
    LeakedCredentialsService,
    WebhookDispatcher,
    ExpiryJob,
  ],
  exports: [
    TokenHasher,
    CompanionCredentials,
    TokenBookkeepingService,
    TokenVerificationService,
    TokensService,
    TokenSuspensionService,
    AdminTokensService,
    LeakedCredentialsService,
    WebhookDispatcher,
    ExpiryJob,
  ],
})
export class TokensModule implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): Promise<void> {
    return assertSchema(this.dataSource, 'TokensModule', 'tokens', [
      PersonalAccessToken,
      PersonalAccessTokenScope,
      RetiredTokenDigest,
      WebhookDelivery,
      JobLease,
      TokenAddress,
    ]);
  }
}
