import { Controller, Get, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../auth/roles.decorator.js';
import { HealthService } from './health.service.js';
import { Ungated } from '../api/read-gate.js';

/** Liveness (the process answers) and readiness (database reachable, schema current); open to all, for probes. */
@Ungated()
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  live(): { status: string } {
    return { status: 'alive' };
  }

  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const { ready, checks } = await this.health.readiness();
    if (!ready) res.setHeader('retry-after', '5');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  }
}
