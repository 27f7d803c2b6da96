import { Module } from '@nestjs/common';
import { HealthController } from './health.controller.js';
import { HealthService } from './health.service.js';

/** `/health/live` and `/health/ready`, open to all (for probes). */
@Module({ controllers: [HealthController], providers: [HealthService] })
export class HealthModule {}
