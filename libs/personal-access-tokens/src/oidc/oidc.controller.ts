import { Get, Optional, Query, Req, Res } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiFoundResponse, ApiQuery, ApiTags } from '@nestjs/swagger';
import { attributeAuditActor } from '../core/audit-context';
import { Clock } from '../core/clock';
import { AuditAction } from '../core/audit.decorators';
import { BadRequestError } from '../core/domain-error';
import { Public } from '../scopes/auth.decorators';
import { Endpoint } from '../scopes/endpoint.decorator';
import { PageSessionCookie, readCookie } from '../page/page-session-cookie';
import { OidcService } from './oidc.service';
import { OidcSessionDto } from './dto/oidc-session.dto';

const STATE_COOKIE = 'pat_oidc_state';
const SIGNED_IN_COOKIE = 'pat_oidc_page';

type HttpRequest = Parameters<PageSessionCookie['read']>[0] & { url?: string; originalUrl?: string };

/**
 * Sign-in through the OpenID provider, at `/auth/oidc`: `login` sends the browser to the provider,
 * `callback` signs the person in (the page's cookie, or a session token for an API client) and
 * `logout` sends the browser on to the provider's end-session endpoint.
 */
@ApiTags('auth')
@LibraryController('auth/oidc')
export class OidcController {
  constructor(
    private readonly oidc: OidcService,
    private readonly adapterHost: HttpAdapterHost,
    private readonly clock: Clock,
    @Optional() private readonly pageCookie?: PageSessionCookie,
  ) {}

  /**
   * Start signing in with the identity provider
   * @remarks Redirects to the provider. `target=page` (default) signs in to the self-service page;
   * `target=api` answers the callback with a session token for `Authorization: Bearer`.
   */
  @Get('login')
  @Public()
  @AuditAction('auth.oidc_start', { target: null })
  @ApiQuery({ name: 'target', required: false, enum: ['page', 'api'] })
  @ApiFoundResponse({ description: "To the provider's authorization endpoint" })
  @Endpoint({ operationId: 'oidcLogin', errors: { 400: 'Unknown target' } })
  async login(@Query('target') target: unknown, @Req() request: HttpRequest, @Res() response: object): Promise<void> {
    const chosen = target === undefined ? 'page' : target;
    if (chosen !== 'page' && chosen !== 'api') {
      throw new BadRequestError('validation_failed', 'The request is invalid: target must be page or api', [
        { field: 'target', reason: 'must be page or api' },
      ]);
    }
    if (chosen === 'page' && !this.pageCookie)
      throw new BadRequestError('page_not_served', 'The self-service page is not served here; use target=api');
    const started = await this.oidc.start(chosen);
    // Lax, not Strict: the provider's redirect back is a cross-site navigation that must carry it.
    this.setCookie(response, `${STATE_COOKIE}=${started.state}; Path=/auth/oidc; Max-Age=600; HttpOnly; SameSite=Lax${secure(request)}`);
    this.redirect(response, started.authorizationUrl);
  }

  /**
   * The provider's redirect back (authorization code)
   * @remarks For the page: sets the session cookie and answers a small HTML page that moves on to
   * the page by itself (a same-site navigation, which carries the SameSite=Strict cookie). For an
   * API client: answers the session token (`OidcSessionDto`).
   */
  @Get('callback')
  @Public()
  @AuditAction('auth.oidc_callback', { target: null })
  @Endpoint({
    operationId: 'oidcCallback',
    errors: {
      400: 'Not the sign-in this browser started (`oidc_state_mismatch`)',
      403: 'Deactivated, or no role maps (`oidc_role_not_mapped`)',
    },
  })
  async callback(@Req() request: HttpRequest, @Res() response: object): Promise<void> {
    const url = request.originalUrl ?? request.url ?? '';
    const query = url.includes('?') ? url.slice(url.indexOf('?') + 1) : '';
    const clearState = `${STATE_COOKIE}=; Path=/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax${secure(request)}`;
    this.setCookie(response, clearState);
    const { user, session, target } = await this.oidc.complete(query, readCookie(request, STATE_COOKIE));
    attributeAuditActor({ userId: user.id, email: user.email, authMethod: 'session' }, request);
    if (target === 'api' || !this.pageCookie) {
      const body: OidcSessionDto = { accessToken: session.secret, tokenType: 'Bearer', expiresAt: session.expiresAt };
      this.adapterHost.httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
      this.adapterHost.httpAdapter.reply(response, body, 200);
      return;
    }
    this.setCookie(response, [
      clearState,
      this.pageCookie.issue(session.secret, session.expiresAt, request),
      `${SIGNED_IN_COOKIE}=1; Path=/auth/oidc; Max-Age=${Math.max(0, Math.floor((session.expiresAt.getTime() - this.clock.now().getTime()) / 1000))}; HttpOnly; SameSite=Lax${secure(request)}`,
    ]);
    this.continueToPage(response);
  }

  /**
   * After signing out of the page: on to the provider's end-session endpoint
   * @remarks RP-initiated logout when the person signed in through the provider and the provider
   * offers it; otherwise back to the page. The page ends its own session first.
   */
  @Get('logout')
  @Public()
  @AuditAction('auth.oidc_logout', { target: null })
  @ApiFoundResponse({ description: "To the provider's end-session endpoint, or to the page" })
  @Endpoint({ operationId: 'oidcLogout' })
  logout(@Req() request: HttpRequest, @Res() response: object): void {
    const endSession = readCookie(request, SIGNED_IN_COOKIE) === '1' ? this.oidc.endSessionUrl() : null;
    this.setCookie(response, `${SIGNED_IN_COOKIE}=; Path=/auth/oidc; Max-Age=0; HttpOnly; SameSite=Lax${secure(request)}`);
    this.redirect(response, endSession ?? this.oidc.pagePath);
  }

  private setCookie(response: object, value: string | string[]): void {
    this.adapterHost.httpAdapter.setHeader(response, 'Set-Cookie', value as string);
  }

  /**
   * The browser came here from the provider's site, and a redirect would carry that navigation on
   * to the page: the browser would then withhold the page's SameSite=Strict session cookie from
   * the page's first request, and the page would ask to sign in again. A small page of this origin
   * that moves on by itself (meta refresh, no script) makes the next request a same-site one.
   */
  private continueToPage(response: object): void {
    const target = escapeHtml(this.oidc.pagePath);
    const adapter = this.adapterHost.httpAdapter;
    adapter.setHeader(response, 'Content-Type', 'text/html; charset=utf-8');
    adapter.setHeader(response, 'Cache-Control', 'no-store');
    adapter.setHeader(response, 'Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    // The callback's URL holds the code and the state: never a Referer.
    adapter.setHeader(response, 'Referrer-Policy', 'no-referrer');
    adapter.reply(
      response,
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${target}">` +
        `<title>Signed in</title></head><body><p>Signed in. <a href="${target}">Continue to the page</a>.</p></body></html>`,
      200,
    );
  }

  /** The route answers itself (`@Res()`): a redirect, where Nest would otherwise send its default status. */
  private redirect(response: object, location: string): void {
    this.adapterHost.httpAdapter.redirect(response, 302, location);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function secure(request: HttpRequest): string {
  return request.protocol === 'https' ? '; Secure' : '';
}
