import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * The framework's ceiling: a bare Nest 12 app on the same Fastify adapter, no guard, no
 * interceptor, no log, answering `GET /health` with the body the service's own `/health` answers.
 * What every route of the service pays before its own work is measured against this. Bench-only.
 */
@Controller('health')
class HealthController {
  @Get()
  live(): { status: string } {
    return { status: 'ok' };
  }
}

@Module({ controllers: [HealthController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter({ logger: false }), { logger: false });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  process.stdout.write('ready\n');
}

void main();
