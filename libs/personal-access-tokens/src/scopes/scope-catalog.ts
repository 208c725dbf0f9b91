import { ScopeResourceDefinition } from '../core/personal-access-tokens.options';
import { isGranted, parseScope } from './scope';

export type { ScopeResourceDefinition };

export interface ScopeDefinition {
  scope: string;
  description: string;
  /** The resource's name in words, such as "Personal access tokens". */
  resourceTitle: string;
  /** What the resource is, in a sentence. */
  resourceDescription: string;
  /** Whether narrowing it to one entity (`resource:action:entityId`) means something. */
  perEntity: boolean;
  /**
   * Reaches something sensitive: with `policy.requireAllowListForSensitiveScopes`, a token holding
   * it must be bound to an IP allow-list.
   */
  sensitive: boolean;
}

/** The service's own resources, in words; none of them has entities a token could be narrowed to. */
const BUILT_IN_RESOURCES: Record<string, { title: string; description: string }> = {
  personal_access_tokens: { title: 'Personal access tokens', description: 'Your own tokens: list, create, rotate, revoke and delete them' },
  user: { title: 'Profile', description: 'Your own user profile' },
  audit: { title: 'Audit trail', description: 'The record of what you did, and what was done with your tokens' },
  admin: { title: 'Administration', description: "Users, everyone's tokens and the whole audit trail" },
  tokens: { title: 'Token introspection', description: 'Ask whether another token is valid, and for what' },
};

/** Actions on a collection rather than on one of its entities: never narrowed to one. */
const COLLECTION_ACTIONS = new Set(['create', 'list']);

function builtIn(scope: string, description: string, sensitive = false): ScopeDefinition {
  const resource = BUILT_IN_RESOURCES[scope.split(':')[0]];
  return { scope, description, resourceTitle: resource.title, resourceDescription: resource.description, perEntity: false, sensitive };
}

/** ['read', 'create', 'delete'] -> "read, create and delete". */
function listed(words: string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/** `dashboard_items` -> "Dashboard items", for a product resource declared without a description. */
function titleOf(resource: string): string {
  const words = resource.replace(/[_.-]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The service's own scopes; a host app adds its product scopes through the module options. */
export const BUILT_IN_SCOPES: readonly ScopeDefinition[] = [
  builtIn('personal_access_tokens:read', 'List and view your personal access tokens'),
  builtIn('personal_access_tokens:write', 'Create, change, rotate, revoke and delete your personal access tokens'),
  builtIn('user:read', 'Read your own profile'),
  builtIn('audit:read', 'Read the audit trail of your own actions'),
  builtIn('admin:read', 'Administration: read users, all tokens and the whole audit trail', true),
  builtIn('admin:write', "Administration: manage users and everyone's tokens", true),
  builtIn('tokens:introspect', 'Ask whether another token is valid, and for what (gateways, services)'),
];

/**
 * Every scope a token can be given: the built-in ones plus the product's. A requested scope is
 * known when its `resource:action` is in the catalog; an entity id may narrow any of them.
 */
export class ScopeCatalog {
  private readonly definitions: ScopeDefinition[];
  private readonly known: Set<string>;
  private readonly sensitive: Set<string>;

  constructor(productScopes: readonly ScopeResourceDefinition[] = []) {
    const product = productScopes.flatMap((resource) =>
      resource.actions.map((action) => ({
        scope: `${resource.resource}:${action}`,
        description: resource.description ? `${resource.description}: ${action}` : `${action} ${resource.resource}`,
        resourceTitle: resource.description ?? titleOf(resource.resource),
        resourceDescription: titleOf(`${listed(resource.actions)} ${resource.resource.replace(/[_.-]+/g, ' ')}`),
        perEntity: !COLLECTION_ACTIONS.has(action),
        sensitive: resource.sensitive === true || (Array.isArray(resource.sensitive) && resource.sensitive.includes(action)),
      })),
    );
    for (const { scope } of product) {
      if (!parseScope(scope)) throw new Error(`Invalid product scope "${scope}": expected resource:action in lowercase`);
    }
    this.definitions = [...BUILT_IN_SCOPES, ...product];
    this.known = new Set(this.definitions.map((d) => d.scope));
    this.sensitive = new Set(this.definitions.filter((d) => d.sensitive).map((d) => d.scope));
  }

  all(): readonly ScopeDefinition[] {
    return this.definitions;
  }

  /** Whether `scope` (narrowed to an entity or not) reaches a resource the catalog marks sensitive. */
  isSensitive(scope: string): boolean {
    const parsed = parseScope(scope);
    return parsed !== undefined && this.sensitive.has(`${parsed.resource}:${parsed.action}`);
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
