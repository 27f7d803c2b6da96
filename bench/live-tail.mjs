// Live tail under load: writes state changes at a fixed rate (default 1,000 events/s for 20 s) into a throwaway
// database; the triggers NOTIFY, an API-only daemon in its own process LISTENs and streams them as server-sent events
// to one client here. Reports events delivered per second, lag (database commit clock → client receipt) p50/p99,
// events dropped, and the daemon's RSS and live heap at the start and end. Args: --rate N --seconds S --json.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { load, throwawayDb } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const log = (s) => process.stderr.write(s + '\n');
const JOB = 'bench-live-tail';
const CELLS = 20_000;

/** Runs the live-tail scenario on `dbUrl` (migrated); returns the measurements. */
export async function liveTail(dbUrl, { client, rate = 1000, seconds = 20 }) {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 4, application_name: 'beacon-bench-writer' });
  await pool.query(`INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected) VALUES ($1, 'beacon', '{}', 'x', '{}', $2)`, [JOB, CELLS]);
  // A region no runner serves: nothing but this writer touches the rows.
  await pool.query(`INSERT INTO executions (job_id, question_id, model_id, region, trace_id)
    SELECT $1, 'q' || i, 'bench-model', 'bench-nowhere', md5(i::text) FROM generate_series(1, $2) i`, [JOB, CELLS]);
  const [{ first }] = (await pool.query(`SELECT min(id)::bigint AS first FROM executions WHERE job_id = $1`, [JOB])).rows;

  const daemon = spawn(process.execPath, ['--expose-gc', path.join(here, 'live-tail-daemon.mjs'), JSON.stringify({ dbUrl })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const memory = [];
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    daemon.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (line.port) resolve(line.port);
        else memory.push(line);
      }
    });
    daemon.on('exit', (code) => reject(new Error(`daemon exited ${code}`)));
  });

  const lags = [];
  let delivered = 0;
  let dropped = 0;
  let firstAt = 0;
  let lastAt = 0;
  const parser = new client.SseParser();
  const req = http.get(`http://127.0.0.1:${port}/api/v1/events?job=${JOB}&kind=execution_state`, { headers: { accept: 'text/event-stream' } });
  await new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const now = Date.now();
        for (const m of parser.push(chunk)) {
          if (m.event === 'gap') dropped += JSON.parse(m.data).dropped;
          else {
            delivered++;
            lags.push(now - Date.parse(JSON.parse(m.data).at));
            firstAt ||= now;
            lastAt = now;
          }
        }
      });
      resolve();
    });
    req.on('error', reject);
  });
  // Let the daemon settle, then take the baseline memory.
  await new Promise((r) => setTimeout(r, 2000));
  const before = memory[memory.length - 1];

  // The writer: batches of up to 20 state changes, as many as keep the target rate, at most 3 statements in flight.
  const total = rate * seconds;
  let sent = 0;
  let inFlight = 0;
  let cursor = 0;
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      while (sent < due && inFlight < 3) {
        const n = Math.min(20, due - sent);
        const ids = Array.from({ length: n }, (_, i) => String(BigInt(first) + BigInt((cursor + i) % CELLS)));
        cursor = (cursor + n) % CELLS;
        sent += n;
        inFlight++;
        pool.query(
          `UPDATE executions SET state = CASE WHEN state = 'pending' THEN 'cancelled' ELSE 'pending' END,
                  finished_at = CASE WHEN state = 'pending' THEN now() END, updated_at = now()
            WHERE id = ANY($1::bigint[])`, [ids]).finally(() => { inFlight--; });
      }
      if (sent >= total && inFlight === 0) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  const writeMs = performance.now() - start;
  const deadline = Date.now() + 15_000;
  while (delivered + dropped < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1100));
  const after = memory[memory.length - 1];
  const peakRss = Math.max(...memory.map((m) => m.rssMiB));
  req.destroy();
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  await pool.end();

  lags.sort((a, b) => a - b);
  const pct = (p) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? null;
  return {
    targetPerSec: rate, seconds, written: total, writtenPerSec: round(total / (writeMs / 1000)), delivered, dropped,
    deliveredPerSec: round(delivered / Math.max(0.001, (lastAt - firstAt) / 1000)),
    lagMs: { p50: pct(50), p99: pct(99), max: lags[lags.length - 1] ?? null },
    daemon: {
      rssMiB: { start: round(before.rssMiB), end: round(after.rssMiB), peak: round(peakRss) },
      liveHeapMiB: { start: round(before.heapMiB), end: round(after.heapMiB) },
    },
  };
}

function round(x, digits = 1) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { db, client } = await load();
  const database = await throwawayDb(db);
  try {
    const ds = db.createDataSource(database.url, { applicationName: 'beacon-bench', poolSize: 2 });
    await ds.initialize();
    await db.migrate(ds);
    await ds.destroy();
    const rate = arg('rate', 1000);
    const seconds = arg('seconds', 20);
    log(`live tail: ${rate} events/s for ${seconds} s through NOTIFY → daemon → SSE`);
    const r = await liveTail(database.url, { client, rate, seconds });
    if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else {
      process.stdout.write([
        `delivered   ${r.delivered} of ${r.written} events (${r.dropped} dropped), ${r.deliveredPerSec} events/s (written at ${r.writtenPerSec}/s)`,
        `lag         p50 ${r.lagMs.p50} ms, p99 ${r.lagMs.p99} ms, max ${r.lagMs.max} ms`,
        `daemon RSS  ${r.daemon.rssMiB.start} → ${r.daemon.rssMiB.end} MiB (peak ${r.daemon.rssMiB.peak}); live heap ${r.daemon.liveHeapMiB.start} → ${r.daemon.liveHeapMiB.end} MiB`,
        '',
      ].join('\n'));
    }
  } finally {
    await database.close();
  }
}
