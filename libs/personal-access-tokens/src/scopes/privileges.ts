/** What a role allows beyond scopes: coarse capabilities, checked by `@RequirePrivileges`. */
export enum Privilege {
  GenerateTokens = 'GENERATE_PERSONAL_ACCESS_TOKENS',
  ManageAllTokens = 'MANAGE_ALL_ACCESS_TOKENS',
  ManageUsers = 'MANAGE_USERS',
  ViewAuditLog = 'VIEW_AUDIT_LOG',
  IntrospectTokens = 'INTROSPECT_TOKENS',
}
