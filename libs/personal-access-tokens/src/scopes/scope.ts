/**
 * Scopes are `resource:action`, or `resource:action:entityId` for one entity. Grants held by a
 * role (or a token) are patterns: `*` for a whole part, and a leading `!` to deny, so a role can
 * say "everything except admin" as `['*', '!admin:*']`.
 */
export const SCOPE_PATTERN = /^[a-z][a-z0-9_.-]{0,63}:[a-z][a-z0-9_-]{0,31}(:[A-Za-z0-9_.-]{1,64})?$/;
const GRANT_PATTERN = /^!?(\*|[a-z][a-z0-9_.-]{0,63})(:(\*|[a-z][a-z0-9_-]{0,31})(:[A-Za-z0-9_.-]{1,64})?)?$/;

export interface ParsedScope {
  resource: string;
  action: string;
  entityId?: string;
}

export function parseScope(scope: string): ParsedScope | undefined {
  if (!SCOPE_PATTERN.test(scope)) return undefined;
  const [resource, action, entityId] = scope.split(':');
  return entityId === undefined ? { resource, action } : { resource, action, entityId };
}

export function isValidGrantPattern(pattern: string): boolean {
  return GRANT_PATTERN.test(pattern);
}

/** Whether one grant pattern (without `!`) covers a requested scope. */
function covers(pattern: string, requested: ParsedScope): boolean {
  const [resource, action = '*', entityId] = pattern.split(':');
  if (resource !== '*' && resource !== requested.resource) return false;
  if (action !== '*' && action !== requested.action) return false;
  return entityId === undefined || entityId === requested.entityId;
}

/**
 * Whether `requested` is granted by `grants`: some allow pattern covers it and no deny pattern
 * does. A grant without an entity id covers every entity: `reports:read` grants
 * `reports:read:42`, never the other way round.
 *
 * @example
 * isGranted('reports:read:42', ['reports:read']); // true
 * isGranted('admin:read', ['*', '!admin:*']);      // false
 */
export function isGranted(requested: string, grants: readonly string[]): boolean {
  const parsed = parseScope(requested);
  if (!parsed) return false;
  let allowed = false;
  for (const grant of grants) {
    if (grant.startsWith('!')) {
      if (covers(grant.slice(1), parsed)) return false;
    } else if (!allowed && covers(grant, parsed)) {
      allowed = true;
    }
  }
  return allowed;
}
