import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { DataSource } from 'typeorm';
import { DriftService, TREND_SOURCE } from './drift.service.js';
import { RowsTrendSource } from './rows-trend-source.js';

/**
 * Drift detection when a job ends (engine job_status events), writing through the reconciler's findings repository.
 * TREND_SOURCE reads series straight from the rows (RowsTrendSource) until the trends reader is bound in its place.
 */
@Module({
  imports: [ReconcilerModule, EngineModule],
  providers: [{ provide: TREND_SOURCE, useFactory: (ds: DataSource) => new RowsTrendSource(ds), inject: [DataSource] }, DriftService],
  exports: [DriftService],
})
export class DriftModule {}
