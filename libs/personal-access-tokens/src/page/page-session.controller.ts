import { Body, Delete, Get, HttpCode, Inject, Ip, Optional, Post, Req, Res, Type } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiForbiddenResponse, ApiNoContentResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { NoStore } from '../core/no-store.decorator';
import { Auth, Public } from '../scopes/auth.decorators';
import { Principal } from '../scopes/principal';
import { SessionsService } from '../auth/sessions/sessions.service';
import { ForbiddenError } from '../core/domain-error';
import { SignInMethods } from '../core/sign-in-methods';
import { TokenExchangeFeature } from '../core/token-exchange-feature';
import { ErrorResponseDto } from '../core/error-response.dto';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { RequireScopes } from '../scopes/require-scopes.decorator';
import { PageSessionDto, PageSignedInDto, PageSignInDto, PageSignInMethodsDto } from './dto/page-session.dto';
import { PAGE_OPTIONS, PageLogin, ResolvedPageOptions } from './page.options';
import { PageSessionCookie } from './page-session-cookie';

type HttpRequest = Parameters<PageSessionCookie['read']>[0];

/** Sign-in is left to the identity provider (`SignInMethods.passwordSignIn` false). */
export class PasswordSignInDisabledError extends ForbiddenError {
  constructor() {
    super('password_sign_in_disabled', 'Password sign-in is turned off here; sign in with your identity provider');
  }
}

/**
 * Sign-in, the signed-in person and sign-out for the page, at `<path>/api/session`. The session
 * secret only ever travels in the Set-Cookie header; the page's script never sees it.
 */
export function createPageSessionController(path: string): Type<unknown> {
  @ApiTags('page')
  @LibraryController(`${path}/api/session`)
  class PageSessionController {
    constructor(
      @Inject(PAGE_OPTIONS) private readonly options: ResolvedPageOptions,
      private readonly cookie: PageSessionCookie,
      private readonly adapterHost: HttpAdapterHost,
      private readonly login: PageLogin,
      private readonly sessions: SessionsService,
      @Inject(PAT_OPTIONS) private readonly pat: ResolvedOptions,
      @Optional() private readonly signInMethods?: SignInMethods,
      @Optional() private readonly tokenExchange?: TokenExchangeFeature,
    ) {}

    /** How people sign in here: with a password, and/or through the providers listed (single sign-on). */
    @Get('methods')
    @Public()
    @AuditAction('page.sign_in_methods', { target: null })
    methods(): PageSignInMethodsDto {
      return {
        password: this.signInMethods?.passwordSignIn ?? true,
        providers: (this.signInMethods?.providers ?? []).map(({ label, signInUrl, signOutUrl }) => ({ label, signInUrl, signOutUrl })),
      };
    }

    /** Sign in with email and password: sets the HttpOnly session cookie. Only from the page's own origin. */
    @Post()
    @NoStore()
    @Public()
    @HttpCode(200)
    @AuditAction('auth.login', { target: null, bodyFields: ['email'] })
    @ApiUnauthorizedResponse({ description: 'Wrong email or password', type: ErrorResponseDto })
    @ApiForbiddenResponse({ description: 'Not sent from the page itself', type: ErrorResponseDto })
    async signIn(
      @Body() body: PageSignInDto,
      @Ip() ip: string,
      @Req() request: HttpRequest,
      @Res({ passthrough: true }) response: object,
    ): Promise<PageSignedInDto> {
      // Login CSRF: another site must not sign the browser in to an account of its choosing.
      this.cookie.assertSameOrigin(request);
      if (this.signInMethods?.passwordSignIn === false) throw new PasswordSignInDisabledError();
      const session = await this.login.login({ email: body.email, password: body.password }, ip);
      this.adapterHost.httpAdapter.setHeader(response, 'Set-Cookie', this.cookie.issue(session.accessToken, session.expiresAt, request));
      return { expiresAt: session.expiresAt };
    }

    /** The signed-in person, the token policy and the CSRF token for this session. */
    @Get()
    @NoStore()
    @RequireScopes()
    @AuditAction('page.session', { target: null })
    @ApiUnauthorizedResponse({ description: 'Not signed in', type: ErrorResponseDto })
    @ApiForbiddenResponse({ description: 'Signed in otherwise than with the page cookie (`not_a_page_session`)', type: ErrorResponseDto })
    current(@Auth() principal: Principal, @Req() request: HttpRequest): PageSessionDto {
      const secret = this.cookie.secretOf(request);
      if (principal.method !== 'session' || secret === undefined) {
        throw new ForbiddenError('not_a_page_session', 'This route answers the page, signed in with its session cookie');
      }
      const { user } = principal;
      const { policy, webhook } = this.pat;
      return {
        user: {
          id: user.id,
          email: user.email,
          displayName: user.displayName,
          role: user.role,
          privileges: [...user.privileges],
          roleScopes: [...user.scopes],
        },
        csrfToken: this.cookie.csrfTokenFor(secret),
        policy: {
          defaultLifetimeDays: policy.defaultLifetimeDays,
          maxLifetimeDays: policy.maxLifetimeDays,
          allowNoExpiry: policy.allowNoExpiry,
          rotationIntervalSeconds: policy.rotationIntervalSeconds,
        },
        ownersNotified: webhook !== null,
        tokenExchange: this.tokenExchange !== undefined,
      };
    }

    /** Sign out: ends the session on the server and removes the cookie. */
    @Delete()
    @NoStore()
    @HttpCode(204)
    @RequireScopes()
    @AuditAction('auth.logout', { target: 'session' })
    @ApiNoContentResponse()
    async signOut(@Auth() principal: Principal, @Req() request: HttpRequest, @Res({ passthrough: true }) response: object): Promise<void> {
      if (principal.sessionId) await this.sessions.revoke(principal.sessionId);
      this.adapterHost.httpAdapter.setHeader(response, 'Set-Cookie', this.cookie.clear(request));
    }
  }
  return PageSessionController;
}
