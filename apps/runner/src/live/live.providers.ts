import type { Provider, Type } from '@nestjs/common';
import { LivePublisher } from '@beacon/db';
import { DataSource } from 'typeorm';
import { LiveEventsController } from './live-events.controller.js';
import { DEFAULT_LIVE_EVENTS_OPTIONS, LIVE_EVENTS_OPTIONS, type LiveEventsOptions } from './live-events.options.js';
import { LiveEventsService } from './live-events.service.js';

/** The live-tail providers, with settings (defaults for what is not given). */
export function liveProviders(options: Partial<LiveEventsOptions> = {}): Provider[] {
  return [
    { provide: LIVE_EVENTS_OPTIONS, useValue: { ...DEFAULT_LIVE_EVENTS_OPTIONS, ...options } },
    LiveEventsService,
    { provide: LivePublisher, useFactory: (ds: DataSource) => new LivePublisher(ds), inject: [DataSource] },
  ];
}

/** `GET /api/v1/events`. */
export const LIVE_CONTROLLERS: Type[] = [LiveEventsController];
