import type { INestApplication } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createDataSource, ROLLUP_FACTS_COLUMNS, ROLLUP_FACTS_JOIN, rollupFacts, type RollupFactsRow } from '@beacon/db';
import { defaultConfig, normaliseJobSpec, parseConfig, rollupJobStatus, type BeaconConfig } from '@beacon/domain';
import { engineOptions } from '@beacon/engine';
import { ReconcileService } from '@beacon/reconciler';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import { createRunnerApp } from '@beacon/runner';
import type { DataSource } from 'typeorm';
import { buildDashboards } from '../../dashboards/src/build.js';
import { panelQueries } from '../../dashboards/src/inventory.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { findPrometheus, pollUntil, startPrometheus, type PromQueryData, type RunningPrometheus } from '../utils/prometheus.js';

/**
 * Issue 15, item 4: tokens and cost. A job's `max_cost` is enforced by the claim (under a lock of the job row, so
 * daemons racing cannot overspend it) and the job ends `budget_exhausted`; every token, cost and cut-off panel a real
 * Prometheus evaluates equals the same figure computed in SQL.
 */

const MODELS = ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'];
const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];
const QUESTIONS = ['tiananmen_neutral', 'taiwan_status', 'hongkong_2019', 'math_basic', 'geography_basic', 'identity_basic'];
const TERMINAL = ['completed', 'partially_completed', 'failed', 'cancelled', 'budget_exhausted'];

/** The built-in configuration with a price for every model in every region (USD per million tokens). */
function pricedConfig(sim: RunningSimulator): BeaconConfig {
  const prices = MODELS.map(
    (m, i) => `  - { model: ${m}, region: "*", inputPerMillion: ${100 + 50 * i}, outputPerMillion: ${400 + 100 * i} }`,
  ).join('\n');
  const config = parseConfig(`prices:\n${prices}\n`, 'cost-test.yaml', {});
  for (const region of Object.values(config.regions)) region.baseUrl = sim.baseUrlFor(region.id);
  return config;
}

function spec(id: string, extra: Record<string, unknown>) {
  return { id, questions: QUESTIONS, models: MODELS, regions: REGIONS, ...extra };
}

async function submit(baseUrl: string, body: unknown): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

async function waitTerminal(baseUrl: string, jobId: string, ms = 90_000): Promise<string> {
  return pollUntil(
    async () => {
      const job = (await (await fetch(`${baseUrl}/api/v1/jobs/${encodeURIComponent(jobId)}`)).json()) as { status: string };
      return TERMINAL.includes(job.status) ? job.status : undefined;
    },
    ms,
    () => `job ${jobId} did not finish`,
    100,
  );
}

async function startDaemon(ds: DataSource, config: BeaconConfig, runnerId: string): Promise<{ app: INestApplication; url: string }> {
  const app = await createRunnerApp({
    dataSource: ds,
    config,
    logger: false,
    engine: engineOptions({ runnerId, config, leaseMs: 10_000, pollMs: 50, rollupMs: 200, reapIntervalMs: 500 }),
  });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

describe('max_cost: a job about to exceed it stops claiming and ends budget_exhausted (issue 15.4)', () => {
  let db: TestDatabase;
  let ds2: DataSource;
  let sim: RunningSimulator;
  const daemons: { app: INestApplication; url: string }[] = [];

  beforeAll(async () => {
    db = await migratedDatabase('cost');
    sim = await startSimulator({ port: 0, seed: 4, faults: { latencyMs: { min: 20, max: 60 } } });
    const config = pricedConfig(sim);
    // Two daemons over one database, each with its own connection pool: they race for the same capped job.
    ds2 = createDataSource(db.url, { applicationName: 'beacon-test-2', poolSize: 10 });
    await ds2.initialize();
    daemons.push(await startDaemon(db.ds, config, 'cost-a'));
    daemons.push(await startDaemon(ds2, config, 'cost-b'));
  }, 60_000);

  afterAll(async () => {
    for (const d of daemons) await d.app.close();
    await ds2?.destroy();
    await sim?.close();
    await db?.close();
  });

  it('defect 15.4: a spec with max_cost is refused when a model of it has no price, naming the field', () => {
    const result = normaliseJobSpec(spec('unpriced', { constraints: { max_cost: 1 } }), defaultConfig());
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems.map((p) => p.path)).toEqual(['$.constraints.max_cost']);
      expect(result.problems[0]!.message).toMatch(/^cannot be enforced: no price configured \(prices:\) for llama3\.2-1b in us-east/);
    }
  });

  it('defect 15.4: two racing daemons stop a capped job within its max_cost; its unclaimed cells are closed with the reason', async () => {
    const maxCost = 0.9;
    const res = await submit(daemons[0]!.url, spec('capped', { constraints: { max_cost: maxCost }, parameters: { max_tokens: 120 } }));
    expect(res.status).toBe(201);
    for (const d of daemons) await fetch(`${d.url}/api/v1/jobs`); // both daemons awake
    const status = await waitTerminal(daemons[1]!.url, 'capped');
    expect(status).toBe('budget_exhausted');

    const [spent] = await db.ds.query<{ cost: string; priced: number; unpriced: number; runners: number }[]>(
      `SELECT sum(cost_usd) AS cost, count(cost_usd)::int AS priced,
                count(*) FILTER (WHERE cost_usd IS NULL AND outcome = 'succeeded')::int AS unpriced,
                count(DISTINCT runner_id)::int AS runners
           FROM execution_attempts WHERE job_id = 'capped'`,
    );
    expect(Number(spent!.cost)).toBeGreaterThan(0);
    // The bound: every call's cost was reserved before its claim, so the total never passes max_cost.
    expect(Number(spent!.cost)).toBeLessThanOrEqual(maxCost);
    expect(spent!.unpriced).toBe(0);

    const cells = await db.ds.query<{ state: string; kind: string | null; n: number }[]>(
      `SELECT state, last_error->>'kind' AS kind, count(*)::int AS n FROM executions WHERE job_id = 'capped' GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    const byState = Object.fromEntries(cells.map((c) => [`${c.state}/${c.kind ?? ''}`, c.n]));
    expect(byState['pending/']).toBeUndefined();
    expect(byState['running/']).toBeUndefined();
    expect(byState['cancelled/budget_exhausted']).toBeGreaterThan(0);
    expect(byState['succeeded/']).toBeGreaterThan(0);
    expect(cells.every((c) => c.state === 'succeeded' || (c.state === 'cancelled' && c.kind === 'budget_exhausted'))).toBe(true);
    const [reason] = await db.ds.query<{ message: string }[]>(
      `SELECT last_error->>'message' AS message FROM executions WHERE job_id = 'capped' AND state = 'cancelled' LIMIT 1`,
    );
    expect(reason!.message).toMatch(/^max_cost 0\.9 USD would be exceeded: spent .* \+ in flight at most .* \+ next call at most/);

    // The API's job view: cost so far, the cap, and when the budget ran out.
    const view = (await (await fetch(`${daemons[0]!.url}/api/v1/jobs/capped`)).json()) as {
      status: string;
      cost: { usd: number; pricedCalls: number; unknownCalls: number; maxUsd: number; budgetExhaustedAt: string | null };
    };
    expect(view.status).toBe('budget_exhausted');
    expect(view.cost.usd).toBeCloseTo(Number(spent!.cost), 12);
    expect(view.cost).toMatchObject({ pricedCalls: spent!.priced, unknownCalls: 0, maxUsd: maxCost });
    expect(view.cost.budgetExhaustedAt).not.toBeNull();

    // The roll-up's facts (also the reconciler's) give the stored status, and the reconciler finds nothing wrong.
    const [facts] = await db.ds.query<(RollupFactsRow & { status: string })[]>(
      `SELECT j.status, ${ROLLUP_FACTS_COLUMNS} FROM jobs j ${ROLLUP_FACTS_JOIN} WHERE j.id = 'capped'`,
    );
    expect(rollupJobStatus(rollupFacts(facts!))).toBe('budget_exhausted');
    // Waits for the lock: the two daemons' own scheduled passes may hold it at this moment.
    const outcome = await new ReconcileService(db.ds).run({ persist: false, ruleIds: ['job_status_inconsistent'], lockWaitMs: 30_000 });
    expect(outcome.skipped).toBe(false);
    if (!outcome.skipped) expect(outcome.findings.filter((f) => f.jobId === 'capped')).toEqual([]);
  }, 120_000);

  it('defect 15.4: each answered attempt stores its cost: its tokens at the price of its model', async () => {
    const rows = await db.ds.query<{ model_id: string; input_tokens: number; output_tokens: number; cost_usd: string }[]>(
      `SELECT e.model_id, a.input_tokens, a.output_tokens, a.cost_usd FROM execution_attempts a JOIN executions e ON e.id = a.execution_id
        WHERE a.job_id = 'capped' AND a.outcome = 'succeeded'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      const i = MODELS.indexOf(r.model_id);
      const want = (r.input_tokens * (100 + 50 * i) + r.output_tokens * (400 + 100 * i)) / 1_000_000;
      expect(Number(r.cost_usd)).toBeCloseTo(want, 12);
    }
  });
});

const bins = findPrometheus();
const maybe = bins || process.env.CI === 'true' ? it : it.skip;

describe('tokens, cost and cut-off panels tell the truth (issue 15.4)', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let daemon: { app: INestApplication; url: string };
  let prom: RunningPrometheus;
  let at = 0;
  let range = 0;

  beforeAll(async () => {
    if (!bins) return;
    db = await migratedDatabase('costprom');
    sim = await startSimulator({ port: 0, seed: 9, faults: { errorRate: 0.08, retryAfterSeconds: 0, latencyMs: { min: 20, max: 60 } } });
    const config = pricedConfig(sim);
    daemon = await startDaemon(db.ds, config, 'cost-prom');
    prom = await startPrometheus({ bins, jobs: { beacon: [daemon.url.replace('http://', '')] }, intervalSeconds: 1 });
    await prom.waitForTargetUp('beacon');
    await prom.waitForScrapes('beacon', 1);
    // One job cut short by max_tokens (answers end with finish reason length), one stopped by its max_cost.
    expect((await submit(daemon.url, spec('short', { parameters: { max_tokens: 24 } }))).status).toBe(201);
    expect((await submit(daemon.url, spec('budget', { constraints: { max_cost: 0.5 } }))).status).toBe(201);
    expect(await waitTerminal(daemon.url, 'short')).not.toBe('budget_exhausted');
    expect(await waitTerminal(daemon.url, 'budget')).toBe('budget_exhausted');
    await prom.waitForScrapes('beacon', 3);
    const last = await prom.query('timestamp(up{job="beacon"})');
    at = Number(last.result[0]!.value![1]);
    range = Math.ceil(at - prom.startedAt) + 10;
  }, 180_000);

  afterAll(async () => {
    await prom?.stop();
    await daemon?.app.close();
    await sim?.close();
    await db?.close();
  });

  async function panel(title: string): Promise<PromQueryData> {
    const q = Object.values(buildDashboards())
      .flatMap((d) => panelQueries(d))
      .find((p) => p.dashboard === 'beacon-runner' && p.panel === title);
    if (!q) throw new Error(`no panel ${title}`);
    const expr = q.expr
      .replaceAll('$__rate_interval', `${range}s`)
      .replaceAll('$__range', `${range}s`)
      .replaceAll('$region', '.*')
      .replaceAll('$model', '.*');
    return prom.query(expr, at);
  }

  const value = (d: PromQueryData, key?: (m: Record<string, string>) => boolean) =>
    Number(d.result.find((s) => (key ? key(s.metric) : true))?.value?.[1] ?? NaN);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

  maybe('defect 15.4: tokens, cost, cost per job and the share cut off by max_tokens equal the same figures in SQL', async () => {
    const [sql] = await db.ds.query<{ input: string; output: string; cost: string; unknown: number }[]>(
      `SELECT coalesce(sum(input_tokens), 0) AS input, coalesce(sum(output_tokens), 0) AS output,
              coalesce(sum(cost_usd), 0) AS cost,
              count(*) FILTER (WHERE cost_usd IS NULL AND (outcome = 'succeeded' OR input_tokens IS NOT NULL))::int AS unknown
         FROM execution_attempts`,
    );
    const problems: string[] = [];
    const check = (what: string, got: number, want: number) => {
      if (!close(got, want)) problems.push(`${what}: prometheus ${got} vs sql ${want}`);
    };
    const perType = await panel('Tokens per second by type');
    check('input tokens', value(perType, (m) => m.token_type === 'input') * range, Number(sql!.input));
    check('output tokens', value(perType, (m) => m.token_type === 'output') * range, Number(sql!.output));
    check('tokens (selected range)', value(await panel('Tokens (selected range)')), Number(sql!.input) + Number(sql!.output));
    check('cost (selected range)', value(await panel('Cost (selected range)')), Number(sql!.cost));
    check('calls without a known cost', value(await panel('Calls without a known cost')), sql!.unknown);
    const perSecond = await panel('Cost per second by region and model');
    check('cost per second × range', perSecond.result.reduce((a, s) => a + Number(s.value![1]), 0) * range, Number(sql!.cost));

    const jobs = await db.ds.query<{ id: string; cost: string }[]>(
      `SELECT j.id, coalesce(sum(a.cost_usd), 0) AS cost FROM jobs j LEFT JOIN execution_attempts a ON a.job_id = j.id GROUP BY j.id`,
    );
    check('cost per job', value(await panel('Cost per job')), jobs.reduce((a, j) => a + Number(j.cost), 0) / jobs.length);

    const cut = await db.ds.query<{ region: string; model_id: string; length: number; all: number }[]>(
      `SELECT region, model_id, count(*) FILTER (WHERE finish_reason = 'length')::int AS length, count(*)::int AS all
         FROM executions WHERE state = 'succeeded' GROUP BY 1, 2`,
    );
    expect(cut.some((c) => c.length > 0)).toBe(true);
    const share = await panel('Answers cut off by max_tokens');
    for (const c of cut) {
      check(
        `cut off ${c.region}/${c.model_id}`,
        value(share, (m) => m.region === c.region && m.model === c.model_id),
        c.length / c.all,
      );
    }
    expect(problems).toEqual([]);
  });
});
