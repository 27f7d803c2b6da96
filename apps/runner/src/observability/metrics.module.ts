import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { MetricsCollector } from './metrics.collector.js';
import { MetricsController } from './metrics.controller.js';

/**
 * `GET /metrics`: the metric set (CoreModule's) with its state gauges refreshed from the database and the engine at
 * each scrape. The HTTP request metrics middleware is installed by RunnerModule, for every route.
 */
@Module({
  imports: [EngineModule],
  controllers: [MetricsController],
  providers: [MetricsCollector],
})
export class MetricsModule {}
