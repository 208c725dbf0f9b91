import { Inject, Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { CookieCredentials } from '../auth/cookie-credentials';
import { CredentialReading } from '../auth/credentials';
import { safeEqualDigest } from '../tokens/token-hasher';
import { Clock } from '../core/clock';
import { ForbiddenError } from '../core/domain-error';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { PAGE_OPTIONS, ResolvedPageOptions } from './page.options';

/** Methods that change nothing; every other one must prove it comes from the page itself. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';

interface CookieRequest {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  /** https behind a trusted proxy too (Fastify's and Express's own reading of X-Forwarded-Proto). */
  protocol?: string;
  /** The host the client asked for, X-Forwarded-Host included behind a trusted proxy (Fastify and Express). */
  host?: string;
}

export class CrossSiteRequestError extends ForbiddenError {
  constructor(reason: string) {
    super('cross_site_request', `This request did not come from the page itself (${reason}); reload the page and try again`);
  }
}

function header(request: CookieRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Every value of one cookie in a `Cookie` header (a browser sends one per matching path and domain). */
function cookieValues(request: CookieRequest, name: string): string[] {
  const values: string[] = [];
  for (const part of (header(request, 'cookie') ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) values.push(part.slice(at + 1).trim());
  }
  return values;
}

/** One cookie's value; none when it is missing or sent more than once (a planted twin wins nothing). */
export function readCookie(request: CookieRequest, name: string): string | undefined {
  const values = cookieValues(request, name);
  return values.length === 1 ? values[0] : undefined;
}

/** What a request's cookies say about the session: none, one secret, or several (planted) ones. */
type SessionCookie = { kind: 'none' } | { kind: 'one'; secret: string } | { kind: 'ambiguous' };

const AMBIGUOUS = 'Send one session cookie: this request carries several';

/**
 * The page's session: a login session secret in an HttpOnly, SameSite=Strict cookie (Secure over
 * HTTPS), which the page's script can never read. A request carrying it that changes anything
 * must also show that the page made it: an `Origin` of this very host, and an `X-CSRF-Token`
 * bound to the session (HMAC of the secret under the server's pepper, handed to the page by
 * `GET <path>/api/session`). A form posted from another site has neither (and, with SameSite,
 * no cookie either).
 */
@Injectable()
export class PageSessionCookie extends CookieCredentials {
  constructor(
    @Inject(PAGE_OPTIONS) private readonly options: ResolvedPageOptions,
    @Inject(PAT_OPTIONS) private readonly pat: ResolvedOptions,
    private readonly clock: Clock,
  ) {
    super();
  }

  read(request: CookieRequest): CredentialReading {
    const cookie = this.sessionCookieOf(request);
    if (cookie.kind === 'ambiguous') return { kind: 'invalid', description: AMBIGUOUS };
    const secret = cookie.kind === 'one' ? cookie.secret : undefined;
    if (secret === undefined) return { kind: 'missing' };
    if (!SAFE_METHODS.has((request.method ?? 'GET').toUpperCase())) this.assertSameOrigin(request, secret);
    return { kind: 'token', token: secret };
  }

  /** The session secret in the cookie, if there is exactly one. */
  secretOf(request: CookieRequest): string | undefined {
    const cookie = this.sessionCookieOf(request);
    return cookie.kind === 'one' ? cookie.secret : undefined;
  }

  /**
   * Over HTTPS the cookie is `__Host-<name>` (Secure, Path=/, no Domain): a sibling subdomain or a
   * plain-HTTP page cannot set one, so a plain `<name>` there is planted and ignored. Over HTTP,
   * `<name>`. Several values of the cookie that counts (one planted beside the real one, for a
   * path or a parent domain) are refused, never resolved by order. A value holding anything but
   * a session secret (a PAT, say) counts as none.
   */
  private sessionCookieOf(request: CookieRequest): SessionCookie {
    const values = new Set(cookieValues(request, this.cookieNameFor(request)));
    if (values.size > 1) return { kind: 'ambiguous' };
    const [value] = values;
    return value && value.startsWith(this.pat.sessionTokenPrefix) && /^[A-Za-z0-9_]{1,256}$/.test(value)
      ? { kind: 'one', secret: value }
      : { kind: 'none' };
  }

  private cookieNameFor(request: CookieRequest): string {
    return request.protocol === 'https' ? `__Host-${this.options.cookieName}` : this.options.cookieName;
  }

  csrfTokenFor(secret: string): string {
    return this.csrfCandidates(secret)[0];
  }

  /** Refuses a state-changing request that another origin could have sent. */
  assertSameOrigin(request: CookieRequest, secret?: string): void {
    const origin = header(request, 'origin');
    const host = typeof request.host === 'string' && request.host ? request.host : header(request, 'host');
    if (!origin || !host) throw new CrossSiteRequestError('no Origin header');
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw new CrossSiteRequestError('unreadable Origin header');
    }
    if (originHost !== host) throw new CrossSiteRequestError('sent from another origin');
    if (secret === undefined) return;
    const given = header(request, CSRF_HEADER) ?? '';
    if (!this.csrfCandidates(secret).some((expected) => safeEqualDigest(given, expected))) {
      throw new CrossSiteRequestError('missing or wrong X-CSRF-Token');
    }
  }

  /** Set-Cookie for a new session. */
  issue(secret: string, expiresAt: Date, request: CookieRequest): string {
    const now = this.clock.now();
    const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - now.getTime()) / 1000));
    return this.serialize(secret, maxAge, request);
  }

  /** Set-Cookie that removes the session cookie. */
  clear(request: CookieRequest): string {
    return this.serialize('', 0, request);
  }

  private serialize(value: string, maxAgeSeconds: number, request: CookieRequest): string {
    const secure = request.protocol === 'https' ? '; Secure' : '';
    return `${this.cookieNameFor(request)}=${value}; Path=/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
  }

  /** One per pepper, current first, so that a pepper rotation does not break open pages. */
  private csrfCandidates(secret: string): string[] {
    return this.pat.peppers.map((pepper) => createHmac('sha256', pepper).update(`page-csrf\0${secret}`).digest('base64url'));
  }
}
