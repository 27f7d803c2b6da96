// The daemon side of bench/analysis-attack.mjs: an API-only runner on the given database. Prints `{"port":…}` once
// listening, then every second a line with its RSS (no forced collections: they would stall the loop being measured).
import { load } from './lib.mjs';

const { dbUrl } = JSON.parse(process.argv[2]);
const { db, domain, runner } = await load();
const ds = db.createDataSource(dbUrl, { applicationName: 'beacon-bench-analysis-daemon', poolSize: 4 });
await ds.initialize();
// Requests wait for the whole computation (no 503 analysis_pending), so the cold latency is the computation's.
const config = domain.defaultConfig();
config.analysis = { ...config.analysis, waitMs: 300_000, timeoutMs: 600_000 };
const app = await runner.createRunnerApp({ dataSource: ds, config, logger: false });
await app.listen(0, '127.0.0.1');
process.stdout.write(JSON.stringify({ port: app.getHttpServer().address().port }) + '\n');
setInterval(() => process.stdout.write(JSON.stringify({ rssMiB: process.memoryUsage.rss() / 1048576 }) + '\n'), 1000).unref();
process.on('SIGTERM', async () => {
  await app.close();
  await ds.destroy();
  process.exit(0);
});
