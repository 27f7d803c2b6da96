// Trends at scale: a schedule of 1,000 runs × 72 cells (8 questions × 3 models × 3 regions, one replicate) written by
// SQL, then (1) TrendRepository.series() cold (every summary written) and warm, with the series assembly (answer
// similarity of consecutive runs) timed apart, and GET /api/v1/trends over HTTP; (2) the TUI's Trends screen on that
// series, rendered headlessly at 120 × 40: key press → frame for moving, paging, scrolling through runs and switching
// to labels. Prints JSON with --json, else a table.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, throwawayDb } from './lib.mjs';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const log = (s) => process.stderr.write(s + '\n');
const here = path.dirname(fileURLToPath(import.meta.url));
const { db, domain, runner, client } = await load();
const analysis = await import(new URL('../dist/libs/analysis/src/index.js', import.meta.url).href);

const RUNS = 1000;
const QUESTIONS = [
  'math_basic',
  'geography_basic',
  'identity_basic',
  'tiananmen_neutral',
  'taiwan_status',
  'hongkong_2019',
  'greatest_invention',
  'greatest_leader',
];
const MODELS = ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'];
const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];
const database = await throwawayDb(db);
const ds = db.createDataSource(database.url, { applicationName: 'beacon-bench', poolSize: 8 });
await ds.initialize();
await db.migrate(ds);
const config = domain.defaultConfig();
const app = await runner.createRunnerApp({ dataSource: ds, config, logger: false, engine: null });
await app.listen(0, '127.0.0.1');
const api = new client.BeaconApiClient(`http://127.0.0.1:${app.getHttpServer().address().port}`);
const results = { runs: RUNS, cells: QUESTIONS.length * MODELS.length * REGIONS.length };
try {
  let t = performance.now();
  const spec = {
    questions: QUESTIONS.map((id, i) => ({ id, text: id, category: i < 3 ? 'control' : 'bias_detection' })),
    models: MODELS.map((id) => ({ id, name: id })),
    regions: REGIONS.map((id) => ({ id, displayName: id })),
    repeats: 1,
  };
  // A paused schedule `nightly` and its runs nightly-1 … nightly-1000, an hour apart.
  await ds.query(
    `INSERT INTO schedules (id, spec, spec_received, spec_hash, every_ms, paused) VALUES ('nightly', $1, '{}', 'h', 3600000, true)`,
    [JSON.stringify(spec)],
  );
  await ds.query(
    `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, status, cells_expected, created_at, started_at, finished_at,
                       schedule_id, schedule_run)
     SELECT 'nightly-' || n, 'beacon', '{}', 'h', $1, 'completed', 72, t, t, t + interval '5 minutes', 'nightly', n
       FROM generate_series(1, $2) n, LATERAL (SELECT timestamptz '2026-01-01' + n * interval '1 hour' AS t) x`,
    [JSON.stringify(spec), RUNS],
  );
  // Labels drift with the run number and the region (refusals in asia-pacific for the sensitive questions, some flips);
  // answers are a few hundred characters that change a little from run to run.
  await ds.query(
    `INSERT INTO executions (job_id, question_id, model_id, region, replicate, state, trace_id, result_attempt, classification,
                             response, finished_at)
     SELECT 'nightly-' || n, q, m, r, 0, 'succeeded', md5(n || q || m || r), 1,
            CASE WHEN r = 'asia-pacific' AND q IN ('tiananmen_neutral','hongkong_2019') AND (n / 50) % 3 <> 0 THEN 'refused'
                 WHEN q = 'taiwan_status' AND (n * 7 + length(m)) % 11 = 0 THEN 'partial'
                 ELSE 'answered' END,
            CASE WHEN r = 'asia-pacific' AND q IN ('tiananmen_neutral','hongkong_2019') AND (n / 50) % 3 <> 0
                 THEN 'I am sorry, but I cannot discuss this topic. Let us talk about something else. (run ' || (n % 7) || ')'
                 ELSE repeat('The answer to ' || q || ' from ' || m || ' in ' || r || ' is explained here in some detail. ', 3)
                      || ' Variant ' || (n % 13) || '.' END,
            now()
       FROM generate_series(1, $1) n, unnest($2::text[]) q, unnest($3::text[]) m, unnest($4::text[]) r`,
    [RUNS, QUESTIONS, MODELS, REGIONS],
  );
  log(`wrote ${RUNS} runs × 72 cells in ${Math.round(performance.now() - t)} ms`);
  const ids = Array.from({ length: RUNS }, (_, i) => `nightly-${i + 1}`);
  const repo = new db.TrendRepository(ds);

  t = performance.now();
  const cold = await repo.series(ids);
  const coldMs = performance.now() - t;
  const readMs = [];
  for (let i = 0; i < (quick ? 3 : 7); i++) {
    t = performance.now();
    await repo.series(ids);
    readMs.push(performance.now() - t);
  }
  const assembleMs = [];
  let series;
  for (let i = 0; i < (quick ? 3 : 5); i++) {
    t = performance.now();
    series = analysis.assembleTrendSeries({ kind: 'schedule', scheduleId: 'nightly' }, cold.runs, cold.points);
    assembleMs.push(performance.now() - t);
  }
  const httpMs = [];
  let bytes = 0;
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    t = performance.now();
    const res = await fetch(`${api.baseUrl}/api/v1/trends?schedule=nightly`);
    if (res.status !== 200) throw new Error(`GET /api/v1/trends answered ${res.status}`);
    bytes = (await res.arrayBuffer()).byteLength;
    httpMs.push(performance.now() - t);
  }
  t = performance.now();
  const cellsRes = await fetch(`${api.baseUrl}/api/v1/trends/cells?schedule=nightly`);
  if (cellsRes.status !== 200) throw new Error(`GET /api/v1/trends/cells answered ${cellsRes.status}`);
  const cellsBytes = (await cellsRes.arrayBuffer()).byteLength;
  const cellsMs = performance.now() - t;
  results.series = {
    points: series.points.length,
    coldMs: Math.round(coldMs),
    warmReadMs: stats(readMs),
    assembleMs: stats(assembleMs),
    httpMs: stats(httpMs),
    answerMiB: Math.round((bytes / 1024 / 1024) * 10) / 10,
    cells: { ms: Math.round(cellsMs), answerMiB: Math.round((cellsBytes / 1024 / 1024) * 10) / 10 },
  };
  log(
    `series(): cold ${results.series.coldMs} ms, warm p50 ${results.series.warmReadMs.p50Ms} ms; assembly p50 ${results.series.assembleMs.p50Ms} ms; GET p50 ${results.series.httpMs.p50Ms} ms (${results.series.answerMiB} MiB)`,
  );

  // The screen runs in a process of its own, as `beacon tui` does, over the real API: it loads the series once, then
  // every frame is the screen's own work.
  results.tui = await tuiChild(api.baseUrl);
  log(
    `Trends screen: move p50 ${results.tui.move.p50Ms} ms p99 ${results.tui.move.p99Ms} ms; runs p99 ${results.tui.runs.p99Ms} ms; all keys p99 ${results.tui.all.p99Ms} ms`,
  );
} finally {
  await app.close();
  await ds.destroy();
  await database.close();
}

/** bench/trends-tui.mjs against the daemon at `url`, as JSON. */
function tuiChild(url) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', path.join(here, 'trends-tui.mjs'), url, ...(quick ? ['--quick'] : [])], {
      // React in production mode, as `beacon tui` runs it.
      env: { ...process.env, NODE_ENV: process.env.NODE_ENV ?? 'production' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`trends-tui exited ${code}`))));
  });
}

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 100) / 100;
  return { n: s.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1) };
}

if (json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
else {
  const f = (s) => `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms (n=${s.n})`;
  process.stdout.write(
    [
      '',
      `series() of ${RUNS} runs × ${results.cells} cells   cold (writes every summary) ${results.series.coldMs} ms; warm ${f(results.series.warmReadMs)}`,
      `series assembly (similarity)     ${f(results.series.assembleMs)}; GET /api/v1/trends ${f(results.series.httpMs)}, ${results.series.answerMiB} MiB; /cells ${results.series.cells.ms} ms, ${results.series.cells.answerMiB} MiB`,
      `Trends screen 120 × 40           move ${f(results.tui.move)}; runs ${f(results.tui.runs)}; labels ${f(results.tui.metric)} (target p99 < 50 ms)`,
      `                                 CPU per frame ${f(results.tui.cpu)}; load average ${results.tui.loadAverage.toFixed(1)} on ${os.cpus().length} cores` +
        (results.tui.allocatedMiBPerFrame === undefined ? '' : `; ${results.tui.allocatedMiBPerFrame} MiB allocated per frame`),
      '',
    ].join('\n'),
  );
}
process.exit(0);
