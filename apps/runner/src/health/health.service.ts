import { Injectable } from '@nestjs/common';
import { connectionUrl, probeDatabase, type DatabaseProbe } from '@beacon/db';
import { DataSource } from 'typeorm';

/** Longest a readiness check may take: probes time out at a few seconds, and a hung database must not hang them. */
const READY_TIMEOUT_MS = 1000;
/** A check this recent answers the next probe too: a flood of probes costs one connection per interval at most. */
const READY_CACHE_MS = 500;

/** Readiness: the database reachable on a connection of its own, and its schema current. */
@Injectable()
export class HealthService {
  /** The check under way, or the last one while it is fresh: concurrent and rapid probes share it. */
  private probing: Promise<DatabaseProbe> | null = null;

  constructor(private readonly ds: DataSource) {}

  /** Each check by name (`ok` or what is wrong), and whether all of them are ok. */
  async readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    if (!this.probing) {
      const probe = probeDatabase(connectionUrl(this.ds), READY_TIMEOUT_MS);
      this.probing = probe;
      void probe.finally(() =>
        setTimeout(() => {
          if (this.probing === probe) this.probing = null;
        }, READY_CACHE_MS).unref(),
      );
    }
    const checks: Record<string, string> = { ...(await this.probing) };
    return { ready: Object.values(checks).every((v) => v === 'ok'), checks };
  }
}
