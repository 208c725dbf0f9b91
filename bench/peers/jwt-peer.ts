import { CanActivate, Controller, ExecutionContext, Get, Injectable, Module, Req, UnauthorizedException, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { JWTPayload, jwtVerify } from 'jose';

/**
 * The stateless design the service is measured against: a minimal Nest app on the same adapter
 * that accepts HS256 JWTs checked with `jose` and answers their claims. No database, and no way
 * to revoke a token before it expires. `GET /self` is the counterpart of the service's
 * `GET /user/me/personal-access-tokens/self`. Bench-only code, never shipped.
 */
const key = new TextEncoder().encode(process.env.BENCH_JWT_SECRET ?? '');
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/;

interface ClaimsRequest {
  headers: Record<string, string | string[] | undefined>;
  claims?: JWTPayload;
}

@Injectable()
class JwtGuard implements CanActivate {
  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ClaimsRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? BEARER.exec(header) : null;
    if (!match) throw new UnauthorizedException();
    try {
      request.claims = (await jwtVerify(match[1], key, { algorithms: ['HS256'] })).payload;
    } catch {
      throw new UnauthorizedException();
    }
    return true;
  }
}

@Controller('self')
class SelfController {
  @Get()
  @UseGuards(JwtGuard)
  self(@Req() request: ClaimsRequest): JWTPayload {
    return request.claims ?? {};
  }
}

@Module({ controllers: [SelfController] })
class PeerModule {}

async function main(): Promise<void> {
  if (key.length < 32) throw new Error('BENCH_JWT_SECRET must be at least 32 bytes');
  const app = await NestFactory.create<NestFastifyApplication>(PeerModule, new FastifyAdapter({ logger: false }), { logger: false });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.stdout.write('ready\n');
}

void main();
