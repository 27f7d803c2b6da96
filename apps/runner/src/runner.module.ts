import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { BeaconMetrics, Logger } from '@beacon/observability';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import type { BeaconConfig } from '@beacon/domain';
import type { ChatProvider, EngineEvent, EngineOptions } from '@beacon/engine';
import type { DataSource } from 'typeorm';
import { AnalysisModule } from './analysis/analysis.module.js';
import { ErrorFilter } from './api/error.filter.js';
import { READ_GATE, ReadGateInterceptor, readGateFor } from './api/read-gate.js';
import { redactAnswers } from './api/redact-answers.middleware.js';
import { AuthModule } from './auth/auth.module.js';
import { ControlsModule } from './controls/controls.module.js';
import { CoreModule } from './core.module.js';
import { DatabaseModule } from './database.module.js';
import { DriftModule } from './drift/drift.module.js';
import { EngineModule } from './engine/engine.module.js';
import { ExecutionsModule } from './executions/executions.module.js';
import { HealthModule } from './health/health.module.js';
import { JobsModule } from './jobs/jobs.module.js';
import type { LiveEventsOptions } from './live/live-events.options.js';
import { LiveModule } from './live/live.module.js';
import { HttpMetricsMiddleware } from './observability/http-metrics.middleware.js';
import { MetricsModule } from './observability/metrics.module.js';
import { NotificationsModule } from './notifications/notifications.module.js';
import { ReconcilerModule } from './reconciler/reconciler.module.js';
import { SchedulesModule } from './schedules/schedules.module.js';
import { TrendsModule } from './trends/trends.module.js';
import { TransparencyModule } from './transparency/transparency.module.js';
import { ViewerModule } from './viewer/viewer.module.js';

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

/**
 * The runner daemon: HTTP API over one database, and the worker engine. The values it is started with are
 * CoreModule's and the shared repositories DatabaseModule's (both global); each feature is a module of its own. What
 * applies to every route is here: the error filter, the read gate (reads in progress at once), and the answer
 * redaction and request metrics middleware (in that order). The audit and edge checks run before routing, installed by createRunnerApp.
 */
@Module({})
export class RunnerModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(redactAnswers).forRoutes('*path');
    consumer.apply(HttpMetricsMiddleware).forRoutes('*path');
  }

  static forRoot(opts: RunnerModuleOptions): DynamicModule {
    return {
      module: RunnerModule,
      imports: [
        CoreModule.forRoot(opts),
        // Once, here: each forRoot() adds an explorer that registers every @Cron method again, so a method imported
        // twice ran twice per firing (the reconciler skipped its own tick; reconciler-daemons has the regression).
        ScheduleModule.forRoot(),
        DatabaseModule,
        AuthModule,
        JobsModule,
        ControlsModule,
        ExecutionsModule,
        AnalysisModule,
        LiveModule,
        ReconcilerModule,
        SchedulesModule,
        TrendsModule,
        TransparencyModule,
        MetricsModule,
        HealthModule,
        EngineModule,
        DriftModule,
        NotificationsModule,
        ViewerModule,
      ],
      providers: [
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: READ_GATE, useValue: readGateFor(opts.config) },
        { provide: APP_INTERCEPTOR, useClass: ReadGateInterceptor },
      ],
    };
  }
}
