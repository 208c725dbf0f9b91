import type { ScopeEntry } from './api';

/* Scopes read as people read GitHub's fine-grained permissions: per resource, No access, Read, or Read and write. */

export type Access = 'none' | 'read' | 'write';

/** Actions that only look: a "Read" permission is these, "Read and write" is every action. */
const READ_ACTIONS = new Set(['read', 'list']);

export interface Resource {
  name: string;
  title: string;
  description: string;
  /** This resource's catalog entries the person may grant. */
  scopes: ScopeEntry[];
}

const actionOf = (scope: string) => scope.split(':')[1];
const resourceOf = (scope: string) => scope.split(':')[0];
export const isEntityScope = (scope: string) => scope.split(':').length === 3;

/** The catalog by resource, in catalog order; with `grantableOnly`, only what the person may grant. */
export function resourcesOf(catalog: ScopeEntry[], grantableOnly = true): Resource[] {
  const resources = new Map<string, Resource>();
  for (const entry of catalog) {
    if (grantableOnly && !entry.grantable) continue;
    const name = resourceOf(entry.scope);
    const resource = resources.get(name) ?? { name, title: entry.resourceTitle, description: entry.resourceDescription, scopes: [] };
    resource.scopes.push(entry);
    resources.set(name, resource);
  }
  return [...resources.values()];
}

/** The levels a resource offers: Read when it has a read action, the top level when it has another. */
export function levelsOf(resource: Resource): Access[] {
  const reads = resource.scopes.some((entry) => READ_ACTIONS.has(actionOf(entry.scope)));
  const writes = resource.scopes.some((entry) => !READ_ACTIONS.has(actionOf(entry.scope)));
  return ['none', ...(reads ? (['read'] as const) : []), ...(writes ? (['write'] as const) : [])];
}

/** "Read and write", or for a resource with no read action (introspection) its actions in words. */
export function levelLabel(resource: Resource, access: Access): string {
  if (access === 'none') return 'No access';
  if (access === 'read') return 'Read';
  if (levelsOf(resource).includes('read')) return 'Read and write';
  const actions = resource.scopes.map((entry) => actionOf(entry.scope));
  return actions.map((action, i) => (i === 0 ? action.charAt(0).toUpperCase() + action.slice(1) : action)).join(', ');
}

/** The whole-resource scopes a level stands for. */
export function scopesFor(resource: Resource, access: Access): string[] {
  if (access === 'none') return [];
  return resource.scopes.filter((entry) => access === 'write' || READ_ACTIONS.has(actionOf(entry.scope))).map((entry) => entry.scope);
}

/** The level a set of scopes gives a resource, or `custom` when it is none of them exactly. */
export function accessOf(resource: Resource, scopes: string[]): Access | 'custom' {
  const held = scopes.filter((scope) => !isEntityScope(scope) && resourceOf(scope) === resource.name).sort();
  for (const level of levelsOf(resource)) {
    const wanted = scopesFor(resource, level).sort();
    if (wanted.length === held.length && wanted.every((scope, i) => scope === held[i])) return level;
  }
  return 'custom';
}

/** `scopes` with the resource's whole-resource scopes replaced by those of `access`. */
export function withAccess(scopes: string[], resource: Resource, access: Access): string[] {
  const others = scopes.filter((scope) => isEntityScope(scope) || resourceOf(scope) !== resource.name);
  return [...others, ...scopesFor(resource, access)];
}

/** "Reports: read", for a scope in a sentence or a list; an entity scope adds "(only 42)". */
export function describeScope(scope: string, catalog: ScopeEntry[] | null): string {
  const [resource, action, entity] = scope.split(':');
  const title = catalog?.find((entry) => resourceOf(entry.scope) === resource)?.resourceTitle ?? resource;
  return `${title}: ${action}${entity ? ` (only ${entity})` : ''}`;
}

/** The catalog entries that may be narrowed to one entity and that the person may grant. */
export function entityScopesOf(catalog: ScopeEntry[]): ScopeEntry[] {
  return catalog.filter((entry) => entry.grantable && entry.perEntity);
}

export const ENTITY_ID = /^[A-Za-z0-9_.-]{1,64}$/;
export const ENTITY_ID_RULE = 'An entity id is 1 to 64 letters, digits, ".", "_" or "-".';
