import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { isConnectionLost, isUniqueViolation, UsersService } from '../../libs/personal-access-tokens/src';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/app-config.provider';

const COUNT_ATTEMPTS = 3;

/**
 * The first start with no users creates an admin from ADMIN_EMAIL / ADMIN_PASSWORD. Without a
 * configured password one is generated and shown once on the console (not in the structured
 * log), never again: it is not stored anywhere but as a hash.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    private readonly users: UsersService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if ((await this.countUsers()) > 0) return;
    const { email } = this.config.admin;
    const password = this.config.admin.password ?? randomBytes(18).toString('base64url');
    try {
      await this.users.create({ email, password, displayName: 'Administrator', role: 'admin' });
    } catch (error) {
      if (isUniqueViolation(error) || (error as { code?: string }).code === 'email_taken') return; // another instance won
      throw error;
    }
    this.logger.log({ message: 'Created the first admin user', email });
    if (!this.config.admin.password) {
      process.stdout.write(
        `\n  First start: created admin ${email} with password ${password}\n  It will not be shown again. Log in with POST /auth/login.\n\n`,
      );
    }
  }

  /**
   * The start-up's first query of its own. The migrations ran well before it, and on a loaded
   * machine the rest of the start-up can outlast the server's `wait_timeout`: the pooled connection
   * is then closed, which the app learns only on using it. A count is safe to run again, and the
   * pause lets the pool drop every connection closed meanwhile, so the next attempt gets a fresh one.
   */
  private async countUsers(): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.users.count();
      } catch (error) {
        if (!isConnectionLost(error) || attempt >= COUNT_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}
