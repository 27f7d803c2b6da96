// (p) The web viewer's job page on a 100,000-cell job, in headless Chromium: how long the matrix takes to draw its
// first rows once the API's first matrix page has arrived, and the summary (refusal rates, divergence, findings) once
// its answer has, how long that answer takes, the frame times while the matrix is scrolled from top to bottom, and a
// cell page of that job with its diff against another region (targets: under 1 s, under 50 ms a frame, under 1 s).
// `npm run bench:viewer`; `--cells N` for another size.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { load, throwawayDb } from './lib.mjs';

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const MODELS = ['m0', 'm1', 'm2', 'm3'];
const REGIONS = ['r0', 'r1', 'r2', 'r3', 'r4'];

/** Plants a finished job of `cells` cells (questions × 4 models × 5 regions) with labels spread over every kind. */
async function plant(ds, id, cells) {
  const questions = Math.ceil(cells / (MODELS.length * REGIONS.length));
  const spec = {
    id,
    benchmark: { name: 'viewer-bench', version: null, description: null },
    questions: Array.from({ length: questions }, (_, i) => ({ id: `q${i}`, text: `question ${i}`, category: null, source: 'inline' })),
    models: MODELS.map((m) => ({ id: m, name: m })),
    regions: REGIONS.map((r) => ({ id: r, displayName: r })),
    repeats: 1,
  };
  await ds.query(
    `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected, status) VALUES ($1, 'beacon', '{}', 'x', $2, $3, 'completed')`,
    [id, JSON.stringify(spec), questions * MODELS.length * REGIONS.length],
  );
  await ds.query(
    `INSERT INTO executions (job_id, question_id, model_id, region, state, trace_id, result_attempt, finished_at, classification, response)
     SELECT $1, 'q' || q, m, r, 'succeeded', md5($1 || q || m || r), 1, now(),
            (ARRAY['answered','answered','answered','refused','partial','empty','filtered'])[1 + (q * 7 + length(m || r)) % 7],
            'answer ' || q
       FROM generate_series(0, $2 - 1) q, unnest($3::text[]) m, unnest($4::text[]) r`,
    [id, questions, MODELS, REGIONS],
  );
  await ds.query('ANALYZE executions');
  return questions * MODELS.length * REGIONS.length;
}

const log = (s) => process.stderr.write(`    [viewer] ${s}\n`);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? null;
};
const round = (x) => (x === null ? null : Math.round(x * 10) / 10);

export async function viewerBench({ cells = 100_000 } = {}) {
  if (!existsSync(CHROMIUM)) return { skipped: `no chromium at ${CHROMIUM}` };
  const { db, domain, runner } = await load();
  const database = await throwawayDb(db);
  const ds = db.createDataSource(database.url, { applicationName: 'beacon-bench-viewer', poolSize: 8 });
  await ds.initialize();
  let app;
  let browser;
  try {
    await db.migrate(ds);
    const planted = await plant(ds, 'viewer-bench', cells);
    log(`planted ${planted} cells`);
    app = await runner.createRunnerApp({ dataSource: ds, config: domain.defaultConfig(), logger: false });
    await app.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${app.getHttpServer().address().port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Injected through the DevTools protocol (not subject to the page's CSP): the moment the first matrix row exists.
    // Likewise the moment the summary (refusal rates, divergence, findings) is drawn.
    await page.addInitScript(() => {
      new MutationObserver((_, obs) => {
        if (window.__firstRowAt === undefined && document.querySelector('.matrix-row[data-question]'))
          window.__firstRowAt = performance.now();
        if (window.__summaryAt === undefined && document.querySelector('#refusals tbody tr')) window.__summaryAt = performance.now();
        if (window.__firstRowAt !== undefined && window.__summaryAt !== undefined) obs.disconnect();
      }).observe(document, { childList: true, subtree: true });
    });
    log('browser started');
    const runs = [];
    for (let i = 0; i < 3; i++) {
      await page.goto(`${url}/#/jobs/viewer-bench`);
      await page.waitForFunction(() => window.__firstRowAt !== undefined && window.__summaryAt !== undefined, null, { timeout: 60_000 });
      runs.push(
        await page.evaluate(() => {
          const resources = performance.getEntriesByType('resource');
          const matrix = resources.find((e) => e.name.includes('/matrix?offset=0'));
          const summary = resources.find((e) => e.name.includes('/summary?'));
          return {
            afterDataMs: window.__firstRowAt - matrix.responseEnd,
            summaryAfterDataMs: window.__summaryAt - summary.responseEnd,
            summaryRequestMs: summary.responseEnd - summary.startTime,
            summaryBytes: summary.encodedBodySize,
            fromNavigationMs: window.__firstRowAt,
            summaryFromNavigationMs: window.__summaryAt,
          };
        }),
      );
      await page.goto('about:blank');
      const r = runs.at(-1);
      log(
        `first rows ${Math.round(r.afterDataMs)} ms after the matrix page, summary drawn ${Math.round(r.summaryAfterDataMs)} ms ` +
          `after its answer (request ${Math.round(r.summaryRequestMs)} ms, ${r.summaryBytes} bytes)`,
      );
    }
    await page.goto(`${url}/#/jobs/viewer-bench`);
    await page.waitForFunction(() => document.querySelector('.matrix-row[data-question]'));
    // Scrolling is measured once the page is at rest: the summary has arrived and been drawn (the full analysis is
    // computed only on demand).
    await page.waitForFunction(() => !document.querySelector('#analysis .loading'), null, { timeout: 300_000, polling: 500 });
    // Scrolls the matrix one step per frame and records each frame's time and the rows in the document: a fling
    // through the whole matrix in 240 frames (about 20 rows a frame, most of them not read yet), then a wheel-like
    // 120 pixels a frame for 240 frames from the middle.
    const scrollRun = (mode) =>
      page.evaluate(
        (mode) =>
          new Promise((resolve) => {
            const el = document.getElementById('matrix');
            const steps = 240;
            const max = el.scrollHeight - el.clientHeight;
            const start = mode === 'fling' ? 0 : Math.round(max / 2);
            el.scrollTop = start;
            const frames = [];
            let rowsMax = 0;
            let i = 0;
            let last = performance.now();
            const tick = (now) => {
              frames.push(now - last);
              last = now;
              rowsMax = Math.max(rowsMax, el.querySelectorAll('.matrix-row').length);
              if (i++ >= steps) return resolve({ frames: frames.slice(1), rowsMax });
              el.scrollTop = mode === 'fling' ? Math.round((i / steps) * max) : start + i * 120;
              requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
          }),
        mode,
      );
    const fling = await scrollRun('fling');
    const lastQuestion = `q${Math.ceil(planted / (MODELS.length * REGIONS.length)) - 1}`;
    await page.evaluate(() => (document.getElementById('matrix').scrollTop = 1e9));
    const lastRowDrawn = await page
      .waitForFunction((q) => document.querySelector(`.matrix-row[data-question="${q}"]`) !== null, lastQuestion, { timeout: 30_000 })
      .then(
        () => true,
        () => false,
      );
    const wheel = await scrollRun('wheel');
    // A cell page of the same job: the cell of the last question with a word diff against another region, timed from
    // the navigation to the diff drawn (what the page reads is filtered by the API to that question and model).
    const [cellA, cellB] = await ds.query(
      `SELECT id::text AS id FROM executions WHERE job_id = 'viewer-bench' AND question_id = $1 AND model_id = 'm0' AND region IN ('r0', 'r1') ORDER BY region`,
      [lastQuestion],
    );
    const cellRuns = [];
    for (let i = 0; i < 3; i++) {
      await page.goto('about:blank');
      const started = Date.now();
      await page.goto(`${url}/#/jobs/viewer-bench/cells/${cellA.id}?diff=${cellB.id}`);
      await page.locator('#diff [data-field="response"]').waitFor({ timeout: 60_000 });
      cellRuns.push(Date.now() - started);
    }
    log(`cell page with its diff drawn in ${cellRuns.join(', ')} ms from navigation`);
    const frameStats = (s) => ({
      p50: round(pct(s.frames, 50)),
      p95: round(pct(s.frames, 95)),
      p99: round(pct(s.frames, 99)),
      max: round(Math.max(...s.frames)),
      frames: s.frames.length,
      rowsInDomMax: s.rowsMax,
      target: 50,
    });
    const first = runs.map((r) => r.afterDataMs);
    const range = (xs) => ({ best: round(Math.min(...xs)), worst: round(Math.max(...xs)) });
    return {
      cells: planted,
      firstViewAfterDataMs: { ...range(first), target: 1000 },
      summaryAfterDataMs: { ...range(runs.map((r) => r.summaryAfterDataMs)), target: 1000 },
      summaryRequestMs: range(runs.map((r) => r.summaryRequestMs)),
      summaryBytes: runs[0].summaryBytes,
      firstViewFromNavigationMs: round(Math.min(...runs.map((r) => r.fromNavigationMs))),
      summaryFromNavigationMs: round(Math.min(...runs.map((r) => r.summaryFromNavigationMs))),
      scrollFrameMs: { fling: frameStats(fling), wheel: frameStats(wheel) },
      cellPageWithDiffMs: { ...range(cellRuns), target: 1000 },
      lastRowDrawn,
      // The machine's load while measuring: frame times on a shared machine depend on it.
      loadAverage: os.loadavg().map((x) => Math.round(x * 10) / 10),
    };
  } finally {
    await browser?.close();
    await app?.close();
    await ds.destroy();
    await database.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--cells');
  const result = await viewerBench(at > 0 ? { cells: Number(process.argv[at + 1]) } : {});
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}
