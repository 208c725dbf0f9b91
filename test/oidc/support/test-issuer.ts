import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { AddressInfo } from 'node:net';

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/**
 * A CI identity-token issuer on a loopback port, as GitHub Actions and GitLab CI are one: its
 * discovery document, its JWKS (keys can be added and rotated), and ID tokens signed with jose.
 */
export class TestIssuer {
  /** Keys the JWKS serves; `sign` may use a key that is not (yet) among them. */
  private published: SigningKey[] = [];
  jwksFetches = 0;

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<TestIssuer> {
    const holder: { issuer?: TestIssuer } = {};
    const server = createServer((request, response) => {
      const issuer = holder.issuer!;
      if (request.url === '/.well-known/openid-configuration') {
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({ issuer: issuer.url, jwks_uri: `${issuer.url}/jwks`, id_token_signing_alg_values_supported: ['RS256'] }),
        );
      } else if (request.url === '/jwks') {
        issuer.jwksFetches++;
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify({ keys: issuer.published.map((key) => key.jwk) }));
      } else {
        response.statusCode = 404;
        response.end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.issuer = new TestIssuer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.issuer;
  }

  async newKey(publish = true): Promise<SigningKey> {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const kid = randomUUID();
    const key = { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
    if (publish) this.published.push(key);
    return key;
  }

  publish(key: SigningKey): void {
    this.published.push(key);
  }

  /** Key rotation: only these keys are served from now on. */
  rotateTo(...keys: SigningKey[]): void {
    this.published = [...keys];
  }

  /** An ID token: `now` is the app's clock; claims override the defaults (GitHub Actions' claim set). */
  async sign(key: SigningKey, now: Date, claims: JWTPayload = {}, issuer = this.url): Promise<string> {
    const iat = Math.floor(now.getTime() / 1000);
    return new SignJWT({
      jti: randomUUID(),
      sub: 'repo:acme/api:ref:refs/heads/main',
      aud: 'https://pat.example.test',
      iat,
      nbf: iat,
      exp: iat + 300,
      repository: 'acme/api',
      repository_owner: 'acme',
      ref: 'refs/heads/main',
      workflow: 'deploy',
      event_name: 'push',
      ...claims,
    })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(issuer)
      .sign(key.privateKey);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
