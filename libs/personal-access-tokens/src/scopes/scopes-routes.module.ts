import { Module } from '@nestjs/common';
import { ScopesController } from './scopes.controller';
import { ScopesModule } from './scopes.module';

/** `GET /scopes`: the scope catalog. */
@Module({ imports: [ScopesModule], controllers: [ScopesController] })
export class ScopesRoutesModule {}
