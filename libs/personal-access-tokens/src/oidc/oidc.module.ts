import { DynamicModule, Module, OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuthModule } from '../auth/auth.module';
import { assertSchema } from '../core/schema-check';
import { SignInMethods } from '../core/sign-in-methods';
import { UsersModule } from '../users/users.module';
import { Role } from '../users/role.entity';
import { User } from '../users/user.entity';
import { OidcController } from './oidc.controller';
import { OIDC_OPTIONS, OidcSignInOptions, resolveOidcOptions, ResolvedOidcOptions } from './oidc.options';
import { OidcService } from './oidc.service';
import { OidcIdentity } from './oidc-identity.entity';
import { OidcSignInAttempt } from './oidc-sign-in-attempt.entity';

/**
 * Sign-in through an OpenID Connect provider (`/auth/oidc/login`, `/callback`, `/logout`), for the
 * self-service page and for API sessions. Needs the library's own users (`UsersModule`, part of
 * `PersonalAccessTokensModule` unless a `userDirectory` replaces it): people are provisioned
 * there on their first sign-in. Global, so that the page and the password login see `SignInMethods`.
 *
 * @example
 * imports: [
 *   PersonalAccessTokensModule.forRoot({ peppers }),
 *   PersonalAccessTokensPageModule.forRoot({ path: '/page', login: LoginService }),
 *   OidcModule.forRoot({ issuer, clientId, clientSecret, redirectUri, roleMap: { 'pat-admins': 'admin' }, defaultRole: 'member' }),
 * ]
 */
@Module({})
export class OidcModule implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): Promise<void> {
    return assertSchema(this.dataSource, 'OidcModule', 'oidc', [OidcIdentity, OidcSignInAttempt]);
  }

  static forRoot(options: OidcSignInOptions): DynamicModule {
    const resolved = resolveOidcOptions(options);
    return {
      module: OidcModule,
      global: true,
      imports: [TypeOrmModule.forFeature([OidcIdentity, OidcSignInAttempt, User, Role]), UsersModule, AuthModule],
      controllers: [OidcController],
      providers: [
        { provide: OIDC_OPTIONS, useValue: resolved },
        OidcService,
        {
          provide: SignInMethods,
          inject: [OIDC_OPTIONS, OidcService],
          useFactory: (oidc: ResolvedOidcOptions, service: OidcService): SignInMethods => ({
            passwordSignIn: oidc.passwordSignIn,
            providers: [
              {
                label: oidc.label,
                signInUrl: '/auth/oidc/login?target=page',
                get signOutUrl() {
                  return service.endSessionSupported ? '/auth/oidc/logout' : null;
                },
              },
            ],
          }),
        },
      ],
      exports: [SignInMethods, OidcService],
    };
  }
}
