import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import fc from 'fast-check';
import { defaultConfig } from '@beacon/domain';
import { engineOptions } from '@beacon/engine';
import { ReconcileService } from '@beacon/reconciler';
import { createRunnerApp } from '@beacon/runner';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import { buildDashboards } from '../../dashboards/src/build.js';
import { panelQueries } from '../../dashboards/src/inventory.js';
import { migratedDatabase, postJob, type TestDatabase } from '../utils/runner-harness.js';
import { findPrometheus, pollUntil, startPrometheus, type RunningPrometheus } from '../utils/prometheus.js';
import { close } from '../oracle/compare.js';
import { POOL } from '../oracle/history.js';
import { DEFAULTS, wilsonByDefinition } from '../oracle/oracle.js';

/**
 * Issue 15, "Make it a property", the engine's side: generated jobs (axes, replicates, and the simulator's faults: errors,
 * rate limits, bad requests, so retries, storms and failed cells) run by the daemon's engine against the simulator. The
 * ground truth is outside Beacon: the simulator's own counters (calls and answers per cell), and the stored labels (the
 * classifier is not re-run: labels are the rows'). Every API count, reconciler finding and analysis figure of each job,
 * and after the last one the Bias and Reliability panels as a real Prometheus evaluates them, must equal the oracle.
 * Engine runs are slow (retries back off), so a few histories (ORACLE_ENGINE_RUNS, default 4) suffice.
 */
const RUNS = Number(process.env.ORACLE_ENGINE_RUNS ?? 4);
const SEED = Number(process.env.ORACLE_SEED ?? 15_015);
const TERMINAL = new Set(['completed', 'partially_completed', 'failed', 'cancelled']);

interface EngineHistory {
  questions: string[];
  models: string[];
  regions: string[];
  repeats: number;
  errorRate: number;
  rateLimitRate: number;
  badRequestRate: number;
}

const engineHistoryArb: fc.Arbitrary<EngineHistory> = fc.record({
  questions: fc.subarray([...POOL.questions], { minLength: 1 }),
  models: fc.subarray([...POOL.models], { minLength: 1 }),
  regions: fc.subarray([...POOL.regions], { minLength: 1 }),
  repeats: fc.integer({ min: 1, max: 2 }),
  errorRate: fc.constantFrom(0, 0.3, 0.6),
  rateLimitRate: fc.constantFrom(0, 0.1),
  badRequestRate: fc.constantFrom(0, 0.2),
});

const bins = findPrometheus();

describe('oracle harness: generated jobs run by the engine against the simulator (issue 15)', () => {
  const config = defaultConfig();
  const textOf = Object.fromEntries(Object.values(config.questions).map((q) => [q.text, q.id]));
  let db: TestDatabase;
  let sim: RunningSimulator;
  let app: INestApplication;
  let baseUrl: string;
  let prom: RunningPrometheus | null = null;
  let seq = 0;
  /** Every call the simulator saw over every history, by region and model (for the Prometheus panels). */
  const callsByRM: Record<string, number> = {};

  beforeAll(async () => {
    db = await migratedDatabase('oracleng');
    sim = await startSimulator({ port: 0, seed: SEED, faults: { retryAfterSeconds: 0, latencyMs: { min: 5, max: 20 } } });
    for (const region of Object.values(config.regions)) region.baseUrl = sim.baseUrlFor(region.id);
    app = await createRunnerApp({
      dataSource: db.ds,
      config,
      logger: false,
      engine: engineOptions({ runnerId: 'oracle-engine', config, leaseMs: 10_000, pollMs: 50, rollupMs: 100, reapIntervalMs: 500 }),
    });
    await app.listen(0, '127.0.0.1');
    // The daemon's scheduled reconciler would persist findings of these jobs on its own and hold the lock at times.
    await app.get(SchedulerRegistry).getCronJob('beacon-reconcile').stop();
    const { port } = app.getHttpServer().address() as { port: number };
    baseUrl = `http://127.0.0.1:${port}`;
    if (bins) {
      prom = await startPrometheus({ bins, jobs: { beacon: [`127.0.0.1:${port}`] }, intervalSeconds: 1 });
      await prom.waitForTargetUp('beacon');
      await prom.waitForScrapes('beacon', 1);
    }
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    await app?.close();
    await sim?.close();
    await db?.close();
  });

  const get = async (p: string): Promise<any> => {
    for (;;) {
      const res = await fetch(baseUrl + p);
      if (res.status === 503) {
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      expect(res.status).toBe(200);
      return res.json();
    }
  };

  it(`property: ${RUNS} engine jobs, every API count, finding and refusal figure equals the simulator's and the rows' truth`, async () => {
    await fc.assert(
      fc.asyncProperty(engineHistoryArb, async (h) => {
        const jobId = `oracle-engine-${++seq}`;
        sim.setFaults({ errorRate: h.errorRate, rateLimitRate: h.rateLimitRate, badRequestRate: h.badRequestRate });
        sim.resetStats();
        const spec = { id: jobId, questions: h.questions, models: h.models, regions: h.regions, repeats: h.repeats };
        expect((await postJob(baseUrl, JSON.stringify(spec))).status).toBe(201);
        const job = await pollUntil(
          async () => {
            const j = await get(`/api/v1/jobs/${jobId}`);
            return TERMINAL.has(j.status) ? j : undefined;
          },
          90_000,
          () => `job ${jobId} did not finish`,
          100,
        );
        sim.setFaults({ errorRate: 0, rateLimitRate: 0, badRequestRate: 0 });

        // Ground truth 1, the simulator: calls and answers per (question, model, region) — replicates share one key.
        const truth = new Map<string, { calls: number; answered: number }>();
        for (const c of sim.stats().cells) {
          const q = textOf[c.user] ?? `(unknown user text ${c.user})`;
          const k = `${q}|${c.model}|${c.region}`;
          const t = truth.get(k) ?? { calls: 0, answered: 0 };
          truth.set(k, { calls: t.calls + c.calls, answered: t.answered + c.answered });
          callsByRM[`${c.region}|${c.model}`] = (callsByRM[`${c.region}|${c.model}`] ?? 0) + c.calls;
        }
        const cells = h.questions.flatMap((q) => h.models.flatMap((m) => h.regions.map((r) => `${q}|${m}|${r}`)));
        const succeeded = cells.reduce((n, k) => n + (truth.get(k)?.answered ?? 0), 0);
        const total = cells.length * h.repeats;
        expect([...truth.keys()].filter((k) => !cells.includes(k))).toEqual([]);

        // The API: the job's cells by state (every succeeded cell is one answer of the simulator: exactly once).
        const byState: Record<string, number> = {};
        if (succeeded) byState.succeeded = succeeded;
        if (total - succeeded) byState.failed = total - succeeded;
        const succeededRegions = new Set([...truth].filter(([k, t]) => cells.includes(k) && t.answered > 0).map(([k]) => k.split('|')[2]))
          .size;
        const rate = succeeded / total;
        const status =
          succeeded > 0 && rate >= DEFAULTS.minSuccessRate && succeededRegions >= 1
            ? succeeded === total
              ? 'completed'
              : 'partially_completed'
            : 'failed';
        expect({ status: job.status, cells: job.cells }).toEqual({ status, cells: { expected: total, actual: total, byState } });
        const listed = await get(`/api/v1/executions?job=${jobId}&limit=1000`);
        const answeredByKey: Record<string, number> = {};
        for (const e of listed.items as { questionId: string; modelId: string; region: string; state: string }[])
          if (e.state === 'succeeded')
            answeredByKey[`${e.questionId}|${e.modelId}|${e.region}`] =
              (answeredByKey[`${e.questionId}|${e.modelId}|${e.region}`] ?? 0) + 1;
        const simAnswered = Object.fromEntries(cells.filter((k) => truth.get(k)?.answered).map((k) => [k, truth.get(k)!.answered]));
        expect(answeredByKey).toEqual(simAnswered);

        // Every provider call is one attempt row with a call (deferred and released attempts make none).
        const attempts: { q: string; m: string; r: string; attempt: number; outcome: string }[] = await db.ds.query(
          `SELECT e.question_id AS q, e.model_id AS m, e.region AS r, a.attempt, a.outcome
             FROM execution_attempts a JOIN executions e ON e.id = a.execution_id WHERE a.job_id = $1`,
          [jobId],
        );
        const called: Record<string, number> = {};
        for (const a of attempts)
          if (!['deferred', 'released'].includes(a.outcome)) called[`${a.q}|${a.m}|${a.r}`] = (called[`${a.q}|${a.m}|${a.r}`] ?? 0) + 1;
        expect(called).toEqual(Object.fromEntries(cells.filter((k) => truth.get(k)?.calls).map((k) => [k, truth.get(k)!.calls])));

        // Reconciler: a clean engine run has no finding but a retry storm where retries exceed 20 % of max(first, 10).
        const storms: string[] = [];
        for (const r of h.regions)
          for (const m of h.models) {
            const mine = attempts.filter((a) => a.r === r && a.m === m);
            const first = mine.filter((a) => a.attempt === 1).length;
            const retries = mine.length - first;
            if (retries > 0.2 * Math.max(first, 10)) storms.push(`retry_storm:${r}:${m}`);
          }
        const run = await new ReconcileService(db.ds).run({ scope: { jobId }, persist: false });
        if (run.skipped) throw new Error('reconciler lock held');
        expect(run.errors).toEqual([]);
        expect(run.findings.map((f) => f.fingerprint).sort()).toEqual(storms.sort());

        // Analysis: refusal counts and Wilson bounds per region × model, from the stored labels of the succeeded rows.
        const rows: { m: string; r: string; state: string; classification: string | null }[] = await db.ds.query(
          'SELECT model_id AS m, region AS r, state, classification FROM executions WHERE job_id = $1',
          [jobId],
        );
        const labelled = rows.filter(
          (x) => x.state === 'succeeded' && ['answered', 'partial', 'refused', 'empty', 'filtered'].includes(x.classification ?? ''),
        );
        const want: Record<string, unknown> = {};
        for (const r of h.regions)
          for (const m of h.models) {
            const resp = labelled.filter((x) => x.r === r && x.m === m);
            const refused = resp.filter((x) => x.classification === 'refused').length;
            want[`${r}|${m}`] = { refused, responses: resp.length, ...wilsonByDefinition(refused, resp.length) };
          }
        const analysis = await get(`/api/v1/jobs/${jobId}/analysis`);
        const got: Record<string, unknown> = {};
        for (const c of analysis.refusalMatrix)
          got[`${c.region}|${c.modelId}`] = {
            refused: c.counts.refused,
            responses: c.counts.responses,
            rate: c.refusal.rate,
            low: c.refusal.low,
            high: c.refusal.high,
          };
        expect(close(got, want)).toEqual(want);
        expect(analysis.summary).toMatchObject({ cellsExpected: total, cells: total, responses: labelled.length });
        const calls = [...truth.values()].reduce((n, t) => n + t.calls, 0);

        console.log(
          `${jobId}: ${total} cells, faults ${h.errorRate}/${h.rateLimitRate}/${h.badRequestRate}: ${calls} calls, ` +
            `${succeeded} succeeded, ${labelled.filter((x) => x.classification === 'refused').length} refused, ${job.status}; findings ${storms.join(', ') || 'none'}`,
        );
      }),
      { numRuns: RUNS, seed: SEED },
    );

    // CI has Prometheus (as dashboards-truth requires); elsewhere the panels are skipped when it is not installed.
    if (!prom && process.env.CI === 'true') throw new Error('prometheus and promtool must be on the PATH in CI');
    if (!prom) return;
    // Prometheus, over every history: the refusal share per region × model equals the stored labels' share, and the
    // calls counted (first attempts and retries) equal the simulator's calls.
    await prom.waitForScrapes('beacon', 3);
    const at = Number((await prom.query('timestamp(up{job="beacon"})')).result[0]!.value![1]);
    const range = Math.ceil(at - prom.startedAt) + 10;
    const panel = async (dashboard: string, title: string) => {
      const q = Object.values(buildDashboards())
        .flatMap((d) => panelQueries(d))
        .find((p) => p.dashboard === dashboard && p.panel === title);
      if (!q) throw new Error(`no panel ${dashboard} / ${title}`);
      const expr = q.expr
        .replaceAll('$__rate_interval', `${range}s`)
        .replaceAll('$__range', `${range}s`)
        .replaceAll('$region', '.*')
        .replaceAll('$model', '.*');
      return (await prom!.query(expr, at)).result;
    };
    const rows: { m: string; r: string; classification: string }[] = await db.ds.query(
      `SELECT model_id AS m, region AS r, classification FROM executions WHERE state = 'succeeded' AND classification IS NOT NULL`,
    );
    const share: Record<string, number> = {};
    for (const key of new Set(rows.map((x) => `${x.r}|${x.m}`))) {
      const mine = rows.filter((x) => `${x.r}|${x.m}` === key);
      share[key] = mine.filter((x) => x.classification === 'refused').length / mine.length;
    }
    const refusal: Record<string, number> = {};
    for (const s of await panel('beacon-bias', 'Refusal share by region × model'))
      refusal[`${s.metric.region}|${s.metric.model}`] = Number(s.value![1]);
    expect(close(refusal, share)).toEqual(share);
    let promCalls = 0;
    for (const s of await panel('beacon-reliability', 'First attempts and retries')) promCalls += Number(s.value![1]) * range;
    const simCalls = Object.values(callsByRM).reduce((a, b) => a + b, 0);
    expect(Math.round(promCalls * 1e6) / 1e6).toBe(simCalls);
  }, 600_000);
});
