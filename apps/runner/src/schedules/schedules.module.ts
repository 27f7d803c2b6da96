import { Module } from '@nestjs/common';
import { ScheduleRepository } from '@beacon/db';
import { DataSource } from 'typeorm';
import { PRUNE_RUNS, RetentionPruneRuns } from './prune-runs.port.js';
import { ScheduleTicker } from './schedule-ticker.js';
import { SchedulesController } from './schedules.controller.js';
import { SchedulesService } from './schedules.service.js';

/** `/api/v1/schedules` and the ticker that fires due schedules in this daemon. */
@Module({
  controllers: [SchedulesController],
  providers: [
    { provide: ScheduleRepository, useFactory: (ds: DataSource) => new ScheduleRepository(ds), inject: [DataSource] },
    { provide: PRUNE_RUNS, useClass: RetentionPruneRuns },
    SchedulesService,
    ScheduleTicker,
  ],
})
export class SchedulesModule {}
