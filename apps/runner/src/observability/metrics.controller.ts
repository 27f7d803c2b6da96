import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { exposition, type BeaconMetrics } from '@beacon/observability';
import type { Response } from 'express';
import { METRICS } from '../tokens.js';
import { MetricsCollector } from './metrics.collector.js';

/** Prometheus scrape endpoint. */
@Controller()
export class MetricsController {
  constructor(
    @Inject(METRICS) private readonly m: BeaconMetrics,
    private readonly collector: MetricsCollector,
  ) {}

  @Get('metrics')
  async metrics(@Headers('accept') accept: string | undefined, @Res() res: Response): Promise<void> {
    await this.collector.refresh();
    const { contentType, body } = await exposition(this.m.registry, accept);
    res.status(200).type(contentType).send(body);
  }
}
