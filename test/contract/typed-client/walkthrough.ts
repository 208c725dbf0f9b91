// Generated types: npx openapi-typescript http://localhost:3000/docs-json -o generated/api.d.ts
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/api';

type ApiError = components['schemas']['ErrorResponseDto'];

function fail(step: string, error: ApiError): never {
  throw new Error(`${step}: ${error.statusCode} ${error.code}: ${error.message}`);
}

/** Logs in, then manages one token through its whole life, as a user's script would. */
export async function walkthrough(baseUrl: string, email: string, password: string) {
  const api = createClient<paths, 'application/json'>({ baseUrl });
  const login = await api.POST('/auth/login', { body: { email, password } });
  if (login.error) fail('login', login.error);
  const session = createClient<paths, 'application/json'>({ baseUrl, headers: { Authorization: `Bearer ${login.data.accessToken}` } });

  const created = await session.POST('/user/me/personal-access-tokens', {
    body: { name: 'ci-deploy', scopes: ['personal_access_tokens:read', 'audit:read'], expiresIn: '30d' },
  });
  if (created.error) fail('create', created.error);
  const id = created.data.id;
  const path = { id };

  // The new token lists its owner's tokens; defaulted parameters (page, pageSize, sort, order) may be left out.
  const pat = createClient<paths, 'application/json'>({ baseUrl, headers: { Authorization: `Bearer ${created.data.token}` } });
  const listed = await pat.GET('/user/me/personal-access-tokens', { params: { query: { status: 'active', search: 'ci-' } } });
  if (listed.error) fail('list', listed.error);

  // The rotate body is optional: the new secret gets the default lifetime.
  const rotated = await session.PATCH('/user/me/personal-access-tokens/{id}/rotate', { params: { path } });
  if (rotated.error) fail('rotate', rotated.error);

  const revoked = await session.POST('/user/me/personal-access-tokens/{id}/revoke', { params: { path } });
  if (revoked.error) fail('revoke', revoked.error);

  const regenerated = await session.POST('/user/me/personal-access-tokens/{id}/regenerate', {
    params: { path },
    body: { expiresIn: '7d' },
  });
  if (regenerated.error) fail('regenerate', regenerated.error);

  const added = await session.POST('/user/me/personal-access-tokens/{id}/scopes', { params: { path }, body: { scope: 'user:read' } });
  if (added.error) fail('add scope', added.error);

  const removed = await session.DELETE('/user/me/personal-access-tokens/{id}/scopes/{scope}', {
    params: { path: { id, scope: 'personal_access_tokens:read' } },
  });
  if (removed.error) fail('remove scope', removed.error);

  // The token's audit trail (what was done with it and to it), read with its new secret (it kept audit:read).
  const renewed = createClient<paths, 'application/json'>({ baseUrl, headers: { Authorization: `Bearer ${regenerated.data.token}` } });
  const trail = await renewed.GET('/user/me/audit-events', { params: { query: { tokenId: id, limit: 100 } } });
  if (trail.error) fail('audit trail', trail.error);

  return {
    id,
    listed: listed.data.items.map((token) => token.id),
    rotatedSecretChanged: rotated.data.token !== created.data.token,
    revokedStatus: revoked.data.status,
    regeneratedStatus: regenerated.data.status,
    scopesAfterAdd: added.data.scopes,
    removedStatus: removed.response.status,
    trail: trail.data.items.map((event) => event.action),
  };
}

if (require.main === module) {
  const { PAT_URL = 'http://localhost:3000', PAT_EMAIL = 'admin@example.com', PAT_PASSWORD = '' } = process.env;
  walkthrough(PAT_URL, PAT_EMAIL, PAT_PASSWORD).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
