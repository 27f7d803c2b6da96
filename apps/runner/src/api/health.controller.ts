import { Controller, Get, Res } from '@nestjs/common';
import { migrationsCurrent } from '@beacon/db';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/roles.decorator.js';

/** Liveness (the process answers) and readiness (database reachable, schema current); open to all, for probes. */
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly ds: DataSource) {}

  @Get('live')
  live(): { status: string } {
    return { status: 'alive' };
  }

  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    const checks: Record<string, string> = {};
    try {
      await this.ds.query('SELECT 1');
      checks.database = 'ok';
      checks.migrations = (await migrationsCurrent(this.ds)) ? 'ok' : 'pending migrations: run `beacon migrate`';
    } catch (err) {
      checks.database = `unreachable: ${err instanceof Error ? err.message : String(err)}`;
    }
    const ready = Object.values(checks).every((v) => v === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  }
}
