import { Controller, Get, Res } from '@nestjs/common';
import { connectionUrl, probeDatabase, type DatabaseProbe } from '@beacon/db';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Public } from '../auth/roles.decorator.js';

/** Longest a readiness check may take: probes time out at a few seconds, and a hung database must not hang them. */
const READY_TIMEOUT_MS = 1000;
/** A check this recent answers the next probe too: a flood of probes costs one connection per interval at most. */
const READY_CACHE_MS = 500;

/** Liveness (the process answers) and readiness (database reachable, schema current); open to all, for probes. */
@Public()
@Controller('health')
export class HealthController {
  /** The check under way, or the last one while it is fresh: concurrent and rapid probes share it. */
  private probing: Promise<DatabaseProbe> | null = null;

  constructor(private readonly ds: DataSource) {}

  @Get('live')
  live(): { status: string } {
    return { status: 'alive' };
  }

  @Get('ready')
  async ready(@Res() res: Response): Promise<void> {
    if (!this.probing) {
      const probe = probeDatabase(connectionUrl(this.ds), READY_TIMEOUT_MS);
      this.probing = probe;
      void probe.finally(() => setTimeout(() => { if (this.probing === probe) this.probing = null; }, READY_CACHE_MS).unref());
    }
    const checks: Record<string, string> = { ...(await this.probing) };
    const ready = Object.values(checks).every((v) => v === 'ok');
    if (!ready) res.setHeader('retry-after', '5');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', checks });
  }
}
