import type { Provider, Type } from '@nestjs/common';
import { DiffRepository, TimelineRepository } from '@beacon/db';
import { DataSource } from 'typeorm';
import { DiffController } from './diff.controller.js';
import { TimelineController } from './timeline.controller.js';

/** Repositories behind the timeline and diff views. */
export const OPERATOR_VIEW_PROVIDERS: Provider[] = [
  { provide: TimelineRepository, useFactory: (ds: DataSource) => new TimelineRepository(ds), inject: [DataSource] },
  { provide: DiffRepository, useFactory: (ds: DataSource) => new DiffRepository(ds), inject: [DataSource] },
];

/** `GET /api/v1/jobs/:id/timeline` and `GET /api/v1/diff`. */
export const OPERATOR_VIEW_CONTROLLERS: Type[] = [TimelineController, DiffController];
