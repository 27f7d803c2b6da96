// Planning time: POST /api/v1/jobs for jobs of 100,000 and 1,000,000 cells (10 regions × 10 models × 10 repeats ×
// 100 or 1,000 questions) to an API-only runner on a throwaway database, timed over HTTP (validation, one
// transaction with the job row and every cell planned in chunks of about 0.5 s each, commit). Checks every cell was stored once.
// Run alone: `node bench/plan.mjs [--json] [--quick]`; `npm run bench` runs it as scenario (h).
import { fileURLToPath } from 'node:url';
import { load, throwawayDb } from './lib.mjs';

const regions = Array.from({ length: 10 }, (_, i) => `region-${i}`);
const models = Array.from({ length: 10 }, (_, i) => `model-${i}`);

/** Plans each size once on its own fresh database; returns `[{cells, ms, cellsPerSec, statementTargetMs}]`. */
export async function planBench(libs, { sizes }) {
  const { db, domain, runner } = libs;
  const config = domain.parseConfig(
    [
      'regions:',
      ...regions.map((r) => `  ${r}: { displayName: "Region ${r}", baseUrl: "http://127.0.0.1:9/${r}/v1" }`),
      'models:',
      ...models.map((m) => `  ${m}: {}`),
    ].join('\n'),
    'bench plan config',
  );
  const out = [];
  for (const cells of sizes) {
    const database = await throwawayDb(db);
    const ds = db.createDataSource(database.url, { applicationName: 'beacon-bench-plan', poolSize: 4 });
    try {
      await ds.initialize();
      await db.migrate(ds);
      const app = await runner.createRunnerApp({ dataSource: ds, config, logger: false });
      await app.listen(0, '127.0.0.1');
      try {
        const url = `http://127.0.0.1:${app.getHttpServer().address().port}`;
        const questions = cells / (regions.length * models.length * 10);
        const body = JSON.stringify({
          id: `bench-plan-${cells}`,
          models,
          regions,
          repeats: 10,
          questions: Array.from({ length: questions }, (_, i) => ({ id: `q${i}`, text: `Question number ${i}?` })),
        });
        const started = performance.now();
        const res = await fetch(`${url}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        const answer = await res.json();
        const ms = performance.now() - started;
        if (res.status !== 201) throw new Error(`planning ${cells} cells answered ${res.status}: ${JSON.stringify(answer)}`);
        const [row] = await ds.query('SELECT count(*)::int AS n FROM executions WHERE job_id = $1', [`bench-plan-${cells}`]);
        if (row.n !== cells) throw new Error(`planned ${row.n} of ${cells} cells`);
        out.push({
          cells,
          ms: Math.round(ms),
          cellsPerSec: Math.round(cells / (ms / 1000)),
          statementTargetMs: db.PLAN_STATEMENT_TARGET_MS,
        });
      } finally {
        await app.close();
      }
    } finally {
      if (ds.isInitialized) await ds.destroy();
      await database.close();
    }
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes('--quick');
  const results = await planBench(await load(), { sizes: quick ? [100_000] : [100_000, 1_000_000] });
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
  else
    for (const r of results)
      process.stdout.write(`planning ${r.cells} cells: ${r.ms} ms (${r.cellsPerSec} cells/s, statements of ~${r.statementTargetMs} ms)\n`);
}
