import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { render } from 'ink-testing-library';
import { BeaconApiClient } from '@beacon/api-client';
import { classifyResponse } from '@beacon/classifier';
import { LegacyImportRepository } from '@beacon/db';
import { legacyImportRows, parseLegacyDocument, type FindingView, type JobSummaryView } from '@beacon/domain';
import { ReconcileService } from '@beacon/reconciler';
import { App } from '@beacon/tui';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';
import { waitForText } from '../utils/ink-frames.js';

const BIG = 'many-dups';
const SMALL = 'few-dups';

/**
 * An old runner's export in which question `q<i>` ran `copies(i)` times in one cell: each such cell is a
 * duplicate_cell finding with `count` = its copies.
 */
function exportWith(jobspecId: string, legacyJobId: number, questions: number, copies: (i: number) => number): unknown {
  const executions: unknown[] = [];
  let id = 1;
  for (let i = 0; i < questions; i++) {
    for (let c = 0; c < copies(i); c++) {
      const at = new Date(Date.UTC(2025, 8, 30, 15, 0, 0) + id * 1000).toISOString();
      executions.push({
        id: id++,
        status: 'completed',
        region: 'us-east',
        model_id: 'm1',
        question_id: `q${i}`,
        created_at: at,
        started_at: at,
        completed_at: at,
        output: { response: `answer ${c}`, provider: 'p' },
      });
    }
  }
  return {
    job: {
      id: legacyJobId,
      jobspec_id: jobspecId,
      status: 'completed',
      created_at: '2025-09-30T15:00:00Z',
      jobspec_data: {
        questions: Array.from({ length: questions }, (_, i) => ({ id: `q${i}`, text: `Question ${i}?` })),
        metadata: { models: ['m1'] },
        constraints: { regions: ['us-east'] },
      },
    },
    executions,
  };
}

/** Every open finding of a job, paged through the API to the end. */
async function allOpenFindings(api: BeaconApiClient, job: string): Promise<FindingView[]> {
  const out: FindingView[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.listFindings({ job, state: 'open', limit: 1000, cursor });
    out.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out;
}

/** One reconciler pass over a job, waiting while the daemon's own scheduled pass holds the lock. */
async function reconcile(runner: TestRunner, jobId: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    const result = await new ReconcileService(runner.ds).run({ persist: true, scope: { jobId } });
    if (!result.skipped) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('reconciler lock held throughout');
}

/** What the TUI used to compute on the client from the findings it fetched: surplus copies per duplicate finding. */
const duplicatesOf = (findings: readonly FindingView[]) =>
  findings
    .filter((f) => f.ruleId === 'duplicate_cell' || f.ruleId === 'duplicate_results')
    .reduce((n, f) => n + Number(f.evidence.count ?? 2) - 1, 0);

/** The jobs listing carries each job's open findings and duplicate count, computed by the database. */
describe('job finding counts', () => {
  let runner: TestRunner;
  let api: BeaconApiClient;
  const summary = async (id: string): Promise<JobSummaryView> => (await api.listJobs(100)).items.find((j) => j.id === id)!;

  beforeAll(async () => {
    runner = await startTestRunner();
    api = new BeaconApiClient(runner.baseUrl);
    const store = new LegacyImportRepository(runner.ds, classifyResponse);
    // 1,150 duplicated cells: 1,100 ran twice and 50 three times, so 1,200 surplus copies.
    await store.store(legacyImportRows(parseLegacyDocument(exportWith(BIG, 1, 1150, (i) => (i < 1100 ? 2 : 3)))));
    // A cell run three times next to a healthy one: counted for this job only.
    await store.store(legacyImportRows(parseLegacyDocument(exportWith(SMALL, 2, 2, (i) => (i === 0 ? 3 : 1)))));
    for (const jobId of [BIG, SMALL]) await reconcile(runner, jobId);
  }, 120_000);
  afterAll(async () => {
    await runner?.close();
  });

  it('counts more than 1,000 open findings and their duplicates exactly, per job, over HTTP', async () => {
    const open = await allOpenFindings(api, BIG);
    expect(open.filter((f) => f.ruleId === 'duplicate_cell')).toHaveLength(1150);
    expect(open.length).toBeGreaterThan(1000);
    expect(duplicatesOf(open)).toBe(1200);

    const big = await summary(BIG);
    expect(big.findings).toEqual({ open: open.length, duplicates: 1200 });
    expect((await api.getJob(BIG)).findings).toEqual(big.findings);
    const small = await summary(SMALL);
    expect(small.findings).toEqual({ open: (await allOpenFindings(api, SMALL)).length, duplicates: 2 });

    // What one request of 1,000 open findings (the TUI's old way) could see falls short.
    const firstPage = await api.listFindings({ state: 'open', limit: 1000 });
    expect(firstPage.nextCursor).not.toBeNull();
    expect(duplicatesOf(firstPage.items.filter((f) => f.jobId === BIG))).toBeLessThan(1200);
  });

  it('stops counting findings the reconciler resolves', async () => {
    // Mark the second copy of 100 twice-run cells superseded by the first: the next pass resolves their findings.
    await runner.ds.query(
      `UPDATE executions x SET superseded_by = k.id
         FROM executions k
        WHERE x.job_id = $1 AND k.job_id = $1 AND k.question_id = x.question_id AND k.legacy_id < x.legacy_id
          AND x.question_id = ANY($2::text[])`,
      [BIG, Array.from({ length: 100 }, (_, i) => `q${i}`)],
    );
    await reconcile(runner, BIG);
    const open = await allOpenFindings(api, BIG);
    expect(open.filter((f) => f.ruleId === 'duplicate_cell')).toHaveLength(1050);
    const big = await summary(BIG);
    expect(big.findings).toEqual({ open: open.length, duplicates: duplicatesOf(open) });
    expect(big.findings.duplicates).toBe(1100);
  });

  it("shows the counts in the TUI's Jobs screen", async () => {
    const big = await summary(BIG);
    const ui = render(<App api={api} theme={{ color: false }} />);
    try {
      const frame = await waitForText(ui, SMALL, new RegExp(`${BIG}.*\\s${big.findings.duplicates}\\s+${big.findings.open}$`, 'm'));
      expect(frame).toMatch(new RegExp(`${SMALL}.*\\s2\\s+${(await summary(SMALL)).findings.open}$`, 'm'));
    } finally {
      ui.unmount();
    }
  });
});
