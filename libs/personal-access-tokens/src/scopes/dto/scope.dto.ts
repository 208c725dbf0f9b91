export class ScopeEntryDto {
  /** @example "personal_access_tokens:read" */
  scope: string;
  description: string;
  /** Whether the caller may put this scope on a token. */
  grantable: boolean;
}

export class ScopeCatalogDto {
  items: ScopeEntryDto[];
}
