import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  OidcModule,
  PersonalAccessTokensModule,
  PersonalAccessTokensPageModule,
  TokenExchangeModule,
} from '../libs/personal-access-tokens/src';
import { AdminBootstrapService } from './bootstrap/admin-bootstrap.service';
import { AppConfig } from './config/app-config';
import { APP_CONFIG } from './config/app-config.provider';
import { buildDataSourceOptions } from './database/data-source-options';
import { HealthController } from './health/health.controller';
import { HomeController } from './home/home.controller';
import { LoginController } from './login/login.controller';
import { LoginModule } from './login/login.module';
import { LoginService } from './login/login.service';

/** The standalone service: the library's modules on the configured database, plus the app shell. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const login = LoginModule.forRoot(config);
    return {
      module: AppModule,
      imports: [
        ScheduleModule.forRoot(),
        TypeOrmModule.forRoot({ ...buildDataSourceOptions(config.database, { logSql: config.logSql }), migrationsRun: true }),
        PersonalAccessTokensModule.forRoot({
          peppers: config.peppers,
          tokenPrefix: config.tokenPrefix,
          realm: config.realm,
          productScopes: config.productScopes,
          policy: config.policy,
          sessionTtlSeconds: config.sessionTtlSeconds,
          expiry: config.expiryJob,
          webhook: config.webhook,
          introspectionRateLimit: config.introspectionRateLimit,
          credentialRevocationRateLimit: config.credentialRevocationRateLimit,
          failedAuthLimit: config.failedAuthLimit,
          verificationCacheTtlSeconds: config.verificationCacheTtlSeconds,
          audit: { ...config.audit, allRoutes: true },
          // A service of its own, not a guest: fail closed everywhere, one error shape and one
          // validation everywhere (its own routes and unmatched paths too), and no other credentials.
          protectAllRoutes: true,
          otherBearerCredentials: 'refuse',
          globalErrorFilter: true,
          globalValidationPipe: true,
        }),
        // The self-service page signs people in through the same LoginService (and limits) as POST /auth/login.
        login,
        ...(config.page ? [PersonalAccessTokensPageModule.forRoot({ ...config.page, login: LoginService, imports: [login] })] : []),
        ...(config.oidc ? [OidcModule.forRoot(config.oidc)] : []),
        ...(config.tokenExchange ? [TokenExchangeModule.forRoot(config.tokenExchange)] : []),
      ],
      controllers: [HealthController, LoginController, HomeController],
      providers: [{ provide: APP_CONFIG, useValue: config }, AdminBootstrapService],
    };
  }
}
