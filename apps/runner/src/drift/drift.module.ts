import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { DataSource } from 'typeorm';
import { DriftService, TREND_SOURCE } from './drift.service.js';
import { RowsTrendSource } from './rows-trend-source.js';

/**
 * Drift detection when a job ends (engine job_status events), writing through the reconciler's findings repository.
 * TREND_SOURCE picks a job's series (its schedule's runs, or the jobs of the same axes) and reads it through the trends reader.
 */
@Module({
  imports: [ReconcilerModule, EngineModule],
  providers: [{ provide: TREND_SOURCE, useFactory: (ds: DataSource) => new RowsTrendSource(ds), inject: [DataSource] }, DriftService],
  exports: [DriftService],
})
export class DriftModule {}
