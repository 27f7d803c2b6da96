import { Module } from '@nestjs/common';
import { EngineModule } from '../engine/engine.module.js';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { DriftService } from './drift.service.js';

/**
 * Drift detection when a job ends (engine job_status events), writing through the reconciler's findings repository.
 * The TrendSource (TREND_SOURCE) is bound by the trends module; without one every evaluation is skipped.
 */
@Module({
  imports: [ReconcilerModule, EngineModule],
  providers: [DriftService],
  exports: [DriftService],
})
export class DriftModule {}
