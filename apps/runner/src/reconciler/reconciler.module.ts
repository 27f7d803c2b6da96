import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { FindingsRepository } from '@beacon/reconciler';
import { DataSource } from 'typeorm';
import { FindingsController } from './findings.controller.js';
import { ReconcilerScheduler } from './reconciler.scheduler.js';

/** The scheduled reconciler (one run at a time across daemons) and `GET /api/v1/findings`; exports the findings repository. */
@Module({
  imports: [ScheduleModule.forRoot()],
  controllers: [FindingsController],
  providers: [
    { provide: FindingsRepository, useFactory: (ds: DataSource) => new FindingsRepository(ds), inject: [DataSource] },
    ReconcilerScheduler,
  ],
  exports: [FindingsRepository],
})
export class ReconcilerModule {}
