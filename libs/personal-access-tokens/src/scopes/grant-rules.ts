import { Injectable } from '@nestjs/common';
import { Principal } from './principal';
import { ForbiddenError, ValidationFailedError } from '../core/domain-error';
import { isGranted } from './scope';
import { ScopeCatalog } from './scope-catalog';

/**
 * What a caller may put on a token: scopes from the catalog, that the caller's role may grant,
 * and, when the caller is itself a PAT, that the calling token holds (no escalation).
 */
@Injectable()
export class GrantRules {
  constructor(private readonly catalog: ScopeCatalog) {}

  /** Scopes a caller asks for: known to the catalog, then held (see `assertHeld`). */
  assertGrantable(principal: Pick<Principal, 'user' | 'token'>, scopes: readonly string[], field = 'scopes'): void {
    this.assertKnown(scopes, field);
    this.assertHeld(principal, scopes);
  }

  /** Every scope is in the catalog; a 400 naming `field` otherwise. */
  assertKnown(scopes: readonly string[], field = 'scopes'): void {
    const unknown = scopes.filter((scope) => !this.catalog.isKnown(scope));
    if (unknown.length) {
      throw new ValidationFailedError(unknown.map((scope) => ({ field, reason: `"${scope}" is not a known scope; see GET /scopes` })));
    }
  }

  /** Every scope is granted by the caller's role and, for a PAT caller, by that token too. */
  assertHeld(principal: Pick<Principal, 'user' | 'token'>, scopes: readonly string[]): void {
    const beyondRole = scopes.find((scope) => !isGranted(scope, principal.user.scopes));
    if (beyondRole) {
      throw new ForbiddenError('scope_not_grantable', `Your role (${principal.user.role}) may not grant the scope ${beyondRole}`);
    }
    const beyondToken = principal.token && scopes.find((scope) => !isGranted(scope, principal.token!.scopes));
    if (beyondToken) {
      throw new ForbiddenError('token_escalation', `The calling token does not hold ${beyondToken}, so it cannot grant it`);
    }
  }
}
