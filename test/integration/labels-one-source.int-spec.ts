import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BeaconApiClient } from '@beacon/api-client';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository } from '@beacon/db';
import { legacyImportRows, parseLegacyDocument } from '@beacon/domain';
import { cliEnv, repoRoot, runCli, type Daemon } from '../utils/cli.js';
import { closeAllFleets, Fleet, jobSpec } from '../utils/fleet.js';

afterAll(closeAllFleets);

const INCIDENT = 'full-test-3regions-2questions-1759245237';

/**
 * Issue 15 item 7: one label per result, the stored one, on every screen (the diff API and `beacon diff`, which the
 * TUI's diff screen shows; the timeline; the reconciler's evidence). The simulator answers every call with an HTTP
 * error, so the Beacon job's cell fails with an error body as its response.
 */
describe('labels: one source on every screen', () => {
  let fleet: Fleet;
  let daemon: Daemon;
  let client: BeaconApiClient;
  let failedJob: string;

  beforeAll(async () => {
    fleet = await Fleet.create({ prefix: 'labels', regions: { 'us-east': {} }, faults: { errorRate: 1 } });
    daemon = await fleet.startDaemon();
    client = new BeaconApiClient(daemon.url);
    const doc = parseLegacyDocument(JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/incident-2025-09-30.json'), 'utf8')));
    await new LegacyImportRepository(fleet.ds, classifyResponse).store(legacyImportRows(doc));
    failedJob = (
      await fleet.submit(
        jobSpec('labels-failed', 1, ['llama3.2-1b'], ['us-east'], {
          max_attempts: 2,
          constraints: { min_success_rate: 0, min_regions: 1 },
        }),
      )
    ).id;
    await fleet.waitForJob(failedJob, 60_000);
  });
  afterAll(async () => fleet?.close());

  const cli = (args: string[]) =>
    runCli(args, { env: cliEnv({ BEACON_API_URL: daemon.url, DATABASE_URL: fleet.db.url, BEACON_CONFIG: fleet.configPath }) });

  it("defect 15.7: a failed cell's HTTP 500 error body is never labelled answered (diff API, beacon diff, timeline, execution API)", async () => {
    const t = await client.getTimeline(failedJob);
    expect(t.lanes).toHaveLength(1);
    const lane = t.lanes[0]!;
    expect(lane.state).toBe('failed');
    expect(lane.classification).toBeNull();
    const attempts = lane.attempts.map((a) => a.id);
    expect(attempts.length).toBeGreaterThanOrEqual(1);
    const [rows] = await Promise.all([
      fleet.ds.query(`SELECT response, http_status FROM execution_attempts WHERE execution_id = $1 ORDER BY attempt`, [lane.executionId]),
    ]);
    // The precondition of the defect: the attempts stored the upstream's error body as their response.
    expect(
      (rows as { response: string | null; http_status: number }[]).every((r) => r.http_status >= 500 && (r.response ?? '') !== ''),
    ).toBe(true);
    const d = await client.getDiff(`a:${attempts[0]!}`, `e:${lane.executionId}`);
    expect(d.a.response).toContain('Simulated upstream error');
    expect(d.a.classification).toBeNull();
    expect(d.b.classification).toBeNull();
    expect((await client.getExecution(lane.executionId)).classification).toBeNull();
    const json = await cli(['diff', `a:${attempts[0]!}`, `e:${lane.executionId}`, '--json']);
    expect(json.code).toBe(0);
    const field = JSON.parse(json.stdout).fields.find((f: { field: string }) => f.field === 'classification');
    expect(field).toMatchObject({ equal: true });
    const text = await cli(['diff', `a:${attempts[0]!}`, `e:${lane.executionId}`, '--width', '140']);
    expect(text.code).toBe(0);
    expect(text.stdout).not.toContain('answered');
  });

  it('defect 15.7: the imported duplicate pair 953/955 has the same labels in the diff API, the timeline and reconcile --json', async () => {
    const d = await client.getDiff('l:953', 'l:955');
    const diffLabels = [d.a.classification, d.b.classification];
    const t = await client.getTimeline(INCIDENT, { region: 'us-east', model: 'qwen2.5-1.5b' });
    const byLegacy = new Map(t.lanes.map((l) => [l.legacyId, l]));
    const timelineLabels = [byLegacy.get('953')!.classification, byLegacy.get('955')!.classification];
    const cliTimeline = await cli(['timeline', INCIDENT, '--json', '--region', 'us-east', '--model', 'qwen2.5-1.5b']);
    const cliLabels = JSON.parse(cliTimeline.stdout).lanes.map((l: { classification: string | null }) => l.classification);
    const reconcile = await cli(['reconcile', '--json', '--job', INCIDENT, '--rule', 'duplicate_cell']);
    const finding = JSON.parse(reconcile.stdout).findings.find((f: { fingerprint: string }) => f.fingerprint.startsWith('duplicate_cell:'));

    expect(diffLabels).toEqual(['answered', 'refused']);
    expect(timelineLabels).toEqual(diffLabels);
    expect(cliLabels).toEqual(diffLabels);
    expect(finding.evidence.classificationsDiffer).toBe(diffLabels[0] !== diffLabels[1]);
    expect(finding.evidence.responsesDiffer).toBe(true);
    // The Go runner's own word is kept beside Beacon's label, not shown as it.
    expect(d.a.legacyClassification).toBe('unknown');
    const history = await fleet.ds.query<{ classifier_version: string; label: string }[]>(
      `SELECT c.classifier_version, c.label FROM classifications c JOIN executions e ON e.id = c.execution_id
        WHERE e.job_id = $1 AND e.legacy_id = 955 ORDER BY c.id`,
      [INCIDENT],
    );
    expect(history).toEqual([
      { classifier_version: 'imported', label: 'unknown' },
      { classifier_version: classifyResponse({ content: '' }).version, label: 'refused' },
    ]);
  });
});
