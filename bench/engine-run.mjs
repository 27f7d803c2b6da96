// One benchmark scenario in its own process: an in-process runner works one job against a simulator served by the
// parent; prints {cells, ms, cellsPerSec, peakRssMiB} as JSON. Args: JSON {simUrl, regions, models, questions, repeats, concurrency, dbUrl}.
import { register } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { load, rssSampler, waitDone } from './lib.mjs';

const args = JSON.parse(process.argv[2]);
const observe = args.observe !== false;
/** `observe: 'sdk'`: the full SDK as `beacon serve` runs it ({@link startBenchSdk}); `true`: a bare SDK tracer. */
const fullSdk = args.observe === 'sdk';

/** A real SDK tracer whose batch processor hands spans to an exporter that drops them: the cost of tracing, minus the network. */
async function benchTracer(observability) {
  const { BasicTracerProvider, BatchSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const drop = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
  // With the execution-span id generator, as startTracing sets it up: the cost includes execution spans.
  const idGenerator = observability.ExecutionIdGenerator ? new observability.ExecutionIdGenerator() : undefined;
  return new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(drop)], idGenerator }).getTracer('beacon-bench');
}

/**
 * With `observe: 'sdk'`, the SDK as `beacon serve` runs it (see startTracing): the HTTP and pg instrumentations, the
 * W3C propagator and context manager, the execution-span id generator and a batch processor, but an exporter that
 * drops the spans: the cost of tracing (execution, attempt, call and pg spans, traceparent on every call) minus the
 * network. Started before the libraries load, so that the pg instrumentation sees pg load.
 */
async function startBenchSdk() {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [{ NodeSDK }, { HttpInstrumentation }, { PgInstrumentation }, { BatchSpanProcessor }] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-pg'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const obs = await import(pathToFileURL(path.join(root, 'dist/libs/observability/src/index.js')).href);
  const drop = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => undefined };
  const sdk = new NodeSDK({
    serviceName: 'beacon-bench',
    spanProcessors: [new BatchSpanProcessor(drop)],
    metricReaders: [],
    logRecordProcessors: [],
    // Absent in trees before issue 15 (no execution spans there): the SDK's random ids then.
    ...(obs.ExecutionIdGenerator ? { idGenerator: new obs.ExecutionIdGenerator() } : {}),
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation({ requireParentSpan: true, ignoreConnectSpans: true })],
  });
  sdk.start();
  return sdk;
}
const sdk = fullSdk ? await startBenchSdk() : null;
const { db, domain, engine, runner, observability } = await load();

const sim = { baseUrlFor: (r) => `${args.simUrl}/${r}/v1` };
const yaml = [
  'regions:',
  ...args.regions.map(
    (r) => `  ${r}: { displayName: "Region ${r}", baseUrl: "${sim.baseUrlFor(r)}", concurrency: ${args.concurrency}, timeoutMs: 60000 }`,
  ),
  'models:',
  ...args.models.map((m) => `  ${m}: {}`),
].join('\n');
const config = domain.parseConfig(yaml, 'bench config');
const ds = db.createDataSource(args.dbUrl, { applicationName: 'beacon-bench', poolSize: Number(process.env.POOL ?? 20) });
await ds.initialize();
const jobRepo = new db.JobRepository(ds);
const spec = JSON.stringify({
  id: args.jobId,
  models: args.models,
  regions: args.regions,
  repeats: args.repeats,
  questions: Array.from({ length: args.questions }, (_, i) => ({ id: `q${i}`, text: `What is ${i} + ${i}?` })),
});
const norm = domain.normaliseJobSpec(JSON.parse(spec), config);
if (!norm.ok) throw new Error(JSON.stringify(norm.problems));
const rss = rssSampler();
await jobRepo.submit({ spec: norm.spec, received: spec, hash: norm.hash, submitter: null, traceparent: null });
const tracer = new observability.AttemptTracing(observe && !fullSdk ? { tracer: await benchTracer(observability) } : {});
const app = await runner.createRunnerApp({
  dataSource: ds,
  config,
  logger: false,
  observability: observe,
  engine: engine.engineOptions({
    runnerId: `bench:${process.pid}`,
    config,
    tracer,
    maxConcurrency: args.concurrency * args.regions.length,
    pollMs: 100,
    rollupMs: 1000,
  }),
});
const start = performance.now();
// With --expose-gc: the live heap (after a full collection) every 2 s, to tell retained memory from garbage not yet collected.
let peakLiveHeapMiB = 0;
if (globalThis.gc) {
  setInterval(() => {
    globalThis.gc();
    peakLiveHeapMiB = Math.max(peakLiveHeapMiB, process.memoryUsage().heapUsed / 1048576);
  }, 2000).unref();
}
await app.init();
const ms = await waitDone(ds, args.jobId, start);
const peakRssMiB = rss.stop();
await app.close();
await sdk?.shutdown();
const [r] = await ds.query(
  `SELECT count(*) FILTER (WHERE state = 'succeeded')::int AS ok, count(*)::int AS n FROM executions WHERE job_id = $1`,
  [args.jobId],
);
await ds.destroy();
process.stdout.write(
  JSON.stringify({ cells: r.n, succeeded: r.ok, ms: Math.round(ms), cellsPerSec: r.n / (ms / 1000), peakRssMiB, peakLiveHeapMiB }) + '\n',
);
