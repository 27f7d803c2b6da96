// The daemon side of bench/live-tail.mjs: an API-only runner on the given database. Prints `{"port":…}` once
// listening, then every second a line with its RSS and live heap (after a full collection; run with --expose-gc).
import { load } from './lib.mjs';

const { dbUrl } = JSON.parse(process.argv[2]);
const { db, domain, runner } = await load();
const ds = db.createDataSource(dbUrl, { applicationName: 'beacon-bench-live', poolSize: 4 });
await ds.initialize();
const app = await runner.createRunnerApp({ dataSource: ds, config: domain.defaultConfig(), logger: false });
await app.listen(0, '127.0.0.1');
process.stdout.write(JSON.stringify({ port: app.getHttpServer().address().port }) + '\n');
setInterval(() => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  process.stdout.write(JSON.stringify({ rssMiB: m.rss / 1048576, heapMiB: m.heapUsed / 1048576 }) + '\n');
}, 1000);
process.on('SIGTERM', async () => {
  await app.close();
  await ds.destroy();
  process.exit(0);
});
