import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { createMetrics, type BeaconMetrics, type Logger } from '@beacon/observability';
import { APP_FILTER } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import type { BeaconConfig } from '@beacon/domain';
import { JobRepository, LifecycleRepository, ReadRepository } from '@beacon/db';
import { OpenAiCompatibleProvider, connectionsByOrigin, type ChatProvider, type EngineEvent, type EngineOptions } from '@beacon/engine';
import { DataSource } from 'typeorm';
import { AnalysisController } from './api/analysis.controller.js';
import { AnalysisService } from './analysis/analysis.service.js';
import { ErrorFilter } from './api/error.filter.js';
import { redactAnswers } from './api/redact-answers.middleware.js';
import { ExecutionsController } from './api/executions.controller.js';
import { HealthController } from './api/health.controller.js';
import { JobsController } from './api/jobs.controller.js';
import { LIVE_CONTROLLERS, liveProviders } from './live/live.providers.js';
import { OPERATOR_VIEW_CONTROLLERS, OPERATOR_VIEW_PROVIDERS } from './api/operator-views.providers.js';
import type { LiveEventsOptions } from './live/live-events.options.js';
import { EngineService } from './engine/engine.service.js';
import { HttpMetricsMiddleware } from './observability/http-metrics.middleware.js';
import { MetricsCollector } from './observability/metrics.collector.js';
import { MetricsController } from './observability/metrics.controller.js';
import { RECONCILER_CONTROLLERS, RECONCILER_PROVIDERS } from './reconciler/reconciler.providers.js';
import { SubmitJobService } from './jobs/submit-job.service.js';
import { SECURITY_PROVIDERS } from './auth/security.providers.js';
import {
  BEACON_CONFIG, CHAT_PROVIDER, ENGINE_LISTENERS, ENGINE_OPTIONS, JOB_REPOSITORY, LIFECYCLE_REPOSITORY, LOGGER, METRICS, OBSERVABILITY, READ_REPOSITORY,
} from './tokens.js';

/** What the daemon is wired with; the caller owns the DataSource (connected and migrated). */
export interface RunnerModuleOptions {
  dataSource: DataSource;
  config: BeaconConfig;
  /** Worker settings; null runs the API only. */
  engine?: EngineOptions | null;
  /** The inference client (default: OpenAI-compatible over HTTP). */
  provider?: ChatProvider;
  /** Extra listeners for engine events (progress, tests). */
  listeners?: ((e: EngineEvent) => void)[];
  /** The metric set (default: a fresh registry). */
  metrics?: BeaconMetrics;
  /** Structured log for engine events (none: engine events are not logged). */
  log?: Logger | null;
  /** False turns engine metrics off (benchmarks compare with and without). */
  observability?: boolean;
  /** Live-tail buffer sizes and heartbeat (defaults otherwise). */
  live?: Partial<LiveEventsOptions>;
}

/** The runner daemon: HTTP API over one database. */
@Module({})
export class RunnerModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(redactAnswers).forRoutes('*path');
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }

  static forRoot(opts: RunnerModuleOptions): DynamicModule {
    return {
      module: RunnerModule,
      imports: [ScheduleModule.forRoot()],
      controllers: [JobsController, ExecutionsController, HealthController, MetricsController, ...RECONCILER_CONTROLLERS, ...LIVE_CONTROLLERS, ...OPERATOR_VIEW_CONTROLLERS, AnalysisController],
      providers: [
        { provide: DataSource, useValue: opts.dataSource },
        { provide: BEACON_CONFIG, useValue: opts.config },
        { provide: JOB_REPOSITORY, useFactory: (ds: DataSource) => new JobRepository(ds), inject: [DataSource] },
        { provide: READ_REPOSITORY, useFactory: (ds: DataSource) => new ReadRepository(ds), inject: [DataSource] },
        { provide: LIFECYCLE_REPOSITORY, useFactory: (ds: DataSource) => new LifecycleRepository(ds), inject: [DataSource] },
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: ENGINE_OPTIONS, useValue: opts.engine ?? null },
        { provide: CHAT_PROVIDER, useValue: opts.provider ?? new OpenAiCompatibleProvider(connectionsByOrigin(Object.values(opts.config.regions))) },
        { provide: ENGINE_LISTENERS, useValue: opts.listeners ?? [] },
        { provide: METRICS, useValue: opts.metrics ?? createMetrics() },
        { provide: LOGGER, useValue: opts.log ?? null },
        { provide: OBSERVABILITY, useValue: opts.observability !== false },
        SubmitJobService,
        AnalysisService,
        EngineService,
        MetricsCollector,
        ...RECONCILER_PROVIDERS,
        ...liveProviders(opts.live),
        ...OPERATOR_VIEW_PROVIDERS,
        ...SECURITY_PROVIDERS,
      ],
    };
  }
}
