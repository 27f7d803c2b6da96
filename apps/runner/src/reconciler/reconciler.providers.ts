import type { Provider, Type } from '@nestjs/common';
import { FindingsRepository } from '@beacon/reconciler';
import { DataSource } from 'typeorm';
import { FindingsController } from './findings.controller.js';
import { ReconcilerScheduler } from './reconciler.scheduler.js';

/** The reconciler's providers in the daemon (the module also imports ScheduleModule.forRoot()). */
export const RECONCILER_PROVIDERS: Provider[] = [
  { provide: FindingsRepository, useFactory: (ds: DataSource) => new FindingsRepository(ds), inject: [DataSource] },
  ReconcilerScheduler,
];

/** The reconciler's controllers: GET /api/v1/findings. */
export const RECONCILER_CONTROLLERS: Type[] = [FindingsController];
