import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Daemon } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec, waitFor } from '../utils/fleet.js';

/**
 * Issue 16.1 acceptance: "`kill -9` of a daemon at the moment of a tick, with 3 daemons sharing the database: no missed
 * and no doubled firing (50 runs of a schedule firing every 10 s give exactly 50 jobs)."
 *
 * Three `beacon serve` daemons share one database; a schedule fires every BEACON_TEST_SCHEDULE_EVERY_S seconds
 * (default 1) until BEACON_TEST_SCHEDULE_FIRINGS ticks (default 30) have passed, while one daemon after another is
 * SIGKILLed at a tick moment (somewhere in the first 0.4 s after the tick, when the daemons' once-a-second looks fire
 * it) and started again. The full acceptance is `BEACON_TEST_SCHEDULE_EVERY_S=10 BEACON_TEST_SCHEDULE_FIRINGS=50`
 * (about nine minutes). Checked from the rows: every tick from the first to the last handled has exactly one row, fired
 * with exactly one job, runs numbered 1..N without gaps or doubles, and every job planned in full.
 */

const EVERY_S = Number(process.env.BEACON_TEST_SCHEDULE_EVERY_S) || 1;
const FIRINGS = Number(process.env.BEACON_TEST_SCHEDULE_FIRINGS) || 30;
const EVERY_MS = EVERY_S * 1000;

type Row = Record<string, any>;

describe('schedules across three daemons with kill -9 at tick moments', () => {
  let fleet: Fleet;
  /** The three daemons alive now (a killed one is replaced in its slot). */
  let alive: Daemon[];

  beforeAll(async () => {
    fleet = await Fleet.create({ prefix: 'sched', regions: { 'us-east': {} }, models: ['llama3.2-1b'] });
    alive = await Promise.all([fleet.startDaemon(), fleet.startDaemon(), fleet.startDaemon()]);
  }, 120_000);

  afterAll(async () => {
    await closeAllFleets();
  });

  it(
    `${FIRINGS} ticks every ${EVERY_S}s give exactly ${FIRINGS} jobs, one per tick, runs 1..${FIRINGS}`,
    async () => {
      const via = alive[0]!.url;
      const spec = jobSpec('pulse', 1, ['llama3.2-1b'], ['us-east']);
      const { id: _id, ...withoutId } = spec;
      // queue: every tick makes a job even while the previous run is going (overlap is not what is measured here);
      // catchUp 5: a look delayed past the next tick still fires both.
      const res = await fetch(`${via}/api/v1/schedules`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'pulse', spec: withoutId, every: `${EVERY_S}s`, overlap: 'queue', catchUp: 5 }),
      });
      const created = (await res.json()) as { nextRunAt: string };
      expect(res.status).toBe(201);
      const first = Date.parse(created.nextRunAt);
      const last = first + (FIRINGS - 1) * EVERY_MS;
      // The test's clock and the database's are the same machine's; ticks are read back from the rows anyway.
      // A killed daemon's replacement starts in the background (a start takes seconds); at most two are restarting at
      // once, so one daemon is always up, and each kill lands at a tick moment on a daemon that is up.
      let kills = 0;
      let victim = 0;
      const restarting = new Map<number, Promise<void>>();
      for (;;) {
        const now = Date.now();
        const nextTick = Math.ceil(now / EVERY_MS) * EVERY_MS;
        if (nextTick > last) break;
        await sleep(nextTick - now + Math.floor(Math.random() * 400));
        if (restarting.size >= alive.length - 1) continue;
        let slot = victim++ % alive.length;
        while (restarting.has(slot)) slot = victim++ % alive.length;
        await alive[slot]!.stop('SIGKILL');
        kills++;
        restarting.set(
          slot,
          fleet.startDaemon().then((d) => {
            alive[slot] = d;
            restarting.delete(slot);
          }),
        );
      }
      await Promise.all(restarting.values());
      await waitFor(
        `the tick at ${new Date(last).toISOString()} to be handled`,
        async () => {
          const [r]: Row[] = await fleet.ds.query(`SELECT 1 FROM schedule_ticks WHERE schedule_id = 'pulse' AND tick >= $1`, [
            new Date(last),
          ]);
          return r;
        },
        30_000 + EVERY_MS * 3,
        () => fleet.diagnose('pulse-1'),
      );
      await fetch(`${alive[0]!.url}/api/v1/schedules/pulse/pause`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      });

      const ticks: Row[] = await fleet.ds.query(
        `SELECT t.tick, t.outcome, t.job_id, t.run, t.manual, j.schedule_run, j.cells_expected,
                (SELECT count(*)::int FROM executions e WHERE e.job_id = j.id) AS planned
           FROM schedule_ticks t LEFT JOIN jobs j ON j.id = t.job_id
          WHERE t.schedule_id = 'pulse' ORDER BY t.tick`,
      );
      const jobs: Row[] = await fleet.ds.query(`SELECT id, schedule_run FROM jobs WHERE schedule_id = 'pulse' ORDER BY schedule_run`);
      const handled = ticks.length;
      // Every tick from the first on, once, in order, with no gap.
      expect(ticks.map((t) => (t.tick as Date).getTime())).toEqual(Array.from({ length: handled }, (_, i) => first + i * EVERY_MS));
      expect(handled).toBeGreaterThanOrEqual(FIRINGS);
      expect(ticks.filter((t) => t.outcome !== 'fired' && t.outcome !== 'queued')).toEqual([]);
      expect(ticks.filter((t) => t.manual)).toEqual([]);
      // One job per tick: as many jobs as ticks, runs 1..N, each tick's job its own run.
      expect(jobs.map((j) => j.schedule_run)).toEqual(Array.from({ length: handled }, (_, i) => i + 1));
      expect(jobs.map((j) => j.id)).toEqual(jobs.map((j) => `pulse-${j.schedule_run}`));
      expect(ticks.map((t) => t.run)).toEqual(Array.from({ length: handled }, (_, i) => i + 1));
      expect(new Set(ticks.map((t) => t.job_id)).size).toBe(handled);
      expect(ticks.filter((t) => t.schedule_run !== t.run)).toEqual([]);
      // Every job planned in full, as a submitted one is.
      expect(ticks.filter((t) => t.planned !== t.cells_expected || t.cells_expected !== 1)).toEqual([]);
      // The first FIRINGS ticks are the acceptance's runs: exactly FIRINGS jobs.
      expect(ticks.filter((t) => (t.tick as Date).getTime() <= last && t.job_id !== null)).toHaveLength(FIRINGS);
      // A restart takes seconds (tens on a loaded machine), and at most two run at once: a kill about every 15 s at worst.
      expect(kills).toBeGreaterThanOrEqual(Math.min(10, Math.max(2, Math.floor((FIRINGS * EVERY_S) / 30))));
      process.stderr.write(`[schedules-daemons] ${FIRINGS} ticks every ${EVERY_S}s, ${kills} kill -9, ${handled} ticks handled\n`);
    },
    (FIRINGS * EVERY_S + 180) * 1000,
  );
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
