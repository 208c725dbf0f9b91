import { DynamicModule, Global, Module, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FailedRequestRecorder } from '../core/api-exception.filter';
import { FailedRequestRelay } from '../core/failed-request-relay';
import { assertSchema } from '../core/schema-check';
import { TokenExchangeFeature } from '../core/token-exchange-feature';
import { ScopesModule } from '../scopes/scopes.module';
import { TokensModule } from '../tokens/tokens.module';
import { IssuerKeysService } from './issuer-keys.service';
import { OAuthErrorFilter } from './oauth-error.filter';
import { TokenExchangeController } from './token-exchange.controller';
import { resolveTokenExchangeOptions, TOKEN_EXCHANGE_OPTIONS, TokenExchangeOptions } from './token-exchange.options';
import { TokenExchangePoliciesController } from './token-exchange-policies.controller';
import { TokenExchangePoliciesService } from './token-exchange-policies.service';
import { TokenExchangePolicy } from './token-exchange-policy.entity';
import { TokenExchangeReplay } from './token-exchange-replay.entity';
import { TokenExchangeService } from './token-exchange.service';

const FORM = 'application/x-www-form-urlencoded';

type FastifyLike = {
  hasContentTypeParser(type: string): boolean;
  addContentTypeParser(
    type: string,
    options: { parseAs: 'string' },
    parser: (request: unknown, body: string, done: (error: Error | null, value?: unknown) => void) => void,
  ): void;
};

/**
 * RFC 8693 token exchange for CI: `POST /oauth/token` turns a GitHub Actions or GitLab CI ID
 * token into a PAT of at most an hour under a trust policy, and `/admin/token-exchange-policies`
 * manages the policies. Import it beside `PersonalAccessTokensModule`. On Fastify it adds a parser
 * of form bodies (`application/x-www-form-urlencoded`) when the app has none; Express parses them already.
 *
 * @example
 * imports: [PersonalAccessTokensModule.forRoot({ peppers }), TokenExchangeModule.forRoot({ clockSkewSeconds: 30 })]
 */
/** Tells the rest of the app (the page) that token exchange is served. */
@Global()
@Module({
  providers: [{ provide: TokenExchangeFeature, useValue: { policiesPath: '/admin/token-exchange-policies' } }],
  exports: [TokenExchangeFeature],
})
class TokenExchangeFeatureModule {}

@Module({})
export class TokenExchangeModule implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly dataSource: DataSource,
  ) {}

  static forRoot(options: TokenExchangeOptions = {}): DynamicModule {
    return {
      module: TokenExchangeModule,
      imports: [TypeOrmModule.forFeature([TokenExchangePolicy, TokenExchangeReplay]), ScopesModule, TokensModule, TokenExchangeFeatureModule],
      controllers: [TokenExchangeController, TokenExchangePoliciesController],
      providers: [
        { provide: TOKEN_EXCHANGE_OPTIONS, useValue: resolveTokenExchangeOptions(options) },
        // The token endpoint's own filter records refusals in the audit trail like the global one.
        { provide: FailedRequestRecorder, useExisting: FailedRequestRelay },
        OAuthErrorFilter,
        IssuerKeysService,
        TokenExchangeService,
        TokenExchangePoliciesService,
      ],
      exports: [TokenExchangeService, TokenExchangePoliciesService],
    };
  }

  async onModuleInit(): Promise<void> {
    await assertSchema(this.dataSource, 'TokenExchangeModule', 'tokenExchange', [TokenExchangePolicy, TokenExchangeReplay]);
    const adapter = this.adapterHost.httpAdapter;
    if (adapter?.getType() !== 'fastify') return;
    const fastify = adapter.getInstance<FastifyLike>();
    if (fastify.hasContentTypeParser(FORM)) return;
    fastify.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
      // A parameter given twice becomes a list, which validation refuses (RFC 6749 3.2: at most once).
      const fields: Record<string, string | string[]> = {};
      for (const [name, value] of new URLSearchParams(body)) {
        const seen = fields[name];
        fields[name] = seen === undefined ? value : ([] as string[]).concat(seen, value);
      }
      done(null, fields);
    });
  }
}
