import { Module } from '@nestjs/common';
import { DiffController } from './diff.controller.js';
import { ExecutionsController } from './executions.controller.js';
import { ExecutionsService } from './executions.service.js';

/** `/api/v1/executions` and `/api/v1/diff`: executions with their attempts, and two of them compared. */
@Module({
  controllers: [ExecutionsController, DiffController],
  providers: [ExecutionsService],
})
export class ExecutionsModule {}
