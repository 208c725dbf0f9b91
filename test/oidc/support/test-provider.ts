import { createServer, type Server } from 'node:http';
import { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface TestAccount {
  email: string;
  email_verified?: boolean;
  name?: string;
  groups?: string[];
}

export const CLIENT_ID = 'pat-service';
export const CLIENT_SECRET = 'a-test-client-secret-of-enough-length';

/**
 * A real OpenID provider (`oidc-provider`, certified) in-process on a loopback port, with its
 * development login and consent screens: any login name is an account of `accounts`.
 */
export class TestProvider {
  readonly accounts = new Map<string, TestAccount>();
  /** Seconds an authorization code lives (the provider's default is 60). */
  codeTtlSeconds = 60;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
  ) {}

  /**
   * `host` names the issuer: `localhost` puts the provider on another site than a service on 127.0.0.1.
   * `claimsInIdToken` false is oidc-provider's default: email and groups only at the userinfo endpoint.
   */
  static async start(
    redirectUris: string[],
    postLogoutRedirectUris: string[],
    { host = '127.0.0.1', claimsInIdToken = true }: { host?: string; claimsInIdToken?: boolean } = {},
  ): Promise<TestProvider> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const issuer = `http://${host}:${(server.address() as AddressInfo).port}`;
    const test = new TestProvider(server, issuer);
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: redirectUris,
          post_logout_redirect_uris: postLogoutRedirectUris,
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      // The claims go into the ID token itself (unless the test asks for userinfo only).
      conformIdTokenClaims: !claimsInIdToken,
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
      scopes: ['openid', 'email', 'profile', 'groups'],
      ttl: { AuthorizationCode: () => test.codeTtlSeconds },
      findAccount: (_ctx, id) => {
        const account = test.accounts.get(id);
        return account ? { accountId: id, claims: () => ({ sub: id, ...account }) } : undefined;
      },
      features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    });
    // Quiet: the dev interactions warn on every start.
    provider.on('server_error', () => undefined);
    server.on('request', provider.callback());
    return test;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A browser without a browser: cookies per host, redirects followed by hand. */
export class CookieJar {
  private readonly cookies = new Map<string, Map<string, string>>();

  header(url: string): string {
    return [...(this.cookies.get(new URL(url).host) ?? new Map()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(url: string, setCookies: string[]): void {
    const host = new URL(url).host;
    const jar = this.cookies.get(host) ?? new Map<string, string>();
    for (const line of setCookies) {
      const [pair] = line.split(';');
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      if (!value || /max-age=0/i.test(line)) jar.delete(name);
      else jar.set(name, value);
    }
    this.cookies.set(host, jar);
  }
}

/**
 * Walks the provider's login and consent screens as `login` from `authorizationUrl`, and answers
 * the URL the provider finally redirects to (the relying party's callback, with code and state).
 */
export async function signInAtProvider(authorizationUrl: string, login: string, stopAt: string, jar = new CookieJar()): Promise<string> {
  let url = authorizationUrl;
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(stopAt)) return url;
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      redirect: 'manual',
      headers: { cookie: jar.header(url), ...(body && { 'content-type': 'application/x-www-form-urlencoded' }) },
      body,
    });
    jar.store(url, response.headers.getSetCookie());
    body = undefined;
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`the provider answered ${response.status} without a form: ${html.slice(0, 300)}`);
    url = new URL(action.replace(/&amp;/g, '&'), url).href;
    body = new URLSearchParams(prompt === 'login' ? { prompt, login, password: 'any' } : { prompt });
  }
  throw new Error('too many steps at the provider');
}
