import { Module } from '@nestjs/common';
import { BundleController, TransparencyController } from './transparency.controller.js';
import { TransparencyService } from './transparency.service.js';

/** The evidence log: the checkpoint step, `/api/v1/transparency/*` and `GET /api/v1/jobs/:id/bundle`. */
@Module({
  controllers: [TransparencyController, BundleController],
  providers: [TransparencyService],
  exports: [TransparencyService],
})
export class TransparencyModule {}
