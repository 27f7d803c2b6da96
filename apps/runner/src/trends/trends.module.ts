import { Module } from '@nestjs/common';
import { RetentionController, TrendsController } from './trends.controller.js';
import { TrendsService } from './trends.service.js';

/** `GET /api/v1/trends` and `POST /api/v1/retention/prune`. */
@Module({
  controllers: [TrendsController, RetentionController],
  providers: [TrendsService],
})
export class TrendsModule {}
