import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { resolveRegion, type BeaconConfig } from '@beacon/domain';
import { engineOptions, type EngineOptions } from '@beacon/engine';
import { CliError, EXIT } from './exit-codes.js';

/** Tunables read from the environment: variable → option. */
const ENV_MS: [string, keyof EngineOptions][] = [
  ['BEACON_LEASE_MS', 'leaseMs'],
  ['BEACON_HEARTBEAT_MS', 'heartbeatMs'],
  ['BEACON_REAP_INTERVAL_MS', 'reapIntervalMs'],
  ['BEACON_POLL_MS', 'pollMs'],
  ['BEACON_IDLE_POLL_MAX_MS', 'idlePollMaxMs'],
  ['BEACON_SHUTDOWN_GRACE_MS', 'shutdownGraceMs'],
  ['BEACON_BREAKER_FAILURES', 'breakerFailures'],
  ['BEACON_BREAKER_HALF_OPEN_MS', 'breakerHalfOpenMs'],
];

/** A runner id unique per process start: host, pid and a random suffix. */
export function newRunnerId(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

/** Engine options from `--regions`, `--concurrency` and the BEACON_* variables, each validated with a clear message. */
export function engineSettings(
  config: BeaconConfig,
  flags: { regions?: string; concurrency?: string },
  env: NodeJS.ProcessEnv,
): EngineOptions {
  const extra: Partial<EngineOptions> = {};
  for (const [name, key] of ENV_MS) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${name}: must be a positive integer (got ${JSON.stringify(raw)})`, EXIT.usage);
    (extra as Record<string, number>)[key] = n;
  }
  if (extra.leaseMs && !extra.heartbeatMs) extra.heartbeatMs = Math.max(50, Math.floor(extra.leaseMs / 3));
  if (extra.leaseMs && !extra.reapIntervalMs) extra.reapIntervalMs = Math.max(200, Math.floor(extra.leaseMs / 3));
  const opts = engineOptions({ runnerId: newRunnerId(), config, env, ...extra, regions: parseRegions(config, flags.regions) });
  if (flags.concurrency !== undefined) {
    const n = Number(flags.concurrency);
    if (!Number.isInteger(n) || n < 1)
      throw new CliError(`--concurrency: must be a positive integer (got ${JSON.stringify(flags.concurrency)})`, EXIT.usage);
    opts.maxConcurrency = n;
  }
  if (opts.heartbeatMs >= opts.leaseMs) {
    throw new CliError(`BEACON_HEARTBEAT_MS (${opts.heartbeatMs}) must be shorter than the lease (${opts.leaseMs})`, EXIT.usage);
  }
  return opts;
}

function parseRegions(config: BeaconConfig, raw: string | undefined): string[] | null {
  if (!raw) return null;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const ids = names.map((name) => {
    const id = resolveRegion(config, name);
    if (!id) throw new CliError(`--regions: unknown region "${name}" (known: ${Object.keys(config.regions).join(', ')})`, EXIT.usage);
    return id;
  });
  return [...new Set(ids)];
}
