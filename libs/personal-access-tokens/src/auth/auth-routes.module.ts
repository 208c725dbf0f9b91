import { Module } from '@nestjs/common';
import { AuthModule } from './auth.module';
import { IntrospectionController } from './introspection/introspection.controller';
import { MeController } from './me.controller';

/** `GET /user/me`: who the caller is, and with which credential. */
@Module({ imports: [AuthModule], controllers: [MeController] })
export class MeRoutesModule {}

/** `POST /personal-access-tokens/introspect` (RFC 7662) and `GET /auth/verify` for gateways. */
@Module({ imports: [AuthModule], controllers: [IntrospectionController] })
export class IntrospectionRoutesModule {}
