// Live tail under load: publishes execution events at a fixed rate (default 1,000 events/s for 20 s) on a throwaway
// database through the engine's own publisher (batched NOTIFY); an API-only daemon in its own process LISTENs and
// streams them as server-sent events to one client here. Reports events delivered per second, lag (database commit clock → client receipt) p50/p99,
// events dropped, and the daemon's RSS and live heap at the start and end. Args: --rate N --seconds S --json.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
export async function liveTail(dbUrl, { client, db, rate = 1000, seconds = 20 }) {
  const ds = db.createDataSource(dbUrl, { applicationName: 'beacon-bench-writer', poolSize: 4 });
  await ds.initialize();
  const publisher = new db.LivePublisher(ds);

  const daemon = spawn(process.execPath, ['--expose-gc', path.join(here, 'live-tail-daemon.mjs'), JSON.stringify({ dbUrl })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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
  const req = http.get(`http://127.0.0.1:${port}/api/v1/events?job=${JOB}&kind=execution_state`, {
    headers: { accept: 'text/event-stream' },
  });
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

  // The writer: as many events as keep the target rate, every 5 ms, as a busy engine would publish them.
  const total = rate * seconds;
  let sent = 0;
  const start = performance.now();
  await new Promise((resolve) => {
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * rate));
      for (; sent < due; sent++) {
        const cell = sent % CELLS;
        publisher.push({
          kind: 'execution_state',
          at: Date.now(),
          jobId: JOB,
          executionId: String(cell + 1),
          region: 'bench-nowhere',
          modelId: 'bench-model',
          questionId: `q${cell}`,
          state: sent % 2 ? 'pending' : 'cancelled',
        });
      }
      if (sent >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 5);
  });
  await publisher.close();
  const writeMs = performance.now() - start;
  const deadline = Date.now() + 15_000;
  while (delivered + dropped < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 1100));
  const after = memory[memory.length - 1];
  const peakRss = Math.max(...memory.map((m) => m.rssMiB));
  req.destroy();
  daemon.kill('SIGTERM');
  await new Promise((r) => daemon.once('exit', r));
  await ds.destroy();

  // A bench that measures nothing must not print a figure: the publisher's contract changed once and this read 0 events/s.
  if (delivered + dropped < total)
    throw new Error(`live tail: ${total - delivered - dropped} of ${total} events neither delivered nor reported dropped`);
  lags.sort((a, b) => a - b);
  const pct = (p) => lags[Math.min(lags.length - 1, Math.floor((p / 100) * lags.length))] ?? null;
  return {
    targetPerSec: rate,
    seconds,
    written: total,
    writtenPerSec: round(total / (writeMs / 1000)),
    delivered,
    dropped,
    publisherDropped: publisher.dropped,
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
    const r = await liveTail(database.url, { client, db, rate, seconds });
    if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
    else {
      process.stdout.write(
        [
          `delivered   ${r.delivered} of ${r.written} events (${r.dropped} dropped, ${r.publisherDropped} dropped by the publisher), ${r.deliveredPerSec} events/s (written at ${r.writtenPerSec}/s)`,
          `lag         p50 ${r.lagMs.p50} ms, p99 ${r.lagMs.p99} ms, max ${r.lagMs.max} ms`,
          `daemon RSS  ${r.daemon.rssMiB.start} → ${r.daemon.rssMiB.end} MiB (peak ${r.daemon.rssMiB.peak}); live heap ${r.daemon.liveHeapMiB.start} → ${r.daemon.liveHeapMiB.end} MiB`,
          '',
        ].join('\n'),
      );
    }
  } finally {
    await database.close();
  }
}
