import { Module } from '@nestjs/common';
import { notificationRoutes, type BeaconConfig } from '@beacon/domain';
import { FindingsRepository } from '@beacon/reconciler';
import { DataSource } from 'typeorm';
import { BEACON_CONFIG } from '../tokens.js';
import { FindingsController } from './findings.controller.js';
import { ReconcilerScheduler } from './reconciler.scheduler.js';

/** The scheduled reconciler (one run at a time across daemons) and `GET /api/v1/findings`; exports the findings repository. */
@Module({
  controllers: [FindingsController],
  providers: [
    // Whatever records findings through it enqueues the new ones' notifications for the configured sinks.
    {
      provide: FindingsRepository,
      useFactory: (ds: DataSource, config: BeaconConfig) => new FindingsRepository(ds, notificationRoutes(config)),
      inject: [DataSource, BEACON_CONFIG],
    },
    ReconcilerScheduler,
  ],
  exports: [FindingsRepository],
})
export class ReconcilerModule {}
