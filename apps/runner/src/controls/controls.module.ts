import { Module } from '@nestjs/common';
import { ControlsController } from './controls.controller.js';
import { ControlsService } from './controls.service.js';

/** Operator controls: retry, pause and resume (a job, a region and model), concurrency overrides, daemons and drain. */
@Module({
  controllers: [ControlsController],
  providers: [ControlsService],
})
export class ControlsModule {}
