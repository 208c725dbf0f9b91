import { Inject, Injectable } from '@nestjs/common';
import { BadRequestError } from '../core/domain-error';
import { PAT_OPTIONS, ResolvedOptions } from '../core/personal-access-tokens.options';
import { ScopeCatalog } from '../scopes/scope-catalog';

export class AllowListRequiredError extends BadRequestError {
  constructor(scope: string) {
    super('allow_list_required', `The scope ${scope} is sensitive: a token holding it needs an IP allow-list (allowedIps)`, [
      { field: 'allowedIps', reason: 'is required for a token with a sensitive scope' },
    ]);
  }
}

/**
 * `policy.requireAllowListForSensitiveScopes`: a token holding a scope the catalog marks
 * sensitive must be bound to an IP allow-list. Checked wherever a token gains such a scope or
 * loses its allow-list (create, update, adding a scope).
 */
@Injectable()
export class AllowListPolicy {
  constructor(
    private readonly catalog: ScopeCatalog,
    @Inject(PAT_OPTIONS) private readonly options: ResolvedOptions,
  ) {}

  assertSatisfied(scopes: readonly string[], allowedIps: readonly string[] | null): void {
    if (!this.options.policy.requireAllowListForSensitiveScopes || allowedIps?.length) return;
    const sensitive = scopes.find((scope) => this.catalog.isSensitive(scope));
    if (sensitive) throw new AllowListRequiredError(sensitive);
  }
}
