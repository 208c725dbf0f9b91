export class ScopeEntryDto {
  /** @example "personal_access_tokens:read" */
  scope: string;
  description: string;
  /** The resource in words. @example "Personal access tokens" */
  resourceTitle: string;
  resourceDescription: string;
  /** Whether the scope may be narrowed to one entity (`resource:action:entityId`) to some purpose. */
  perEntity: boolean;
  /** Whether the catalog marks it sensitive (a policy may then require an IP allow-list for it). */
  sensitive: boolean;
  /** Whether the caller may put this scope on a token. */
  grantable: boolean;
}

export class ScopeCatalogDto {
  items: ScopeEntryDto[];
}
