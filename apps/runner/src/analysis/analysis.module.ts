import { Module } from '@nestjs/common';
import { ReconcilerModule } from '../reconciler/reconciler.module.js';
import { AnalysisController } from './analysis.controller.js';
import { AnalysisService } from './analysis.service.js';
import { ReportController } from './report.controller.js';

/** `GET /api/v1/jobs/:id/analysis` and its rendered `…/report`, computed in worker threads; reads the job's open findings from the reconciler's repository. */
@Module({
  imports: [ReconcilerModule],
  controllers: [AnalysisController, ReportController],
  providers: [AnalysisService],
})
export class AnalysisModule {}
