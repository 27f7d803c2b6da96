import { readFileSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { acquireDatabase, createDataSource, migrate, type DatabaseHandle } from '@beacon/db';
import { defaultConfig } from '@beacon/domain';
import { createRunnerApp } from '@beacon/runner';
import type { DataSource } from 'typeorm';
import { destroyBaseDir, freshBaseDir, postmastersFor } from '../utils/embedded-fixtures.js';

/**
 * A frozen database (every server process stopped: a paused VM, a stalled disk) must give bounded 503s with
 * Retry-After, never 500s and never requests that hang for the whole freeze. Its own embedded server: freezing the
 * shared test server would stall every other spec of the run.
 */

/** The postmaster and its children (backends, checkpointer, …). */
function clusterProcesses(postmaster: number): number[] {
  const children = readdirSync('/proc')
    .map(Number)
    .filter((pid) => {
      if (!Number.isInteger(pid) || pid <= 0) return false;
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
      } catch {
        return false;
      }
    });
  return [postmaster, ...children];
}

async function get(
  url: string,
  timeoutMs: number,
): Promise<{ status: number; error: string | null; retryAfter: string | null; ms: number }> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json().catch(() => null)) as { error?: string } | null;
    return { status: res.status, error: body?.error ?? null, retryAfter: res.headers.get('retry-after'), ms: performance.now() - t0 };
  } catch {
    return { status: 0, error: 'no answer', retryAfter: null, ms: performance.now() - t0 }; // hung past timeoutMs
  }
}

describe('a frozen database', () => {
  let dir: string;
  let handle: DatabaseHandle;
  let ds: DataSource;
  let app: INestApplication;
  let url: string;
  const frozen: number[] = [];
  const thaw = () => {
    for (const pid of frozen.splice(0))
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
  };

  beforeAll(async () => {
    dir = await freshBaseDir(true);
    handle = await acquireDatabase({ baseDir: dir, env: {} });
    // The daemon's pool size; a short query timeout so the test need not wait the production bound (35 s).
    ds = createDataSource(handle.url, { applicationName: 'beacon-test', poolSize: 20, queryTimeoutMs: 3_000 });
    await ds.initialize();
    await migrate(ds);
    app = await createRunnerApp({ dataSource: ds, config: defaultConfig(), logger: false });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  }, 120_000);
  afterAll(async () => {
    thaw();
    await app?.close().catch(() => undefined);
    await ds?.destroy().catch(() => undefined);
    await handle?.release().catch(() => undefined);
    if (dir) await destroyBaseDir(dir);
  }, 60_000);

  it('review: during a freeze 25 concurrent GET /api/v1/jobs all answer 503 with Retry-After within a bound, none 500, none hanging', async () => {
    // Warm the pool: every connection open and idle, as in a daemon that has been serving.
    const warm = await Promise.all(Array.from({ length: 25 }, () => get(`${url}/api/v1/jobs`, 10_000)));
    expect(warm.map((r) => r.status)).toEqual(Array(25).fill(200));

    const [postmaster] = postmastersFor(handle.dataDir!);
    frozen.push(...clusterProcesses(postmaster!));
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    let answers: Awaited<ReturnType<typeof get>>[];
    try {
      // 20 requests get a pooled connection whose query never returns (bounded by the query timeout, 3 s here); the
      // other 5 wait for a connection (bounded by the pool's connect timeout, 10 s). 25 s tells a bound from a hang.
      answers = await Promise.all(Array.from({ length: 25 }, () => get(`${url}/api/v1/jobs`, 25_000)));
    } finally {
      thaw();
    }
    const summary = answers.map((a) => `${a.status} ${a.error} ${Math.round(a.ms)} ms`);
    process.stderr.write(`during the freeze: ${summary.join(', ')}\n`);
    expect(answers.filter((a) => a.status !== 503)).toEqual([]);
    for (const a of answers) {
      // A read queued behind the frozen ones (the read gate lets limits.maxConcurrentReads through) is refused when its
      // wait runs out: also a 503 with Retry-After, never a hang.
      expect(['database_timeout', 'database_unavailable', 'read_busy']).toContain(a.error);
      expect(Number(a.retryAfter)).toBeGreaterThan(0);
      expect(a.ms).toBeLessThan(20_000);
    }

    // After the thaw the same pool serves again.
    const after = await get(`${url}/api/v1/jobs`, 30_000);
    expect(after.status).toBe(200);
  }, 120_000);
});
