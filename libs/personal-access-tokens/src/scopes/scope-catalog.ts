import { ScopeResourceDefinition } from '../core/personal-access-tokens.options';
import { isGranted, parseScope } from './scope';

export type { ScopeResourceDefinition };

export interface ScopeDefinition {
  scope: string;
  description: string;
}

/** The service's own scopes; a host app adds its product scopes through the module options. */
export const BUILT_IN_SCOPES: readonly ScopeDefinition[] = [
  { scope: 'personal_access_tokens:read', description: 'List and view your personal access tokens' },
  { scope: 'personal_access_tokens:write', description: 'Create, change, rotate, revoke and delete your personal access tokens' },
  { scope: 'user:read', description: 'Read your own profile' },
  { scope: 'audit:read', description: 'Read the audit trail of your own actions' },
  { scope: 'admin:read', description: 'Administration: read users, all tokens and the whole audit trail' },
  { scope: 'admin:write', description: "Administration: manage users and everyone's tokens" },
  { scope: 'tokens:introspect', description: 'Ask whether another token is valid, and for what (gateways, services)' },
];

/**
 * Every scope a token can be given: the built-in ones plus the product's. A requested scope is
 * known when its `resource:action` is in the catalog; an entity id may narrow any of them.
 */
export class ScopeCatalog {
  private readonly definitions: ScopeDefinition[];
  private readonly known: Set<string>;

  constructor(productScopes: readonly ScopeResourceDefinition[] = []) {
    const product = productScopes.flatMap((resource) =>
      resource.actions.map((action) => ({
        scope: `${resource.resource}:${action}`,
        description: resource.description ? `${resource.description}: ${action}` : `${action} ${resource.resource}`,
      })),
    );
    for (const { scope } of product) {
      if (!parseScope(scope)) throw new Error(`Invalid product scope "${scope}": expected resource:action in lowercase`);
    }
    this.definitions = [...BUILT_IN_SCOPES, ...product];
    this.known = new Set(this.definitions.map((d) => d.scope));
  }

  all(): readonly ScopeDefinition[] {
    return this.definitions;
  }

  isKnown(scope: string): boolean {
    const parsed = parseScope(scope);
    return parsed !== undefined && this.known.has(`${parsed.resource}:${parsed.action}`);
  }

  /** The catalog entries a holder of `grants` may hand on. */
  grantable(grants: readonly string[]): ScopeDefinition[] {
    return this.definitions.filter((d) => isGranted(d.scope, grants));
  }
}
