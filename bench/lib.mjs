// Shared pieces of the benchmarks: a throwaway database, the simulator, an in-process runner, RSS sampling.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => pathToFileURL(path.join(root, 'dist', p)).href;

/** The compiled libraries (npm ci builds them; `npm run build` after changes). */
export async function load() {
  const [db, domain, engine, runner, client, observability, simulator] = await Promise.all([
    import(dist('libs/db/src/index.js')),
    import(dist('libs/domain/src/index.js')),
    import(dist('libs/engine/src/index.js')),
    import(dist('apps/runner/src/index.js')),
    import(dist('libs/api-client/src/index.js')),
    import(dist('libs/observability/src/index.js')),
    import(dist('libs/simulator/src/index.js')),
  ]);
  return { db, domain, engine, runner, client, observability, simulator };
}

/** A throwaway PostgreSQL: a database on DATABASE_URL, else an embedded server in a temp dir. */
export async function throwawayDb(db) {
  if (process.env.DATABASE_URL) {
    const t = await db.createThrowawayDatabase(process.env.DATABASE_URL, 'beacon_bench');
    return { url: t.url, close: () => t.drop() };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-bench-'));
  await chmod(dir, 0o755);
  const handle = await db.acquireDatabase({ baseDir: dir, env: { ...process.env, DATABASE_URL: undefined } });
  return {
    url: handle.url,
    close: async () => {
      await handle.release();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Samples this process's RSS every 50 ms; `stop()` returns the peak in MiB. */
export function rssSampler() {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  return {
    stop() {
      clearInterval(t);
      peak = Math.max(peak, process.memoryUsage.rss());
      return peak / 1024 / 1024;
    },
  };
}

/** A config with `regions` × `models` pointed at the simulator, each region allowing `concurrency` calls. */
export function benchConfig(domain, sim, regions, models, concurrency) {
  const yaml = [
    'regions:',
    ...regions.map(
      (r) => `  ${r}: { displayName: "Region ${r}", baseUrl: "${sim.baseUrlFor(r)}", concurrency: ${concurrency}, timeoutMs: 60000 }`,
    ),
    'models:',
    ...models.map((m) => `  ${m}: {}`),
  ].join('\n');
  return domain.parseConfig(yaml, 'bench config');
}

/** A job spec of `questions` inline questions × models × regions × repeats. */
export function benchSpec(id, questions, models, regions, repeats) {
  return JSON.stringify({
    id,
    models,
    regions,
    repeats,
    questions: Array.from({ length: questions }, (_, i) => ({ id: `q${i}`, text: `What is ${i} + ${i}?` })),
  });
}

/** Polls until the job has no pending or running cell; returns elapsed ms since `start`. */
export async function waitDone(ds, jobId, start, timeoutMs = 900_000) {
  for (;;) {
    const [r] = await ds.query(`SELECT EXISTS (SELECT 1 FROM executions WHERE job_id = $1 AND state IN ('pending', 'running')) AS open`, [
      jobId,
    ]);
    if (!r.open) return performance.now() - start;
    if (performance.now() - start > timeoutMs) throw new Error(`job ${jobId} not done after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 25));
  }
}
