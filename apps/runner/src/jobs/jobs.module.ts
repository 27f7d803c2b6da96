import { Module } from '@nestjs/common';
import { JobsController } from './jobs.controller.js';
import { JobsService } from './jobs.service.js';
import { SubmitJobService } from './submit-job.service.js';
import { TimelineController } from './timeline.controller.js';

/** `/api/v1/jobs`: submission, reads, cancellation and the timeline. */
@Module({
  controllers: [JobsController, TimelineController],
  providers: [SubmitJobService, JobsService],
})
export class JobsModule {}
