import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SchedulerRegistry } from '@nestjs/schedule';
import { RULES } from '@beacon/reconciler';
import { ReconcilerScheduler } from '../../apps/runner/src/reconciler/reconciler.scheduler.js';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';
import { seedJob } from './reconciler-fixtures.js';

/** The daemon side: the scheduled run (full, then incremental), the findings API and the gauges. */
describe('reconciler in the daemon', () => {
  let runner: TestRunner;

  beforeAll(async () => {
    runner = await startTestRunner();
    // The runs below are the test's own: the daemon's scheduled pass (every 30 s) would make the first one incremental,
    // skip one on the lock, or count one occurrence more, had it fired in between.
    await runner.app.get(SchedulerRegistry).getCronJob('beacon-reconcile').stop();
  });
  afterAll(async () => {
    await runner?.close();
  });

  const get = async (path: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${runner.baseUrl}${path}`);
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };

  it('defect 15.2: the run and new-finding counters exist at 0 before the first run, so that the first failure or finding is an increase', async () => {
    const metrics = (await get('/metrics')).body as string;
    for (const result of ['ok', 'failed', 'skipped'])
      expect(metrics).toMatch(new RegExp(`^beacon_reconciler_runs_total\\{result="${result}"\\} \\d+$`, 'm'));
    expect(metrics).toContain('beacon_reconciler_runs_total{result="failed"} 0');
    for (const rule of RULES)
      expect(metrics).toContain(`beacon_reconciler_findings_opened_total{rule="${rule.id}",severity="${rule.severity}"} 0`);
  });

  it('reconciles, lists findings over HTTP and exports them as gauges', async () => {
    const { jobId, cells } = await seedJob(runner.ds, { pending: true });
    await runner.ds.query(`UPDATE executions SET run_after = now() WHERE job_id = $1`, [jobId]);
    await runner.ds.query(
      `UPDATE executions SET state = 'running', attempts = 1, lease_token = gen_random_uuid(), lease_owner = 'gone',
              lease_expires_at = now() - interval '5 minutes' WHERE id = $1`,
      [cells[0]!.id],
    );
    const scheduler = runner.app.get(ReconcilerScheduler);
    const first = await scheduler.reconcileOnce();
    expect(first).toMatchObject({ skipped: false, kind: 'full' });
    const second = await scheduler.reconcileOnce();
    expect(second).toMatchObject({ skipped: false, kind: 'incremental' });
    await runner.ds.query(`UPDATE reconciler_runs SET started_at = started_at - interval '2 hours'`);
    expect(await scheduler.reconcileOnce()).toMatchObject({ skipped: false, kind: 'full' });

    const open = await get(`/api/v1/findings?job=${jobId}`);
    expect(open.status).toBe(200);
    expect(open.body.items.map((f: any) => f.fingerprint)).toEqual([`stuck_running:${cells[0]!.id}`]);
    expect(open.body.items[0]).toMatchObject({ ruleId: 'stuck_running', severity: 'critical', jobId, resolvedAt: null, occurrences: 3 });
    expect(open.body.nextCursor).toBeNull();
    const all = await get('/api/v1/findings?state=all&limit=1');
    expect(all.body.items).toHaveLength(1);
    expect((await get('/api/v1/findings?state=resolved')).body.items).toEqual([]);
    expect((await get('/api/v1/findings?severity=bad')).status).toBe(400);

    const metrics = await get('/metrics');
    expect(metrics.body).toContain('beacon_reconciler_findings{rule="stuck_running",severity="critical"} 1');
    expect(metrics.body).toMatch(/beacon_reconciler_run_duration_seconds \d/);
  });

  it('defect 15.2: a finding seen by every run counts once as new, by its rule and severity; each run counts by result', async () => {
    const metrics = (await get('/metrics')).body as string;
    // The previous test's stuck cell was found by three runs (occurrences 3): one new critical finding.
    expect(metrics).toContain('beacon_reconciler_findings_opened_total{rule="stuck_running",severity="critical"} 1');
    const ok = Number(/^beacon_reconciler_runs_total\{result="ok"\} (\d+)$/m.exec(metrics)?.[1]);
    expect(ok).toBeGreaterThanOrEqual(3);
  });
});
