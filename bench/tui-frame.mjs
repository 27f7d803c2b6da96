// TUI frame time: plans a 100,000-execution job through the API (a fifth of its cells marked done with one attempt
// each, by SQL), renders the TUI headlessly at 120 × 40 against the real API, and times key press → frame on the
// timeline and jobs screens; then feeds the live tail 1,000 events/s for 5 s. Prints JSON with --json, else a table.
import { EventEmitter } from 'node:events';
import { load, throwawayDb } from './lib.mjs';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const log = (s) => process.stderr.write(s + '\n');
const { db, domain, runner, client, simulator } = await load();
const [{ render }, React, tui] = await Promise.all([
  import('ink'),
  import('react'),
  import(new URL('../dist/libs/tui/src/index.js', import.meta.url).href),
]);

/** A terminal for Ink: 120 × 40, records when each frame is written. */
class FakeStdout extends EventEmitter {
  columns = 120;
  rows = 40;
  isTTY = true;
  frames = 0;
  last = '';
  waiters = [];
  write(s) {
    if (s.length < 200) return true;
    this.frames++;
    this.last = s;
    for (const w of this.waiters.splice(0)) w(performance.now());
    return true;
  }
  /** When the next frame is written; null when none comes within a second (the key changed nothing on screen). */
  nextFrame() {
    return new Promise((r) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        r(null);
      }, 1000);
      const done = (at) => {
        clearTimeout(t);
        r(at);
      };
      this.waiters.push(done);
    });
  }
}
/** A keyboard for Ink. */
class FakeStdin extends EventEmitter {
  isTTY = true;
  queue = [];
  setRawMode() {}
  setEncoding() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return this.queue.shift() ?? null;
  }
  press(k) {
    this.queue.push(k);
    this.emit('readable');
  }
}

const cells = quick ? 10_000 : 100_000;
const database = await throwawayDb(db);
const ds = db.createDataSource(database.url, { applicationName: 'beacon-bench', poolSize: 8 });
await ds.initialize();
await db.migrate(ds);
const sim = await simulator.startSimulator({ port: 0, seed: 1, regions: ['r1', 'r2'] });
const yaml = [
  'regions:',
  ...['r1', 'r2'].map((r) => `  ${r}: { displayName: "Region ${r}", baseUrl: "${sim.baseUrlFor(r)}" }`),
  'models:',
  '  llama3.2-1b: {}',
  '  mistral-7b: {}',
].join('\n');
const config = domain.parseConfig(yaml, 'bench config');
const app = await runner.createRunnerApp({ dataSource: ds, config, logger: false, engine: null });
await app.listen(0, '127.0.0.1');
const api = new client.BeaconApiClient(`http://127.0.0.1:${app.getHttpServer().address().port}`);
const results = {};
try {
  const questions = cells / 100;
  const spec = JSON.stringify({
    id: 'bench-tui',
    models: ['llama3.2-1b', 'mistral-7b'],
    regions: ['r1', 'r2'],
    repeats: 25,
    questions: Array.from({ length: questions }, (_, i) => ({ id: `q${i}`, text: `What is ${i} + ${i}?` })),
  });
  let t = performance.now();
  const submitted = await api.submitJob(spec);
  log(`planned ${submitted.body.cells} cells in ${Math.round(performance.now() - t)} ms`);
  t = performance.now();
  await ds.query(`
    WITH picked AS (SELECT id, job_id, trace_id, now() - interval '10 minutes' + (id % 600) * interval '1 second' AS s
                      FROM executions WHERE job_id = 'bench-tui' AND id % 5 = 0)
    INSERT INTO execution_attempts (execution_id, job_id, attempt, runner_id, lease_token, started_at, ended_at, outcome,
                                    system_prompt, user_prompt, parameters, prompt_hash, parameters_hash, response, trace_id)
    SELECT id, job_id, 1, 'bench', gen_random_uuid(), s, s + interval '2 seconds', 'succeeded', 'sys', 'user', '{}', 'h', 'h', 'ok', trace_id
      FROM picked`);
  await ds.query(`UPDATE executions e SET state = 'succeeded', attempts = 1, classification = 'answered', response = 'ok',
                         result_attempt = a.id, started_at = a.started_at, finished_at = a.ended_at
                    FROM execution_attempts a
                   WHERE e.job_id = 'bench-tui' AND a.execution_id = e.id`);
  // Some more jobs, so that the jobs screen has rows to move through.
  for (let i = 0; i < 60; i++)
    await api.submitJob(
      JSON.stringify({ id: `bench-tui-small-${i}`, models: ['llama3.2-1b'], regions: ['r1'], questions: ['math_basic'] }),
    );
  log(`marked ${cells / 5} cells done in ${Math.round(performance.now() - t)} ms`);

  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const rssBefore = process.memoryUsage().rss;
  const ui = render(React.createElement(tui.App, { api, jobId: 'bench-tui', theme: { color: false } }), {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 1000,
  });
  await until(() => stdout.last.includes('lane 1/'), 'the timeline');

  /** Presses `key` `n` times; each time, the ms until the next frame. */
  async function timeKeys(key, n, settle) {
    const times = [];
    for (let i = 0; i < n; i++) {
      const frame = stdout.nextFrame();
      const t0 = performance.now();
      stdin.press(key);
      const at = await frame;
      if (at === null) throw new Error(`key ${JSON.stringify(key)} drew no frame`);
      times.push(at - t0);
      if (settle) await until(settle, 'the next page');
    }
    return times;
  }
  const scroll = await timeKeys('j', quick ? 100 : 300);
  // Page down runs ahead of what is loaded; before the next key, wait until the next page is there (its fetch is timed apart).
  const ahead = () => {
    const m = /lane (\d+)\/(\d+)(?: \((\d+) loaded\))?/.exec(stdout.last);
    return !m || !m[3] || Number(m[3]) - Number(m[1]) >= 40;
  };
  const page = await timeKeys('\u001B[6~', quick ? 50 : 150, ahead);
  const zoom = [...(await timeKeys('+', 6)), ...(await timeKeys('l', 10)), ...(await timeKeys('-', 6))];
  const lanes = /lane (\d+)\/(\d+)(?: \((\d+) loaded\))?/.exec(stdout.last);
  results.timeline = {
    cells,
    scroll: stats(scroll),
    pageDown: stats(page),
    zoomScroll: stats(zoom),
    laneReached: Number(lanes?.[1]),
    lanesLoaded: Number(lanes?.[3] ?? lanes?.[2]),
  };
  stdin.press('\u001B[Z');
  stdin.press('\u001B[Z');
  await until(() => stdout.last.includes('[Jobs]') && stdout.last.includes('bench-tui'), 'the jobs screen');
  results.jobs = { move: stats([...(await timeKeys('j', 50)), ...(await timeKeys('k', 50))]) };
  globalThis.gc?.();
  results.memory = {
    rssMiB: mib(process.memoryUsage().rss),
    rssGrowthMiB: mib(process.memoryUsage().rss - rssBefore),
    heapUsedMiB: mib(process.memoryUsage().heapUsed),
  };
  ui.unmount();

  results.liveTail = await liveTail();
} finally {
  await app.close();
  await sim.close();
  await ds.destroy();
  await database.close();
}

/** 1,000 events/s for 5 s into the live tail: events shown, frames drawn, how far behind the view ends, memory. */
async function liveTail() {
  const rate = 1000,
    seconds = quick ? 2 : 5;
  let sent = 0;
  const source = {
    ...api,
    listJobs: () => Promise.resolve({ items: [], nextCursor: null }),
    listFindings: () => Promise.resolve({ items: [], nextCursor: null }),
    async *events(_filter, signal) {
      const start = performance.now();
      while (!signal?.aborted && sent < rate * seconds) {
        const due = Math.min(rate * seconds, Math.floor(((performance.now() - start) / 1000) * rate));
        for (; sent < due; sent++) yield event(sent);
        await new Promise((r) => setTimeout(r, 5));
      }
      await new Promise((r) => signal?.addEventListener('abort', r, { once: true }));
    },
  };
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const ui = render(React.createElement(tui.App, { api: source, theme: { color: false } }), {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  stdin.press('\t');
  const rss0 = process.memoryUsage().rss;
  const frames0 = stdout.frames;
  const t0 = performance.now();
  let lagMax = 0;
  while (sent < rate * seconds) {
    await new Promise((r) => setTimeout(r, 100));
    lagMax = Math.max(lagMax, sent - received(stdout.last));
  }
  const elapsed = (performance.now() - t0) / 1000;
  await until(() => received(stdout.last) === rate * seconds, 'the last events');
  const out = {
    eventsPerSec: Math.round((rate * seconds) / elapsed),
    shown: received(stdout.last),
    sent: rate * seconds,
    framesPerSec: Math.round((stdout.frames - frames0) / elapsed),
    maxLagEvents: lagMax,
    rssGrowthMiB: mib(process.memoryUsage().rss - rss0),
  };
  ui.unmount();
  return out;
}

function received(frame) {
  return Number(/(\d+) received/.exec(frame)?.[1] ?? 0);
}

function event(n) {
  return {
    seq: String(n),
    kind: 'attempt_finished',
    at: new Date().toISOString(),
    jobId: 'bench-live',
    executionId: String(n),
    attemptId: String(n),
    region: n % 2 ? 'r1' : 'r2',
    modelId: 'llama3.2-1b',
    questionId: `q${n % 100}`,
    state: 'succeeded',
    outcome: 'succeeded',
    classification: 'answered',
    runnerId: 'bench',
    attempt: 1,
    latencyMs: 5,
    httpStatus: 200,
    ruleId: null,
    severity: null,
  };
}

async function until(check, what, timeoutMs = 60_000) {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 100) / 100;
  return { n: s.length, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: q(1) };
}
function mib(bytes) {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

if (json) process.stdout.write(JSON.stringify(results, null, 2) + '\n');
else {
  const f = (s) => `p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms (n=${s.n})`;
  const l = results.liveTail;
  process.stdout.write(
    [
      '',
      `TUI timeline, ${results.timeline.cells} cells   scroll ${f(results.timeline.scroll)}; page down ${f(results.timeline.pageDown)}; zoom/pan ${f(results.timeline.zoomScroll)}`,
      `                              reached lane ${results.timeline.laneReached}, ${results.timeline.lanesLoaded} lanes loaded`,
      `TUI jobs screen               move ${f(results.jobs.move)}`,
      `TUI memory                    RSS ${results.memory.rssMiB} MiB (+${results.memory.rssGrowthMiB} MiB while rendering), heap ${results.memory.heapUsedMiB} MiB`,
      `TUI live tail at 1,000 ev/s   ${l.eventsPerSec} events/s shown, ${l.framesPerSec} frames/s, max lag ${l.maxLagEvents} events, RSS +${l.rssGrowthMiB} MiB`,
      '',
    ].join('\n'),
  );
}
process.exit(0);
