import { describe, expect, it } from '@jest/globals';
import { sha256Hex } from '../json/canonical-json.js';
import { LegacyImportError, legacyImportRows, parseLegacyDocument, parseLegacyExportText } from './index.js';
import { legacyExecution, legacyJob } from './legacy-export.fixtures.js';

const job = (over: Record<string, unknown> = {}) => legacyJob({ updated_at: '2025-09-30T16:00:00Z', ...over });
const execution = legacyExecution;
const rowsOf = (executions: unknown[], jobOver: Record<string, unknown> = {}) =>
  legacyImportRows(parseLegacyDocument({ job: job(jobOver), executions }));

describe(parseLegacyExportText.name, () => {
  it('reads one JSON value, an array, or JSON Lines, ignoring a byte-order mark', () => {
    expect(parseLegacyExportText('\uFEFF{"job":1}')).toEqual({ job: 1 });
    expect(parseLegacyExportText('[{"a":1},{"a":2}]')).toEqual([{ a: 1 }, { a: 2 }]);
    expect(parseLegacyExportText('{"a":1}\n\n{"a":2}\n')).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it("names the line of a JSON Lines error, and rethrows the parser's error for a single value", () => {
    expect(() => parseLegacyExportText('{"a":1}\n{"a":\n{"a":3}')).toThrow(/^line 2: /);
    expect(() => parseLegacyExportText('{"a":')).toThrow(SyntaxError);
    expect(() => parseLegacyExportText('{"a":')).not.toThrow(LegacyImportError);
  });
});

describe(legacyImportRows.name, () => {
  it('makes the job row: jobspec id, legacy id, the exported spec as received, mapped status, finished at updated_at', () => {
    const { job: j, executionCount } = rowsOf([execution()], { status: 'Completed' });
    expect(j).toMatchObject({ id: 'legacy-7', legacyId: '7', status: 'completed', cellsExpected: 1 });
    expect(JSON.parse(j.specReceived)).toEqual(job().jobspec_data);
    expect(j.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(j.spec.format).toBe('go-runner');
    expect(j.createdAt?.toISOString()).toBe('2025-09-30T15:00:00.000Z');
    expect(j.finishedAt?.toISOString()).toBe('2025-09-30T16:00:00.000Z');
    expect(executionCount).toBe(1);
    expect(rowsOf([], { status: 'weird' }).job.status).toBe('failed');
    expect(rowsOf([], { updated_at: null }).job.finishedAt?.toISOString()).toBe('2025-09-30T15:00:00.000Z');
  });

  it("defect 15.6: keeps the exported job's own status word and fields next to the mapped status", () => {
    const { job: j } = rowsOf([], { status: ' Running ', updated_at: null, owner: 'ops' });
    expect(j).toMatchObject({ status: 'failed', legacyStatus: 'running' });
    expect(JSON.parse(j.legacyData)).toEqual({
      id: 7,
      jobspec_id: 'legacy-7',
      status: ' Running ',
      created_at: '2025-09-30T15:00:00Z',
      updated_at: null,
      owner: 'ops',
    });
  });

  it('maps execution statuses onto states and attempt outcomes, anything unknown as failed', () => {
    const statuses = ['completed', 'failed', 'timeout', 'error', 'cancelled', 'queued'];
    const rows = rowsOf(statuses.map((status, i) => execution({ id: i + 1, status }))).executionRows(0, statuses.length);
    expect(rows.map((r) => [r.legacyStatus, r.state, r.attempt.outcome])).toEqual([
      ['completed', 'succeeded', 'succeeded'],
      ['failed', 'failed', 'final_error'],
      ['timeout', 'failed', 'final_error'],
      ['error', 'failed', 'final_error'],
      ['cancelled', 'cancelled', 'cancelled'],
      ['queued', 'failed', 'final_error'],
    ]);
  });

  it('builds rows on demand for a window, with ids, prompts and hashes that do not change between imports', () => {
    const plan = rowsOf([execution(), execution({ id: 2 }), execution({ id: 3 })]);
    const [r] = plan.executionRows(1, 2);
    expect(r).toMatchObject({
      legacyId: 2,
      questionId: '(batch)',
      legacyQuestionId: null,
      modelId: 'm1',
      region: 'us-east',
      response: '4',
    });
    expect(r!.traceId).toBe(sha256Hex('legacy:legacy-7:2').slice(0, 32));
    expect(r!.attempt).toMatchObject({
      runnerId: 'p',
      systemPrompt: 'sys',
      userPrompt: 'What is 2 + 2?',
      parameters: '{"temperature":0.1}',
    });
    expect(r!.attempt.leaseToken).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(JSON.parse(r!.legacyData)).toMatchObject({ id: 2, region: 'us-east' });
    expect(rowsOf([execution(), execution({ id: 2 })]).executionRows(1, 2)).toEqual([r]);
    expect(plan.executionRows(2, 99)).toHaveLength(1);
  });

  it("takes a missing user prompt from the spec's question text", () => {
    const question = parseLegacyDocument({ job: job(), executions: [] });
    const qid = legacyImportRows(question).job.spec.questions[0]!.id;
    const [r] = rowsOf([execution({ question_id: qid, output: { response: 'x' } })]).executionRows(0, 1);
    expect(r).toMatchObject({ questionId: qid, legacyQuestionId: qid });
    expect(r!.attempt).toMatchObject({ systemPrompt: '', userPrompt: 'What is 2 + 2?', parameters: '{}' });
  });

  it('defect 15.6: keeps a completion before the start as the export says it, normalising only its format', () => {
    const [before, zoneless] = rowsOf([
      execution({ started_at: '2025-09-30T15:00:05Z', completed_at: '2025-09-30T15:00:00Z' }),
      execution({ id: 2, started_at: '2025-09-30T15:00:05Z', completed_at: '2025-09-30 15:00:03.25' }),
    ]).executionRows(0, 2);
    expect([before!.startedAt.toISOString(), before!.finishedAt.toISOString()]).toEqual([
      '2025-09-30T15:00:05.000Z',
      '2025-09-30T15:00:00.000Z',
    ]);
    expect(zoneless!.finishedAt.toISOString()).toBe('2025-09-30T15:00:03.250Z');
    expect(JSON.parse(before!.legacyData)).toMatchObject({ completed_at: '2025-09-30T15:00:00Z' });
  });

  it('reads a missing (or Go zero) completion as the start, and a missing start as the creation time', () => {
    const [zero, none, unstarted] = rowsOf([
      execution({ completed_at: '0001-01-01T00:00:00Z' }),
      execution({ id: 2, completed_at: null }),
      execution({ id: 3, started_at: null, completed_at: null }),
    ]).executionRows(0, 3);
    expect(zero!.finishedAt.toISOString()).toBe('2025-09-30T15:00:01.000Z');
    expect(none!.finishedAt.toISOString()).toBe('2025-09-30T15:00:01.000Z');
    expect([unstarted!.startedAt, unstarted!.finishedAt].map((d) => d.toISOString())).toEqual([
      '2025-09-30T15:00:01.000Z',
      '2025-09-30T15:00:01.000Z',
    ]);
  });
});
