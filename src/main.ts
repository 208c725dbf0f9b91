import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter } from './app.setup';
import { ConfigError } from './config/app-config';
import { loadAppConfig } from './config/load-config';
import { createLogger, PinoNestLogger, stdoutDestination } from './logging/logger';

async function bootstrap(): Promise<void> {
  let config;
  try {
    config = loadAppConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  const destination = stdoutDestination();
  const logger = createLogger(config.logLevel, destination);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createHttpAdapter(config), {
    logger: new PinoNestLogger(logger),
  });
  configureApp(app, logger);
  // The last step of a graceful shutdown before Nest re-raises the signal (which ends the process without an 'exit').
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onClose', (_instance, done) => {
      destination.flushSync();
      done();
    });
  await app.listen(config.port, config.host);
  logger.info({ message: 'Listening', port: config.port, database: config.database.type, docs: '/docs' });
}

void bootstrap();
