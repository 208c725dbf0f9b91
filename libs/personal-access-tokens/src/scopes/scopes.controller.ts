import { Get } from '@nestjs/common';
import { LibraryController } from '../core/library-controller.decorator';
import { ApiTags } from '@nestjs/swagger';
import { AuditAction } from '../core/audit.decorators';
import { Auth } from './auth.decorators';
import { Principal } from './principal';
import { ScopeCatalogDto } from './dto/scope.dto';
import { isGranted } from './scope';
import { ScopeCatalog } from './scope-catalog';
import { Endpoint } from './endpoint.decorator';

@ApiTags('scopes')
@LibraryController('scopes')
export class ScopesController {
  constructor(private readonly catalog: ScopeCatalog) {}

  /**
   * List the scope catalog
   * @remarks Every scope, and whether you may grant it, so a form can offer only what will be accepted.
   */
  @Get()
  @AuditAction('scope.list', { target: null })
  @Endpoint({ operationId: 'listScopes', scopes: [] })
  list(@Auth() principal: Principal): ScopeCatalogDto {
    const grants = (scope: string) =>
      isGranted(scope, principal.user.scopes) && (!principal.token || isGranted(scope, principal.token.scopes));
    return { items: this.catalog.all().map((definition) => ({ ...definition, grantable: grants(definition.scope) })) };
  }
}
