import { type DynamicModule, Global, Module } from '@nestjs/common';
import { createMetrics } from '@beacon/observability';
import { OpenAiCompatibleProvider, connectionsByOrigin } from '@beacon/engine';
import { DataSource } from 'typeorm';
import { DEFAULT_LIVE_EVENTS_OPTIONS, LIVE_EVENTS_OPTIONS } from './live/live-events.options.js';
import type { RunnerModuleOptions } from './runner.module.js';
import { BEACON_CONFIG, CHAT_PROVIDER, ENGINE_LISTENERS, ENGINE_OPTIONS, LOGGER, METRICS, OBSERVABILITY } from './tokens.js';

const TOKENS = [
  DataSource,
  BEACON_CONFIG,
  ENGINE_OPTIONS,
  CHAT_PROVIDER,
  ENGINE_LISTENERS,
  METRICS,
  LOGGER,
  OBSERVABILITY,
  LIVE_EVENTS_OPTIONS,
];

/**
 * What the daemon is started with, for every feature module: the DataSource (the caller's, connected and migrated),
 * the configuration, the engine's settings, provider and extra listeners, the metric set, the engine log and the
 * live-tail settings, each with its default when not given.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(opts: RunnerModuleOptions): DynamicModule {
    return {
      module: CoreModule,
      providers: [
        { provide: DataSource, useValue: opts.dataSource },
        { provide: BEACON_CONFIG, useValue: opts.config },
        { provide: ENGINE_OPTIONS, useValue: opts.engine ?? null },
        {
          provide: CHAT_PROVIDER,
          useValue: opts.provider ?? new OpenAiCompatibleProvider(connectionsByOrigin(Object.values(opts.config.regions))),
        },
        { provide: ENGINE_LISTENERS, useValue: opts.listeners ?? [] },
        { provide: METRICS, useValue: opts.metrics ?? createMetrics() },
        { provide: LOGGER, useValue: opts.log ?? null },
        { provide: OBSERVABILITY, useValue: opts.observability !== false },
        { provide: LIVE_EVENTS_OPTIONS, useValue: { ...DEFAULT_LIVE_EVENTS_OPTIONS, ...opts.live } },
      ],
      exports: TOKENS,
    };
  }
}
