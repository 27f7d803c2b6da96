import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { majorityLabel, type LabelCounts } from '@beacon/analysis';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';

const STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const LABELS = ['answered', 'partial', 'refused', 'empty', 'filtered'] as const;

/** One generated replicate: its state and, when succeeded, its label (or none, or one the analysis does not know). */
interface Replicate {
  state: (typeof STATES)[number];
  label: (typeof LABELS)[number] | null | 'odd';
}

const replicate = fc.record({
  state: fc.constantFrom(...STATES),
  label: fc.constantFrom<Replicate['label']>(...LABELS, null, 'odd'),
});

/** A job: questions × models × regions, each group 0–4 replicates (0: never planned). */
const history = fc.record({
  questions: fc.integer({ min: 1, max: 7 }),
  models: fc.integer({ min: 1, max: 2 }),
  regions: fc.integer({ min: 1, max: 3 }),
  groups: fc.array(fc.array(replicate, { maxLength: 4 }), { minLength: 42, maxLength: 42 }),
  pageSize: fc.integer({ min: 1, max: 4 }),
});

let seq = 0;

describe('GET /api/v1/jobs/:id/matrix', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner();
  });
  afterAll(async () => runner?.close());

  /** Plants the job's rows; returns the job id and the replicates of each (question, model, region). */
  async function plant(h: { questions: number; models: number; regions: number; groups: Replicate[][]; pageSize: number }) {
    const id = `matrix-${++seq}`;
    const questions = Array.from({ length: h.questions }, (_, i) => `q${h.questions - i}`); // spec order is not id order
    const models = Array.from({ length: h.models }, (_, i) => `m${i}`);
    const regions = Array.from({ length: h.regions }, (_, i) => `r${i}`);
    const spec = {
      id,
      questions: questions.map((q) => ({ id: q, text: `text of ${q}`, category: null, source: 'inline' })),
      models: models.map((m) => ({ id: m, name: m })),
      regions: regions.map((r) => ({ id: r, displayName: r })),
      repeats: 4,
    };
    await runner.ds.query(
      `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected) VALUES ($1, 'beacon', '{}', 'x', $2, 1)`,
      [id, JSON.stringify(spec)],
    );
    const expected = new Map<string, Replicate[]>();
    let g = 0;
    const rows: unknown[][] = [];
    for (const q of questions)
      for (const m of models)
        for (const r of regions) {
          const reps = h.groups[g++ % h.groups.length]!;
          expected.set(`${q}|${m}|${r}`, reps);
          reps.forEach((rep, k) => rows.push([q, m, r, k, rep.state, rep.state === 'succeeded' && rep.label !== null ? rep.label : null]));
        }
    for (const [q, m, r, k, state, label] of rows) {
      await runner.ds.query(
        `INSERT INTO executions (job_id, question_id, model_id, region, replicate, state, trace_id, classification,
                                 result_attempt, finished_at, lease_owner, lease_token, lease_expires_at)
         VALUES ($1, $2, $3, $4, $5::int, $6::text, md5($1 || $2 || $3 || $4 || $5::text), $7,
                 CASE WHEN $6::text = 'succeeded' THEN 1 END,
                 CASE WHEN $6::text IN ('succeeded','failed','cancelled') THEN now() END,
                 CASE WHEN $6::text = 'running' THEN 'r' END, CASE WHEN $6::text = 'running' THEN gen_random_uuid() END,
                 CASE WHEN $6::text = 'running' THEN now() + interval '1 hour' END)`,
        [id, q, m, r, k, state, label],
      );
    }
    return { id, questions, models, regions, expected };
  }

  it('counts every group as the rows say, labels it as the analysis would, and pages the questions in spec order', async () => {
    await fc.assert(
      fc.asyncProperty(history, async (h) => {
        const job = await plant(h);
        const seen: string[] = [];
        for (let offset = 0; offset < job.questions.length; offset += h.pageSize) {
          const res = await fetch(`${runner.baseUrl}/api/v1/jobs/${job.id}/matrix?offset=${offset}&limit=${h.pageSize}`);
          expect(res.status).toBe(200);
          const page = (await res.json()) as any;
          expect(page.total).toBe(job.questions.length);
          expect(page.offset).toBe(offset);
          expect(page.columns).toEqual(job.models.flatMap((m) => job.regions.map((r) => ({ modelId: m, region: r }))));
          for (const row of page.rows) {
            seen.push(row.questionId);
            expect(row.text).toBe(`text of ${row.questionId}`);
            row.cells.forEach((cell: any, k: number) => {
              const col = page.columns[k];
              const reps = job.expected.get(`${row.questionId}|${col.modelId}|${col.region}`)!;
              if (reps.length === 0) return expect(cell).toBeNull();
              // Independently: the analysis' own counting of labels (unknown labels and unfinished cells are no response).
              const counts: LabelCounts = { responses: 0, answered: 0, partial: 0, refused: 0, empty: 0, filtered: 0, noResponse: 0 };
              for (const rep of reps) {
                if (rep.state === 'succeeded' && rep.label !== null && rep.label !== 'odd') {
                  counts.responses++;
                  counts[rep.label]++;
                } else counts.noResponse++;
              }
              const byState = (s: string) => reps.filter((rep) => rep.state === s).length;
              expect(cell).toMatchObject({
                label: majorityLabel(counts),
                cells: reps.length,
                responses: counts.responses,
                labels: {
                  answered: counts.answered,
                  partial: counts.partial,
                  refused: counts.refused,
                  empty: counts.empty,
                  filtered: counts.filtered,
                },
                pending: byState('pending'),
                running: byState('running'),
                failed: byState('failed'),
                cancelled: byState('cancelled'),
              });
            });
          }
        }
        expect(seen).toEqual(job.questions);
      }),
      { numRuns: 15 },
    );
  });

  it('refuses bad paging with the parameter named, and an unknown job with 404', async () => {
    const job = await plant({ questions: 1, models: 1, regions: 1, groups: [[{ state: 'pending', label: null }]], pageSize: 1 });
    for (const [query, param] of [
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=x', 'offset'],
      ['page=2', 'page'],
    ]) {
      const res = await fetch(`${runner.baseUrl}/api/v1/jobs/${job.id}/matrix?${query}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error).toBe('invalid_parameter');
      expect(body.problems.map((p: any) => p.path)).toContain(param);
    }
    expect((await fetch(`${runner.baseUrl}/api/v1/jobs/no-such-job/matrix`)).status).toBe(404);
    const beyond = (await (await fetch(`${runner.baseUrl}/api/v1/jobs/${job.id}/matrix?offset=5`)).json()) as any;
    expect(beyond).toMatchObject({ total: 1, offset: 5, rows: [] });
  });
});
