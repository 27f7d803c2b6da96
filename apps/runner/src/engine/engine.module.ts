import { Module } from '@nestjs/common';
import { LivePublisher } from '@beacon/db';
import { DataSource } from 'typeorm';
import { EngineService } from './engine.service.js';

/**
 * The worker engine in the daemon (settings, provider and listeners from CoreModule; none when the daemon serves the
 * API only) and the publisher of its live events. Exports EngineService for the metrics collector.
 */
@Module({
  providers: [{ provide: LivePublisher, useFactory: (ds: DataSource) => new LivePublisher(ds), inject: [DataSource] }, EngineService],
  exports: [EngineService],
})
export class EngineModule {}
