// The analysis attack (issue 13, defect 4): three concurrent `GET /api/v1/jobs/:id/analysis` on jobs of 3,000 and
// 30,000 cells (1,000 replicates per region), against an API-only daemon in its own process, while /health/live is
// probed every 10 ms. Reports the daemon's event-loop delay p99 and max over the attack (its own
// beacon_event_loop_delay_seconds, scraped before and after), /health/live latency p99 and max, the analysis latency
// cold (three concurrent requests, one computation) and cached, and the daemon's peak RSS. Args: --quick --json.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, throwawayDb } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const log = (s) => process.stderr.write(s + '\n');
const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];

/** Runs the attack on a fresh throwaway database; returns one row per job size. */
export async function analysisAttack({ quick = false } = {}) {
  const { db } = await load();
  const database = await throwawayDb(db);
  const ds = db.createDataSource(database.url, { applicationName: 'beacon-bench-analysis', poolSize: 4 });
  await ds.initialize();
  await db.migrate(ds);
  const daemon = await startDaemon(database.url);
  try {
    const sizes = quick
      ? [{ questions: 1, repeats: 1000 }]
      : [
          { questions: 1, repeats: 1000 },
          { questions: 10, repeats: 1000 },
        ];
    const rows = [];
    for (const { questions, repeats } of sizes) {
      const cells = questions * REGIONS.length * repeats;
      const jobId = `bench-analysis-${cells}`;
      await seedJob(ds, daemon.url, jobId, questions, repeats);
      await new Promise((r) => setTimeout(r, 2000)); // the seeding's live events drain
      // Baseline: the same probes with no analysis, over 3 s (on a busy machine the loop is late without any attack).
      await loopDelay(daemon.url);
      const idle = healthProbe(daemon.url);
      await new Promise((r) => setTimeout(r, 3000));
      const idleHealth = await idle.stop();
      const idleDelay = await loopDelay(daemon.url);
      log(`    ${cells}-cell job seeded; three concurrent analyses (each retrying as Retry-After says), /health/live every 10 ms`);
      const rssBefore = daemon.rss();
      const probe = healthProbe(daemon.url);
      const t0 = performance.now();
      const answers = await Promise.all([0, 1, 2].map(() => analysisAsAClient(`${daemon.url}/api/v1/jobs/${jobId}/analysis`)));
      const coldMs = performance.now() - t0;
      const health = await probe.stop();
      const delay = await loopDelay(daemon.url);
      const cached = await analysisAsAClient(`${daemon.url}/api/v1/jobs/${jobId}/analysis`);
      if (cached.cache !== 'hit') log(`    (the repeated request was not a cache hit: ${cached.cache})`);
      const sampled = JSON.parse(answers[0].text).pairs.filter((p) => p.sampling).length;
      rows.push({
        cells,
        concurrentRequests: 3,
        coldMs: round(coldMs),
        pendingAnswers: answers.reduce((n, a) => n + a.pending, 0),
        cachedMs: round(cached.ms),
        jsonKiB: round(answers[0].text.length / 1024),
        sampledPairs: sampled,
        coldPhasesMs: answers.find((a) => a.phases.compute !== undefined)?.phases ?? null,
        cachedPhasesMs: cached.phases,
        eventLoopDelayP99Ms: round(delay['99'] * 1000),
        eventLoopDelayMaxMs: round(delay['100'] * 1000),
        healthLiveP99Ms: round(health.p99),
        healthLiveMaxMs: round(health.max),
        healthProbes: health.n,
        idle: {
          eventLoopDelayP99Ms: round(idleDelay['99'] * 1000),
          eventLoopDelayMaxMs: round(idleDelay['100'] * 1000),
          healthLiveP99Ms: round(idleHealth.p99),
          healthLiveMaxMs: round(idleHealth.max),
        },
        daemonRssMiB: { before: round(rssBefore), peak: round(daemon.peakRss()) },
      });
      const r = rows.at(-1);
      log(
        `    ${cells} cells: cold ${r.coldMs} ms (${JSON.stringify(r.coldPhasesMs)}), cached ${r.cachedMs} ms; event-loop delay p99 ${r.eventLoopDelayP99Ms} ms max ${r.eventLoopDelayMaxMs} ms; /health/live p99 ${r.healthLiveP99Ms} ms max ${r.healthLiveMaxMs} ms` +
          ` (idle: loop p99 ${r.idle.eventLoopDelayP99Ms} ms max ${r.idle.eventLoopDelayMaxMs} ms, /health/live p99 ${r.idle.healthLiveP99Ms} ms)`,
      );
    }
    return rows;
  } finally {
    await daemon.stop();
    await ds.destroy();
    await database.close();
  }
}

/** What `beacon report` does: GET, and on 503 analysis_pending/busy wait as Retry-After says and ask again. */
async function analysisAsAClient(url) {
  let pending = 0;
  for (;;) {
    const r = await timedGet(url);
    if (r.status === 200) return { ...r, pending };
    const body = JSON.parse(r.text);
    if (r.status !== 503 || !['analysis_pending', 'analysis_busy'].includes(body.error))
      throw new Error(`${url}: HTTP ${r.status} ${r.text.slice(0, 200)}`);
    pending += 1;
    await new Promise((res) => setTimeout(res, Number(r.retryAfter ?? 2) * 1000));
  }
}

/** An API-only daemon (bench/analysis-daemon.mjs) in its own process; it reports its RSS every second. */
async function startDaemon(dbUrl) {
  const child = spawn(process.execPath, [path.join(here, 'analysis-daemon.mjs'), JSON.stringify({ dbUrl })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last = 0;
  let peak = 0;
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (line.port) resolve(line.port);
        else {
          last = line.rssMiB;
          peak = Math.max(peak, line.rssMiB);
        }
      }
    });
    child.on('exit', (code) => reject(new Error(`daemon exited ${code}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    rss: () => {
      peak = last;
      return last;
    },
    peakRss: () => peak,
    stop: () =>
      new Promise((resolve) => {
        child.on('exit', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/** Submits a `questions` × 1 model × 3 regions × `repeats` job, then writes every cell as succeeded (varied texts). */
async function seedJob(ds, url, jobId, questions, repeats) {
  const spec = {
    id: jobId,
    models: ['qwen2.5-1.5b'],
    regions: REGIONS,
    repeats,
    questions: Array.from({ length: questions }, (_, i) => ({ id: `q${i}`, text: `Describe event number ${i} and its consequences.` })),
  };
  const res = await fetch(`${url}/api/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  if (res.status !== 201) throw new Error(`submit ${jobId}: HTTP ${res.status} ${await res.text()}`);
  // Refusals mostly in one region; answers from a few dozen variants per region with replicate-specific detail.
  await ds.query(
    `UPDATE executions SET state = 'succeeded', attempts = 1, result_attempt = 1, started_at = now(), finished_at = now(), updated_at = now(),
            classification = CASE WHEN region = 'asia-pacific' AND replicate % 10 < 7 THEN 'refused'
                                  WHEN replicate % 13 = 0 THEN 'partial' ELSE 'answered' END,
            response = CASE WHEN region = 'asia-pacific' AND replicate % 10 < 7 THEN 'I''m sorry, but I can''t assist with that.'
                            ELSE 'In ' || region || ', variant ' || (replicate % 40) || ': the events of that year are described differently by '
                                 || 'different sources. ' || repeat('Historians note ' || md5(question_id || (replicate % 40)::text) || '. ', 4)
                                 || 'Detail ' || md5(replicate::text) || '.' END
      WHERE job_id = $1`,
    [jobId],
  );
  // A finished job, as the roll-up would leave it (the reconciler then has nothing to say about it).
  await ds.query(`UPDATE jobs SET status = 'completed', started_at = now(), finished_at = now(), updated_at = now() WHERE id = $1`, [
    jobId,
  ]);
}

async function timedGet(url) {
  const t0 = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  const phases = Object.fromEntries(
    (res.headers.get('server-timing') ?? '')
      .split(',')
      .map((p) => /analysis-(\w+);dur=([\d.]+)/.exec(p))
      .filter(Boolean)
      .map((m) => [m[1], Number(m[2])]),
  );
  return {
    status: res.status,
    text,
    ms: performance.now() - t0,
    cache: res.headers.get('x-beacon-analysis-cache'),
    retryAfter: res.headers.get('retry-after'),
    phases,
  };
}

/** `beacon_event_loop_delay_seconds` by percentile (each scrape starts a new window in the daemon). */
async function loopDelay(url) {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Object.fromEntries(
    [...text.matchAll(/^beacon_event_loop_delay_seconds\{percentile="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1], Number(m[2])]),
  );
}

/** Probes /health/live one request at a time every 10 ms until stopped; returns latency p99, max and count. */
function healthProbe(url) {
  const latencies = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await (await fetch(`${url}/health/live`)).arrayBuffer();
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      latencies.sort((a, b) => a - b);
      return {
        p99: latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? 0,
        max: latencies.at(-1) ?? 0,
        n: latencies.length,
      };
    },
  };
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await analysisAttack({ quick: process.argv.includes('--quick') });
  process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
}
