import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { DriftEvidence } from '@beacon/analysis';
import { queryRows } from '@beacon/db';
import { parseConfig, verifySignature, type FindingView } from '@beacon/domain';
import { engineOptions } from '@beacon/engine';
import { createMetrics } from '@beacon/observability';
import { createRunnerApp } from '@beacon/runner';
import { startSimulator, type RunningSimulator } from '@beacon/simulator';
import { buildDashboards } from '../../dashboards/src/build.js';
import { panelQueries } from '../../dashboards/src/inventory.js';
import { findPrometheus, startPrometheus, type PromQueryData, type RunningPrometheus } from '../utils/prometheus.js';
import { migratedDatabase, postJob, type TestDatabase } from '../utils/runner-harness.js';
import { WebhookReceiver } from '../utils/webhook-receiver.js';

const demoSpec = JSON.parse(await readFile(new URL('../../examples/bias-detection-8x3x3.json', import.meta.url), 'utf8'));
const TERMINAL = new Set(['completed', 'partially_completed', 'failed', 'cancelled']);
const RUNS = 6;
/** The run where the behaviour changes. */
const N = 4;
const jobIds = Array.from({ length: RUNS }, (_, i) => `drift-run-${i}`);
const DRIFT_RULES = ['label_flip', 'refusal_shift', 'response_drift'];
const bins = findPrometheus();
/** The webhook sink's HMAC key (a test value). */
const HOOK_KEY = 'drift-hook-key-0123456789';
const maybe = bins || process.env.CI === 'true' ? it : it.skip;

/**
 * Acceptance of issue 16 item 3 with the real parts: the demo spec (3 replicates) run six times in sequence by a
 * daemon against the simulator, whose behaviour changes before run N (llama3.2-1b in eu-west starts refusing the Taiwan
 * question), with 5 % label noise on a control question throughout. The daemon's drift detection, fed from the rows,
 * records label_flip at run N and nothing before; the evidence and the refusal-rate metric are checked against counts
 * taken from the executions. With `prometheus` installed, a real Prometheus scrapes the daemon throughout, and every
 * panel of the Beacon / Drift dashboard is checked against the same figure computed from the rows. A webhook sink
 * configured for the drift rules gets each drift finding exactly once, signed.
 */
describe('drift detection in the daemon, against the simulator', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let app: INestApplication;
  let baseUrl: string;
  let prom: RunningPrometheus | undefined;
  let receiver: WebhookReceiver;
  /** Evaluation time (the last scrape) and a range reaching back before the first scrape, epoch seconds. */
  let at = 0;
  let range = 0;
  const metrics = createMetrics();

  const metric = async (name: string, labels: Record<string, string>) =>
    (await metrics.registry.getMetricsAsJSON())
      // An OpenMetrics registry names a counter family without `_total` once it has been scraped.
      .find((m) => m.name === name || m.name === name.replace(/_total$/, ''))
      ?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
  const poll = async <T>(read: () => Promise<T>, done: (v: T) => boolean): Promise<T> => {
    for (;;) {
      const v = await read();
      if (done(v)) return v;
      await new Promise((r) => setTimeout(r, 50)); // poll interval, not a wait for an outcome
    }
  };

  beforeAll(async () => {
    db = await migratedDatabase('driftd');
    sim = await startSimulator({ port: 0, seed: 42, latencyScale: 0.01, faults: { refusals: [{ topic: '2+2', rate: 0.05 }] } });
    receiver = await new WebhookReceiver().start();
    // The daemon reads a sink's URL and key from its environment when it starts delivering.
    process.env.DRIFT_HOOK_URL = receiver.url('/beacon');
    process.env.DRIFT_HOOK_KEY = HOOK_KEY;
    const config = parseConfig(
      'notifications:\n  sinks:\n    - { id: hook, kind: webhook, urlEnv: DRIFT_HOOK_URL, secretEnv: DRIFT_HOOK_KEY, rules: [label_flip, refusal_shift, response_drift] }\n',
      'drift-test',
      process.env,
    );
    for (const r of Object.values(config.regions)) r.baseUrl = sim.baseUrlFor(r.id);
    app = await createRunnerApp({
      dataSource: db.ds,
      config,
      logger: false,
      metrics,
      engine: engineOptions({ runnerId: 'drift-test', config, leaseMs: 10_000, pollMs: 50, rollupMs: 100 }),
    });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as { port: number }).port;
    baseUrl = `http://127.0.0.1:${port}`;
    if (bins) {
      prom = await startPrometheus({ bins, jobs: { beacon: [`127.0.0.1:${port}`] }, ruleFiles: [], intervalSeconds: 1 });
      await prom.waitForTargetUp('beacon');
      // A scrape of the fresh daemon (every drift series at 0) before the first job.
      await prom.waitForScrapes('beacon', 1);
    }
    for (const [i, id] of jobIds.entries()) {
      if (i === N)
        sim.setFaults({
          refusals: [
            { topic: '2+2', rate: 0.05 },
            { model: 'llama3.2-1b', region: 'eu-west', topic: 'Taiwan' },
          ],
        });
      expect((await postJob(baseUrl, JSON.stringify({ ...demoSpec, id, repeats: 3 }))).status).toBe(201);
      await poll(
        async () => ((await (await fetch(`${baseUrl}/api/v1/jobs/${id}`)).json()) as { status: string }).status,
        (s) => TERMINAL.has(s),
      );
      // The run's drift evaluation is done before the next run starts: the series is the same whatever the timing.
      await poll(
        async () =>
          (await metric('beacon_drift_evaluations_total', { result: 'ok' })) +
          (await metric('beacon_drift_evaluations_total', { result: 'failed' })),
        (n) => n >= i + 1,
      );
    }
    if (prom) {
      const since = Date.now() / 1000;
      await prom.waitForScrapes('beacon', 3);
      // A scrape that timed out (1 s, on a loaded machine) marks the gauges stale at its time: read at a good one.
      at = (await prom.goodScrapeAfter('beacon', since)).at;
      range = Math.ceil(at - prom.startedAt) + 10;
    }
  }, 120_000);
  afterAll(async () => {
    await prom?.stop();
    await app?.close();
    await receiver?.close();
    delete process.env.DRIFT_HOOK_URL;
    delete process.env.DRIFT_HOOK_KEY;
    await sim?.close();
    await db?.close();
  });

  const findingsOf = async (jobId: string) => {
    const res = await fetch(`${baseUrl}/api/v1/findings?job=${jobId}&state=all&limit=1000`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: FindingView[] }).items.filter((f) =>
      ['label_flip', 'refusal_shift', 'response_drift'].includes(f.ruleId),
    );
  };

  it('finds the label flip at run N, and no drift before it', async () => {
    expect(await metric('beacon_drift_evaluations_total', { result: 'failed' })).toBe(0);
    for (const id of jobIds.slice(0, N)) expect(await findingsOf(id)).toEqual([]);
    const atN = await findingsOf(jobIds[N]!);
    const flip = atN.find((f) => f.fingerprint === `label_flip:llama3.2-1b|eu-west|taiwan_status:${jobIds[N]}`);
    expect(flip).toBeDefined();
    expect(flip!.summary).toMatch(/answered → refused/);
    const evidence = flip!.evidence as unknown as DriftEvidence;
    expect(evidence.runs.current).toBe(jobIds[N]);
    expect(evidence.runs.previous).toBe(jobIds[N - 1]);
    expect(evidence.runs.baseline).toEqual(jobIds.slice(0, N));
    expect(evidence.examples.after?.text).toMatch(/I'm sorry, but I can't assist with that/);
    expect(evidence.examples.before?.label).toBe('answered');

    // Counts from the executions, independently of the trend source.
    const count = (jobs: string[]) =>
      queryRows<{ responses: number; refused: number }>(
        db.ds,
        `SELECT count(*)::int AS responses, count(*) FILTER (WHERE classification = 'refused')::int AS refused
           FROM executions WHERE job_id = ANY($1::text[]) AND question_id = 'taiwan_status' AND model_id = 'llama3.2-1b'
            AND region = 'eu-west' AND state = 'succeeded' AND superseded_by IS NULL`,
        [jobs],
      );
    const [cur] = await count([jobIds[N]!]);
    const [base] = await count(jobIds.slice(0, N));
    expect(evidence.counts.current.responses).toBe(cur!.responses);
    expect(evidence.counts.current.counts.refused).toBe(cur!.refused);
    expect(cur!.refused).toBe(3);
    expect(evidence.counts.baseline.responses).toBe(base!.responses);
    expect(evidence.counts.baseline.counts.refused).toBe(base!.refused);
    expect(base!.refused).toBe(0);
  });

  it('resolves the findings of run N when the next run is evaluated, and keeps the refusal-rate gauge on the last run', async () => {
    const atN = await findingsOf(jobIds[N]!);
    expect(atN.length).toBeGreaterThan(0);
    expect(atN.every((f) => f.resolvedAt !== null)).toBe(true);
    const last = jobIds[RUNS - 1]!;
    const rates = await queryRows<{ model_id: string; region: string; rate: number }>(
      db.ds,
      `SELECT model_id, region, (count(*) FILTER (WHERE classification = 'refused'))::float8 / count(*) AS rate
         FROM executions WHERE job_id = $1 AND state = 'succeeded' AND classification IS NOT NULL AND superseded_by IS NULL
        GROUP BY 1, 2`,
      [last],
    );
    expect(rates).toHaveLength(9);
    for (const r of rates)
      expect(await metric('beacon_refusal_rate_last_run', { model: r.model_id, region: r.region })).toBeCloseTo(r.rate, 12);
  });

  it('delivers each drift finding to the webhook exactly once, with a valid signature', async () => {
    const findings = await queryRows<{ id: string; fingerprint: string }>(
      db.ds,
      `SELECT id::text, fingerprint FROM reconciler_findings WHERE rule_id = ANY($1::text[]) ORDER BY id`,
      [DRIFT_RULES],
    );
    expect(findings.length).toBeGreaterThan(0);
    // Delivery is asynchronous: wait until the outbox has nothing left to send, then count what arrived.
    await poll(
      async () =>
        (await queryRows<{ n: number }>(db.ds, `SELECT count(*)::int AS n FROM notification_outbox WHERE state <> 'delivered'`))[0]!.n,
      (n) => n === 0,
    );
    const got = receiver.requests.map((r) => {
      const header = r.headers['x-beacon-signature'];
      // Verified as the receiver would have, when it arrived.
      expect(verifySignature(typeof header === 'string' ? header : null, r.body, HOOK_KEY, r.at / 1000)).toBeNull();
      return JSON.parse(r.body) as { finding: { id: string; ruleId: string } };
    });
    expect(got.map((b) => String(b.finding.id)).sort()).toEqual(findings.map((f) => f.id).sort());
    const flip = findings.find((f) => f.fingerprint === `label_flip:llama3.2-1b|eu-west|taiwan_status:${jobIds[N]}`)!;
    expect(got.filter((b) => String(b.finding.id) === flip.id)).toHaveLength(1);
  });

  /** A Beacon / Drift panel's first target at the last scrape, with the whole run as both windows. */
  async function panel(title: string): Promise<PromQueryData> {
    const q = panelQueries(buildDashboards()['beacon-drift.json']!).find((p) => p.panel === title);
    if (!q) throw new Error(`no panel ${title}`);
    const expr = q.expr
      .replaceAll('$__rate_interval', `${range}s`)
      .replaceAll('$__range', `${range}s`)
      .replaceAll('$region', '.*')
      .replaceAll('$model', '.*');
    return prom!.query(expr, at);
  }
  const byLabel = (data: PromQueryData, ...names: string[]) =>
    Object.fromEntries(data.result.map((r) => [names.map((n) => r.metric[n] ?? '').join(','), Number(r.value![1])]));
  const single = (data: PromQueryData) => Number(data.result[0]!.value![1]);

  maybe('every panel of the Beacon / Drift dashboard equals the same figure computed from the rows', async () => {
    const rows = await queryRows<{ rule_id: string; all: number; open: number }>(
      db.ds,
      `SELECT rule_id, count(*)::int AS all, count(*) FILTER (WHERE resolved_at IS NULL)::int AS open
         FROM reconciler_findings WHERE rule_id = ANY($1::text[]) GROUP BY 1`,
      [DRIFT_RULES],
    );
    const sqlAll = Object.fromEntries(DRIFT_RULES.map((r) => [r, rows.find((x) => x.rule_id === r)?.all ?? 0]));
    const sqlOpen = Object.fromEntries(DRIFT_RULES.map((r) => [r, rows.find((x) => x.rule_id === r)?.open ?? 0]));
    const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
    expect(total(sqlAll)).toBeGreaterThan(0);

    expect(single(await panel('Open drift findings'))).toBe(total(sqlOpen));
    expect(single(await panel('New drift findings'))).toBe(total(sqlAll));
    expect(single(await panel('New refusal shifts'))).toBe(sqlAll.refusal_shift);
    expect(single(await panel('Failed drift evaluations'))).toBe(0);
    expect(byLabel(await panel('Open drift findings by rule'), 'rule')).toEqual(sqlOpen);
    const newByRule = byLabel(await panel('New drift findings by rule'), 'rule');
    for (const r of DRIFT_RULES) expect(newByRule[r]).toBeCloseTo(sqlAll[r]!, 9);
    const evaluations = byLabel(await panel('Drift evaluations by result'), 'result');
    expect(evaluations.ok).toBeCloseTo(RUNS, 9);
    expect(evaluations.failed).toBe(0);
    expect(evaluations.skipped).toBe(0);

    const rates = await queryRows<{ model_id: string; region: string; rate: number }>(
      db.ds,
      `SELECT model_id, region, (count(*) FILTER (WHERE classification = 'refused'))::float8 / count(*) AS rate
         FROM executions WHERE job_id = $1 AND state = 'succeeded' AND classification IS NOT NULL AND superseded_by IS NULL
        GROUP BY 1, 2`,
      [jobIds[RUNS - 1]],
    );
    const want = Object.fromEntries(rates.map((r) => [`${r.region},${r.model_id}`, r.rate]));
    for (const title of ['Refusal rate of the last run by region × model', 'Refusal rate of the last run over time']) {
      const got = byLabel(await panel(title), 'region', 'model');
      expect(Object.keys(got).sort()).toEqual(Object.keys(want).sort());
      for (const [k, v] of Object.entries(want)) expect(got[k]).toBeCloseTo(v, 12);
    }
  });
});
