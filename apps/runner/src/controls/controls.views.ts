import type { DaemonRow, KeyControl } from '@beacon/db';
import type { DaemonView, KeyControlView } from '@beacon/domain';

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** A (region, model)'s control as the API answers it. */
export function keyControlView(k: KeyControl): KeyControlView {
  return {
    region: k.region,
    model: k.modelId,
    paused: k.pausedAt !== null,
    pausedAt: iso(k.pausedAt),
    pausedBy: k.pausedBy,
    concurrency: k.concurrency,
    updatedAt: k.updatedAt.toISOString(),
    updatedBy: k.updatedBy,
  };
}

/** A daemon as the API answers it. */
export function daemonView(d: DaemonRow): DaemonView {
  return {
    id: d.id,
    host: d.host,
    pid: d.pid,
    version: d.version,
    regions: d.regions,
    startedAt: d.startedAt.toISOString(),
    heartbeatAt: d.lastSeenAt.toISOString(),
    silentForS: Math.round(d.silentForS * 10) / 10,
    stoppedAt: iso(d.stoppedAt),
    draining: d.drainingAt !== null,
    drainingAt: iso(d.drainingAt),
    drainingBy: d.drainingBy,
    claims: d.claims.map((c) => ({ region: c.region, model: c.modelId, held: c.held, calling: c.calling })),
  };
}
