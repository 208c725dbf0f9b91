import { loadAppConfig } from '../../src/config/load-config';

const base = { DATA_DIR: '/tmp/pat-oidc-config-test', TOKEN_PEPPER: 'x'.repeat(40) };
const oidc = {
  OIDC_ISSUER: 'https://keycloak.example.com/realms/acme',
  OIDC_CLIENT_ID: 'pat-service',
  OIDC_REDIRECT_URI: 'https://pat.example.com/auth/oidc/callback',
  OIDC_ROLE_MAP: 'pat-admins=admin, engineering=member',
};

describe('OIDC and token exchange configuration (validated at start-up)', () => {
  it('is off by default', () => {
    const config = loadAppConfig(base);
    expect(config.oidc).toBeNull();
    expect(config.tokenExchange).toBeNull();
  });

  it('reads the provider, the role map and password sign-in', () => {
    const config = loadAppConfig({ ...base, ...oidc, OIDC_CLIENT_SECRET: 's3cret', PASSWORD_SIGN_IN: 'false', OIDC_LABEL: 'Keycloak' });
    expect(config.oidc).toMatchObject({
      issuer: oidc.OIDC_ISSUER,
      clientId: 'pat-service',
      clientSecret: 's3cret',
      roleClaim: 'groups',
      roleMap: { 'pat-admins': 'admin', engineering: 'member' },
      defaultRole: null,
      passwordSignIn: false,
      label: 'Keycloak',
      pagePath: '/page',
    });
  });

  it.each([
    [{ OIDC_ISSUER: 'http://keycloak.example.com' }, 'OIDC_ISSUER must be an https URL'],
    [{ OIDC_CLIENT_ID: '' }, 'OIDC_CLIENT_ID is required'],
    [{ OIDC_REDIRECT_URI: 'https://pat.example.com/elsewhere' }, 'OIDC_REDIRECT_URI is required'],
    [{ OIDC_ROLE_MAP: '' }, 'OIDC_ROLE_MAP (group=role,...) or OIDC_DEFAULT_ROLE is required'],
    [{ OIDC_ROLE_MAP: 'admins' }, 'OIDC_ROLE_MAP entries look like group=role'],
  ])('refuses %j', (override, problem) => {
    expect(() => loadAppConfig({ ...base, ...oidc, ...override })).toThrow(problem);
  });

  it('accepts plain http on a loopback address only with OIDC_ALLOW_LOOPBACK_HTTP=true', () => {
    const local = {
      OIDC_ISSUER: 'http://localhost:41401',
      OIDC_REDIRECT_URI: 'http://127.0.0.1:41400/auth/oidc/callback',
      OIDC_POST_LOGOUT_REDIRECT_URI: 'http://127.0.0.1:41400/page',
    };
    expect(() => loadAppConfig({ ...base, ...oidc, ...local })).toThrow('OIDC_ISSUER must be an https URL');
    const config = loadAppConfig({ ...base, ...oidc, ...local, OIDC_ALLOW_LOOPBACK_HTTP: 'true' });
    expect(config.oidc).toMatchObject({ ...{ issuer: local.OIDC_ISSUER, redirectUri: local.OIDC_REDIRECT_URI }, allowLoopbackHttp: true });
    expect(() => loadAppConfig({ ...base, ...oidc, OIDC_ISSUER: 'http://idp.example.com', OIDC_ALLOW_LOOPBACK_HTTP: 'true' })).toThrow(
      'OIDC_ISSUER must be an https URL or http on a loopback address',
    );
  });

  it('refuses PASSWORD_SIGN_IN=false without a provider, and /oauth as the page path', () => {
    expect(() => loadAppConfig({ ...base, PASSWORD_SIGN_IN: 'false' })).toThrow('needs another way to sign in');
    expect(() => loadAppConfig({ ...base, PAGE_PATH: '/oauth' })).toThrow('PAGE_PATH');
  });

  it('turns token exchange on with its skew and rate limit, refusing values out of range', () => {
    const config = loadAppConfig({ ...base, TOKEN_EXCHANGE_ENABLED: 'true', TOKEN_EXCHANGE_RATE_LIMIT_PER_MINUTE: '20' });
    expect(config.tokenExchange).toEqual({
      clockSkewSeconds: 30,
      rateLimit: { limit: 20, windowSeconds: 60 },
      allowLoopbackHttpIssuers: false,
    });
    const local = loadAppConfig({ ...base, TOKEN_EXCHANGE_ENABLED: 'true', TOKEN_EXCHANGE_ALLOW_LOOPBACK_HTTP: 'true' });
    expect(local.tokenExchange?.allowLoopbackHttpIssuers).toBe(true);
    expect(() => loadAppConfig({ ...base, TOKEN_EXCHANGE_ENABLED: 'true', TOKEN_EXCHANGE_CLOCK_SKEW_SECONDS: '3600' })).toThrow(
      'TOKEN_EXCHANGE_CLOCK_SKEW_SECONDS',
    );
  });
});
