import { AdminTokensController } from './tokens/admin/admin-tokens.controller';
import { AdminAuditEventsController, MyAuditEventsController } from './audit/audit.controller';
import { MeController } from './auth/me.controller';
import { IntrospectionController } from './auth/introspection/introspection.controller';
import { LeakedCredentialsController } from './tokens/leaked-credentials/leaked-credentials.controller';
import { ScopesController } from './scopes/scopes.controller';
import { TokensController } from './tokens/tokens.controller';
import { AdminUsersController } from './users/admin-users.controller';
import { RolesController } from './users/roles.controller';

/** The REST routes of the library; a host mounts them unless it passes `routes: false`. */
export const TOKEN_CONTROLLERS = [
  TokensController,
  ScopesController,
  MeController,
  AdminTokensController,
  IntrospectionController,
  LeakedCredentialsController,
  MyAuditEventsController,
  AdminAuditEventsController,
];

/** Routes over the default users store; not mounted when the host brings its own user directory. */
export const USER_CONTROLLERS = [AdminUsersController, RolesController];
