// Token flood: a `beacon serve` daemon (API only) configured with one scrypt-hashed token without an id (the slow kind
// older releases printed) and a viewer token, flooded by bench/flood-client.mjs from 127.0.0.2 with `concurrency`
// requests in flight, each carrying a fresh unknown bearer token. Reports the daemon's event-loop delay p99 and max over
// the flood (its beacon_event_loop_delay_seconds, scraped just before and just after), /health/live latency measured
// from 127.0.0.1 during it, and how the flood was answered. Run alone: `node bench/token-flood.mjs [--json] [--quick]`;
// `npm run bench` runs it as scenario (j). BENCH_DAEMON_NODE_FLAGS passes flags to the daemon's node (e.g.
// `--cpu-prof --cpu-prof-dir=prof`; the daemon is then stopped with SIGINT so the profile is written).
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load, throwawayDb } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'beacon.js');
const VIEWER = 'bct_bench-viewer-token-for-metrics';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
function get(url, token) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { agent, headers: token ? { authorization: `Bearer ${token}` } : {}, timeout: 60_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0, body: '' }));
  });
}

/** The daemon's beacon_event_loop_delay_seconds p99 and max, in ms, over the window since the previous scrape. */
async function loopDelay(url) {
  const res = await get(`${url}/metrics`, VIEWER);
  const out = {};
  for (const m of res.body.matchAll(/^beacon_event_loop_delay_seconds\{(?:quantile|percentile)="([\w.]+)"\} ([\d.eE+-]+)$/gm)) {
    const key = ['0.99', '99', 'p99'].includes(m[1]) ? 'p99' : ['1', '100', 'max'].includes(m[1]) ? 'max' : m[1];
    out[key] = Number(m[2]) * 1000;
  }
  return out;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const r1 = (x) => Math.round(x * 10) / 10;

/** Runs the flood once against a fresh daemon on `dbUrl`. */
export async function tokenFloodBench(dbUrl, { domain, concurrency = 800, seconds = 10 }) {
  const port = await freePort();
  const tokens = [
    `legacy:viewer:${domain.hashToken('a-person-chose-this-token', 'scrypt')}`,
    `metrics:viewer:${domain.hashToken(VIEWER)}`,
  ].join(' ');
  const daemon = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_DAEMON_NODE_FLAGS ? process.env.BENCH_DAEMON_NODE_FLAGS.split(' ') : []),
      bin,
      'serve',
      '--port',
      String(port),
      '--no-workers',
    ],
    {
      env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: dbUrl, BEACON_AUTH_TOKENS: tokens, BEACON_CONFIG: undefined },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      if ((await get(`${url}/health/ready`)).status === 200) break;
      if (daemon.exitCode !== null || i > 600) throw new Error('the daemon did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    await loopDelay(url); // starts the measured window
    const flood = spawn(
      process.execPath,
      [path.join(here, 'flood-client.mjs'), JSON.stringify({ url, concurrency, durationMs: seconds * 1000, localAddress: '127.0.0.2' })],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    flood.stdout.on('data', (d) => {
      out += d;
    });
    const done = new Promise((resolve, reject) =>
      flood.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`flood client exited ${code}`)))),
    );
    let finished = false;
    void done.then(
      () => {
        finished = true;
      },
      () => {
        finished = true;
      },
    );
    const live = [];
    while (!finished) {
      live.push((await get(`${url}/health/live`)).ms);
      await new Promise((r) => setTimeout(r, 25));
    }
    const result = await done;
    const delay = await loopDelay(url);
    const valid = await get(`${url}/api/v1/jobs`, VIEWER);
    return {
      concurrency,
      seconds: result.seconds,
      requests: result.sent,
      answered: result.byStatus,
      errors: result.errors,
      eventLoopDelayMs: { p99: delay.p99 === undefined ? null : r1(delay.p99), max: delay.max === undefined ? null : r1(delay.max) },
      healthLiveMs: { samples: live.length, p50: r1(pct(live, 50)), p99: r1(pct(live, 99)), max: r1(Math.max(...live)) },
      validTokenAfter: valid.status,
      target: 'event-loop delay and /health/live p99 < 200 ms',
    };
  } finally {
    daemon.kill(process.env.BENCH_DAEMON_NODE_FLAGS ? 'SIGINT' : 'SIGKILL');
    await new Promise((r) => (daemon.exitCode !== null ? r() : daemon.once('exit', r)));
    agent.destroy();
  }
}

/** The scenario on its own throwaway database, as `npm run bench` runs it. */
export async function tokenFloodScenario(libs, { quick = false } = {}) {
  const database = await throwawayDb(libs.db);
  try {
    const ds = libs.db.createDataSource(database.url, { applicationName: 'beacon-bench-flood', poolSize: 2 });
    await ds.initialize();
    await libs.db.migrate(ds);
    await ds.destroy();
    return await tokenFloodBench(database.url, { domain: libs.domain, seconds: quick ? 4 : 10 });
  } finally {
    await database.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await tokenFloodScenario(await load(), { quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else
    process.stdout.write(
      `token flood: event-loop delay p99 ${r.eventLoopDelayMs.p99} ms max ${r.eventLoopDelayMs.max} ms, /health/live p99 ${r.healthLiveMs.p99} ms; ${r.requests} requests answered ${JSON.stringify(r.answered)}\n`,
    );
}
