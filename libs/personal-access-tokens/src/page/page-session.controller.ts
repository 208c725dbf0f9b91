import { Body, Controller, Delete, Get, HttpCode, Inject, Ip, Post, Req, Res, Type } from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { ApiForbiddenResponse, ApiNoContentResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { Auth, Public } from '../scopes/auth.decorators';
import { Principal } from '../scopes/principal';
import { SessionsService } from '../auth/sessions/sessions.service';
import { ForbiddenError } from '../core/domain-error';
import { ErrorResponseDto } from '../core/error-response.dto';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { RequireScopes } from '../scopes/require-scopes.decorator';
import { PageSessionDto, PageSignedInDto, PageSignInDto } from './dto/page-session.dto';
import { PAGE_OPTIONS, PageLogin, ResolvedPageOptions } from './page.options';
import { PageSessionCookie } from './page-session-cookie';

type HttpRequest = Parameters<PageSessionCookie['read']>[0];

/**
 * Sign-in, the signed-in person and sign-out for the page, at `<path>/api/session`. The session
 * secret only ever travels in the Set-Cookie header; the page's script never sees it.
 */
export function createPageSessionController(path: string): Type<unknown> {
  @ApiTags('page')
  @Controller(`${path}/api/session`)
  class PageSessionController {
    constructor(
      @Inject(PAGE_OPTIONS) private readonly options: ResolvedPageOptions,
      private readonly cookie: PageSessionCookie,
      private readonly moduleRef: ModuleRef,
      private readonly adapterHost: HttpAdapterHost,
    ) {}

    /** Sign in with email and password: sets the HttpOnly session cookie. Only from the page's own origin. */
    @Post()
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
      const login = this.moduleRef.get<PageLogin>(this.options.login, { strict: false });
      const session = await login.login({ email: body.email, password: body.password }, ip);
      this.adapterHost.httpAdapter.setHeader(response, 'Set-Cookie', this.cookie.issue(session.accessToken, session.expiresAt, request));
      return { expiresAt: session.expiresAt };
    }

    /** The signed-in person, the token policy and the CSRF token for this session. */
    @Get()
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
      const { policy, webhook } = this.moduleRef.get<ResolvedOptions>(PAT_OPTIONS, { strict: false });
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
      };
    }

    /** Sign out: ends the session on the server and removes the cookie. */
    @Delete()
    @HttpCode(204)
    @RequireScopes()
    @AuditAction('auth.logout', { target: 'session' })
    @ApiNoContentResponse()
    async signOut(@Auth() principal: Principal, @Req() request: HttpRequest, @Res({ passthrough: true }) response: object): Promise<void> {
      if (principal.sessionId) await this.moduleRef.get(SessionsService, { strict: false }).revoke(principal.sessionId);
      this.adapterHost.httpAdapter.setHeader(response, 'Set-Cookie', this.cookie.clear(request));
    }
  }
  return PageSessionController;
}
