import { Module, OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { FailedRequestRecorder } from './api-exception.filter';
import { Clock, SystemClock } from './clock';
import { CORE_MODULE_OPTIONS, CoreConfigurableModuleClass } from './core.module-definition';
import { DatabaseRateLimitStore } from './database-rate-limit.store';
import { FailedRequestRelay } from './failed-request-relay';
import { PAT_OPTIONS, PersonalAccessTokensModuleOptions, resolveOptions } from './personal-access-tokens.options';
import { MemoryRateLimitStore, RateLimiter, RateLimitStore } from './rate-limiter';
import { TokenEvents } from './token-events';
import { UnitOfWork } from './unit-of-work';
import { UserChanges } from './user-changes';
import { LockRow } from './lock-row.entity';
import { RateLimitCounter } from './rate-limit-counter.entity';
import { RouteGuards } from './route-guards';
import { assertSchema } from './schema-check';

/**
 * What every module of the library shares, and no feature: the resolved options, the clock, the
 * unit of work, the rate-limit store, the token-event and user-change buses. Global, so that each
 * feature module finds it; the user directory of a host with its own users is registered here
 * too. The error filter and validation pipe sit on the library's own controllers; app-wide only
 * with `globalErrorFilter` / `globalValidationPipe`.
 *
 * @example
 * PersonalAccessTokensCoreModule.forRoot({ peppers: [pepper], userDirectory: AccountsDirectory, imports: [TypeOrmModule.forFeature([Account])] })
 */
@Module({
  // Registered here too, so that a host's `autoLoadEntities` finds them.
  imports: [TypeOrmModule.forFeature([RateLimitCounter, LockRow])],
  providers: [
    {
      provide: PAT_OPTIONS,
      inject: [CORE_MODULE_OPTIONS],
      useFactory: (options: PersonalAccessTokensModuleOptions) => resolveOptions(options),
    },
    { provide: Clock, useClass: SystemClock },
    UnitOfWork,
    // Several instances share MySQL, so their limits must too; SQLite is one process.
    {
      provide: RateLimitStore,
      inject: [DataSource, UnitOfWork],
      useFactory: (dataSource: DataSource, unitOfWork: UnitOfWork) =>
        dataSource.options.type === 'better-sqlite3' ? new MemoryRateLimitStore() : new DatabaseRateLimitStore(dataSource, unitOfWork),
    },
    RateLimiter,
    TokenEvents,
    UserChanges,
    FailedRequestRelay,
    { provide: FailedRequestRecorder, useExisting: FailedRequestRelay },
    RouteGuards,
    // App-wide only when the host asked for it (protectAllRoutes, audit.allRoutes); a factory's null registers no guard.
    { provide: APP_GUARD, inject: [RouteGuards], useFactory: (guards: RouteGuards) => (guards.appWide ? guards : null) },
  ],
  // The recorder too: the error filter on each library controller is created in that controller's module.
  exports: [PAT_OPTIONS, Clock, UnitOfWork, RateLimitStore, RateLimiter, TokenEvents, UserChanges, FailedRequestRelay, FailedRequestRecorder, RouteGuards],
})
export class PersonalAccessTokensCoreModule extends CoreConfigurableModuleClass implements OnModuleInit {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  onModuleInit(): Promise<void> {
    return assertSchema(this.dataSource, 'PersonalAccessTokensCoreModule', '', [RateLimitCounter, LockRow]);
  }
}
