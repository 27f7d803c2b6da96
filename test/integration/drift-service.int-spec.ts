import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { noiseSeries, type TrendSource } from '@beacon/analysis';
import { createMetrics } from '@beacon/observability';
import { FindingsRepository, ReconcileService } from '@beacon/reconciler';
import { DriftService } from '@beacon/runner';
import type { TrendSeries } from '@beacon/domain';
import { queryRows } from '@beacon/db';
import type { DataSource } from 'typeorm';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';

/** A source serving a generated history: each job's series is the runs up to it. */
function sourceOf(series: TrendSeries): TrendSource {
  return {
    seriesForJob: (jobId) => {
      const at = series.runs.findIndex((r) => r.jobId === jobId);
      if (at < 0) return Promise.resolve(null);
      const runs = series.runs.slice(0, at + 1);
      return Promise.resolve({ ...series, runs, points: series.points.filter((p) => p.runIndex <= at) });
    },
  };
}

/**
 * The daemon's side of drift detection over a real database: findings recorded through the findings repository at the
 * run where the shift starts, resolved when the next run of the series is evaluated, left alone by the reconciler;
 * the metrics checked against the rows and the points.
 */
describe('drift service', () => {
  let db: TestDatabase;
  let ds: DataSource;
  const shift = { fromRun: 8, model: 'mistral-7b', region: 'asia-pacific', questionId: 'hongkong_2019', label: 'refused' as const };
  const series = noiseSeries({ seed: 4, runs: 10, refusingShare: 0, shifts: [shift] });

  beforeAll(async () => {
    db = await migratedDatabase('drift');
    ds = db.ds;
  });
  afterAll(async () => {
    await db?.close();
  });

  const rows = async (jobId: string) =>
    queryRows<{
      rule_id: string;
      severity: string;
      fingerprint: string;
      evidence: Record<string, unknown>;
      resolved_at: Date | null;
      occurrences: number;
    }>(
      ds,
      `SELECT rule_id, severity, fingerprint, job_id, evidence, resolved_at, occurrences FROM reconciler_findings WHERE job_id = $1 ORDER BY fingerprint`,
      [jobId],
    );

  it('records the shift at its run, resolves it at the next, and keeps the metrics in step with the rows', async () => {
    const metrics = createMetrics();
    const service = new DriftService(sourceOf(series), new FindingsRepository(ds), metrics);
    const outcomes = [];
    for (const run of series.runs) outcomes.push(await service.enqueue(run.jobId));
    expect(outcomes.every((o) => o.result === 'ok')).toBe(true);

    const atShift = series.runs[8]!.jobId;
    const found = await rows(atShift);
    const fingerprints = found.map((r) => r.fingerprint);
    expect(fingerprints).toContain(`label_flip:mistral-7b|asia-pacific|hongkong_2019:${atShift}`);
    expect(fingerprints.some((f) => f.startsWith('refusal_shift:mistral-7b|asia-pacific|'))).toBe(true);
    // Resolved by run 9's evaluation, never deleted.
    expect(found.every((r) => r.resolved_at !== null)).toBe(true);
    // What the service reported is what the rows hold.
    const at8 = outcomes[8]!;
    if (at8.result !== 'ok') throw new Error('run 8 not evaluated');
    for (const f of at8.findings) {
      const row = found.find((r) => r.fingerprint === f.fingerprint)!;
      expect(row.rule_id).toBe(f.rule);
      expect(row.severity).toBe(f.severity);
      expect(row.evidence).toEqual(JSON.parse(JSON.stringify(f.evidence)));
    }
    // Nothing about the cell before the shift.
    const before = await queryRows<{ fingerprint: string }>(
      ds,
      `SELECT fingerprint FROM reconciler_findings WHERE fingerprint LIKE '%hongkong_2019%' AND job_id <> ALL($1::text[])`,
      [series.runs.slice(8).map((r) => r.jobId)],
    );
    expect(before).toEqual([]);

    // Counters: first sightings by rule = rows by rule; the open gauge = open rows by rule.
    const byRule = await queryRows<{ rule_id: string; n: number; open: number }>(
      ds,
      `SELECT rule_id, count(*)::int AS n, count(*) FILTER (WHERE resolved_at IS NULL)::int AS open FROM reconciler_findings GROUP BY 1`,
    );
    const json = await metrics.registry.getMetricsAsJSON();
    const value = (name: string, labels: Record<string, string>) =>
      json.find((m) => m.name === name)!.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
    for (const rule of ['label_flip', 'refusal_shift', 'response_drift']) {
      const r = byRule.find((x) => x.rule_id === rule);
      expect(value('beacon_drift_findings_total', { rule })).toBe(r?.n ?? 0);
      expect(value('beacon_drift_open_findings', { rule })).toBe(r?.open ?? 0);
    }
    // The refusal-rate gauge: the last run's refused ÷ responses per (model, region), from the points.
    const last = series.runs.at(-1)!.index;
    for (const model of ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'])
      for (const region of ['us-east', 'eu-west', 'asia-pacific']) {
        const pts = series.points.filter((p) => p.runIndex === last && p.model === model && p.region === region);
        const rate = pts.reduce((n, p) => n + p.counts.refused, 0) / pts.reduce((n, p) => n + p.responses, 0);
        expect(value('beacon_refusal_rate_last_run', { model, region })).toBeCloseTo(rate, 12);
      }
    expect(value('beacon_drift_evaluations_total', { result: 'ok' })).toBe(series.runs.length);
  });

  it('evaluating a run again reopens and updates its rows, and the reconciler leaves drift findings alone', async () => {
    const service = new DriftService(sourceOf(series), new FindingsRepository(ds), createMetrics());
    const atShift = series.runs[8]!.jobId;
    const open = async () =>
      queryRows<{ fingerprint: string; occurrences: number }>(
        ds,
        `SELECT fingerprint, occurrences FROM reconciler_findings WHERE resolved_at IS NULL AND job_id = $1 ORDER BY 1`,
        [atShift],
      );
    expect(await open()).toEqual([]);
    const again = await service.enqueue(atShift);
    if (again.result !== 'ok') throw new Error('not evaluated');
    const reopened = await open();
    expect(reopened.map((r) => r.fingerprint)).toEqual(again.findings.map((f) => f.fingerprint).sort());
    expect(reopened.length).toBeGreaterThan(0);
    expect(reopened.every((r) => r.occurrences === 2)).toBe(true);
    expect(again.created).toBe(0);
    const out = await new ReconcileService(ds).run({ scope: {}, persist: true });
    expect(out.skipped).toBe(false);
    expect(await open()).toEqual(reopened);
  });

  it('skips a job in no series and counts it', async () => {
    const metrics = createMetrics();
    const service = new DriftService(sourceOf(series), new FindingsRepository(ds), metrics);
    expect(await service.enqueue('no-such-job')).toEqual({ result: 'skipped', reason: 'the job is in no series' });
    const json = await metrics.registry.getMetricsAsJSON();
    expect(json.find((m) => m.name === 'beacon_drift_evaluations_total')!.values.find((v) => v.labels.result === 'skipped')!.value).toBe(1);
  });
});
