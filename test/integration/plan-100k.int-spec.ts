import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseConfig } from '@beacon/domain';
import { postJob, startTestRunner, type TestRunner } from '../utils/runner-harness.js';

const regions = Array.from({ length: 10 }, (_, i) => `region-${i}`);
const models = Array.from({ length: 10 }, (_, i) => `model-${i}`);
const yaml = [
  'regions:',
  ...regions.map((r) => `  ${r}: { displayName: "Region ${r}", baseUrl: "http://127.0.0.1:9/${r}/v1" }`),
  'models:',
  ...models.map((m) => `  ${m}: {}`),
].join('\n');

describe('planning a 100 × 10 × 10 × 10 job', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner(parseConfig(yaml, 'large config'));
  });
  afterAll(async () => {
    await runner?.close();
  });

  it('plans 100,000 cells in one transaction, each key once', async () => {
    const spec = {
      id: 'plan-100k',
      questions: Array.from({ length: 100 }, (_, i) => ({ id: `q${i}`, text: `Question number ${i}?` })),
      models,
      regions,
      repeats: 10,
    };
    const started = performance.now();
    const res = await postJob(runner.baseUrl, JSON.stringify(spec));
    const ms = performance.now() - started;
    expect(res.status).toBe(201);
    expect(res.body.cells).toBe(100_000);
    const [row] = await runner.ds.query(
      `SELECT count(*)::int AS n, count(DISTINCT (question_id, model_id, region, replicate))::int AS keys,
              count(DISTINCT trace_id)::int AS traces FROM executions WHERE job_id = 'plan-100k'`,
    );
    expect(row).toEqual({ n: 100_000, keys: 100_000, traces: 100_000 });
    process.stderr.write(`planned 100,000 cells in ${Math.round(ms)} ms (HTTP round trip included)\n`);
  });
});
