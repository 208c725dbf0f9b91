import { INestApplication } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AppModule } from '../../src/app.module';
import { AppConfig } from '../../src/config/app-config';
import { LogScan } from './log-scan';

/**
 * The service's module on Express, as a host app on that adapter runs it, logging (SQL included
 * when the config says so) through a LogScan: `close` fails if a secret the test handed to
 * `scan.remember` or `scan.secrets` reached a log line.
 */
export async function startExpressApp(config: AppConfig): Promise<{ app: INestApplication; scan: LogScan; close(): Promise<void> }> {
  const scan = new LogScan(config.admin.password ? [config.admin.password] : []);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  const app = moduleRef.createNestApplication(new ExpressAdapter(), { logger: scan.nestLogger(config.logLevel) });
  await app.init();
  return {
    app,
    scan,
    close: async () => {
      await app.close();
      scan.check();
    },
  };
}
