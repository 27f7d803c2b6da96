import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { BeaconConfig } from '@beacon/domain';
import { JobRepository, ReadRepository } from '@beacon/db';
import { DataSource } from 'typeorm';
import { ErrorFilter } from './api/error.filter.js';
import { ExecutionsController } from './api/executions.controller.js';
import { HealthController } from './api/health.controller.js';
import { JobsController } from './api/jobs.controller.js';
import { SubmitJobService } from './jobs/submit-job.service.js';
import { BEACON_CONFIG, JOB_REPOSITORY, READ_REPOSITORY } from './tokens.js';

/** What the daemon is wired with; the caller owns the DataSource (connected and migrated). */
export interface RunnerModuleOptions {
  dataSource: DataSource;
  config: BeaconConfig;
}

/** The runner daemon: HTTP API over one database. */
@Module({})
export class RunnerModule {
  static forRoot(opts: RunnerModuleOptions): DynamicModule {
    return {
      module: RunnerModule,
      controllers: [JobsController, ExecutionsController, HealthController],
      providers: [
        { provide: DataSource, useValue: opts.dataSource },
        { provide: BEACON_CONFIG, useValue: opts.config },
        { provide: JOB_REPOSITORY, useFactory: (ds: DataSource) => new JobRepository(ds), inject: [DataSource] },
        { provide: READ_REPOSITORY, useFactory: (ds: DataSource) => new ReadRepository(ds), inject: [DataSource] },
        { provide: APP_FILTER, useClass: ErrorFilter },
        SubmitJobService,
      ],
    };
  }
}
