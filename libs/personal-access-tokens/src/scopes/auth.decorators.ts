import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Principal } from './principal';

/**
 * Opts a route (or a controller) out of authentication where every route needs a credential
 * (`protectAllRoutes`, which the standalone service turns on: the bearer guard then runs app-wide and fails closed).
 *
 * @example
 * @Public() @Get('health') health() { return { status: 'ok' }; }
 */
export const Public = Reflector.createDecorator<boolean>({ transform: () => true });

/**
 * The authenticated caller of this request.
 *
 * @example
 * @Get('me') me(@Auth() principal: Principal) { return principal.user.email; }
 */
export const Auth = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  return context.switchToHttp().getRequest<{ user: Principal }>().user;
});
