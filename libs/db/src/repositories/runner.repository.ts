import type { DataSource } from 'typeorm';
import { queryRows } from './query.js';

/** A daemon's registration. */
export interface RunnerRegistration {
  id: string;
  host: string;
  pid: number;
  regions: string[] | null;
  version: string;
}

/** The runners table: who is working, and since when. */
export class RunnerRepository {
  constructor(private readonly ds: DataSource) {}

  async register(r: RunnerRegistration): Promise<void> {
    await queryRows(
      this.ds,
      `INSERT INTO runners (id, host, pid, regions, version) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET last_seen_at = now(), stopped_at = NULL`,
      [r.id, r.host, r.pid, r.regions, r.version],
    );
  }

  async stopped(id: string): Promise<void> {
    await queryRows(this.ds, 'UPDATE runners SET stopped_at = now(), last_seen_at = now() WHERE id = $1', [id]);
  }
}
