import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClassificationRepository, QueueRepository } from '@beacon/db';
import { CLASSIFIER_VERSION } from '@beacon/classifier';
import { cliEnv, requireBuild, runCli } from '../utils/cli.js';
import { migratedDatabase, type TestDatabase } from '../utils/runner-harness.js';
import { seedJob, type Row } from './reconciler-fixtures.js';

const CALL = {
  httpStatus: 200,
  latencyMs: 5,
  response: '4',
  finishReason: 'stop',
  inputTokens: 3,
  outputTokens: 1,
  usage: null,
  upstreamRequestId: null,
  error: null,
};

/** Versioned labels against a real database: written with the commit, and kept when a newer version re-classifies. */
describe('versioned classifications', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    requireBuild();
    db = await migratedDatabase('cls');
  });
  afterAll(async () => {
    await db?.close();
  });

  const labels = (jobId: string): Promise<Row[]> =>
    db.ds.query(
      `SELECT c.execution_id::text, c.attempt_id::text, c.classifier_version, c.label, c.confidence, c.tier, c.rule, c.created_at
       FROM classifications c JOIN executions e ON e.id = c.execution_id WHERE e.job_id = $1
      ORDER BY c.execution_id, c.id`,
      [jobId],
    );

  it('stores the label of a committed result in the same statement, and none for a fenced one', async () => {
    const { jobId } = await seedJob(db.ds, { pending: true, questions: ['math_basic'], regions: ['eu-west', 'us-east'] });
    const queue = new QueueRepository(db.ds);
    const claimed = [
      ...(await queue.claim({
        runnerId: 'r1',
        region: 'eu-west',
        modelId: 'llama3.2-1b',
        limit: 1,
        leaseMs: 60_000,
        firstAttemptsOnly: false,
      })),
      ...(await queue.claim({
        runnerId: 'r1',
        region: 'us-east',
        modelId: 'llama3.2-1b',
        limit: 1,
        leaseMs: 60_000,
        firstAttemptsOnly: false,
      })),
    ];
    expect(claimed).toHaveLength(2);
    const started = await queue.startAttempts(
      claimed.map((cell) => ({
        cell,
        runnerId: 'r1',
        systemPrompt: 's',
        userPrompt: 'What is 2+2?',
        parameters: {},
        promptHash: 'h',
        parametersHash: 'p',
        endpoint: 'http://x',
        spanId: null,
      })),
    );
    expect(started.size).toBe(2);
    const result = {
      classification: 'answered',
      classificationRule: 'answered',
      classificationVersion: CLASSIFIER_VERSION,
      classificationConfidence: 0.9,
      classificationTier: 'rules',
    };
    expect(await queue.complete(claimed[0]!, CALL, result)).toBe('succeeded');
    expect(await queue.complete({ ...claimed[1]!, leaseToken: '00000000-0000-4000-8000-000000000000' }, CALL, result)).toBe('fenced');

    const [attempt]: Row[] = await db.ds.query(`SELECT id::text FROM execution_attempts WHERE execution_id = $1`, [claimed[0]!.id]);
    expect(await labels(jobId)).toEqual([
      expect.objectContaining({
        execution_id: claimed[0]!.id,
        attempt_id: attempt!.id,
        classifier_version: CLASSIFIER_VERSION,
        label: 'answered',
        tier: 'rules',
        rule: 'answered',
        confidence: expect.closeTo(0.9, 5),
      }),
    ]);
  });

  it('re-classifies a finished job with the current version, keeping older labels and never overwriting a version', async () => {
    const { jobId, cells } = await seedJob(db.ds, { questions: ['math_basic', 'tiananmen_neutral'], regions: ['eu-west'] });
    const [math, tiananmen] = cells;
    await db.ds.query(`UPDATE executions SET response = $2 WHERE id = $1`, [tiananmen!.id, '抱歉，我无法回答这个问题。']);
    // What an older classifier said: a wrong label for "4" and a provider refusal field that the text cannot show.
    await db.ds.query(`UPDATE executions SET response = '4', classification = 'empty', classification_rule = 'too_short' WHERE id = $1`, [
      math!.id,
    ]);
    await db.ds.query(`UPDATE executions SET classification = 'filtered', classification_rule = 'provider.refusal_field' WHERE id = $1`, [
      tiananmen!.id,
    ]);
    await new ClassificationRepository(db.ds).record([
      { executionId: math!.id, attemptId: null, version: 'rules-v0', label: 'empty', confidence: null, tier: null, rule: 'too_short' },
      {
        executionId: tiananmen!.id,
        attemptId: null,
        version: 'rules-v0',
        label: 'filtered',
        confidence: 1,
        tier: 'provider',
        rule: 'provider.refusal_field',
      },
    ]);
    const before = await labels(jobId);
    const env = cliEnv({ DATABASE_URL: db.url });

    const first = await runCli(['classify', '--job', jobId, '--json'], { env });
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      job: jobId,
      version: CLASSIFIER_VERSION,
      results: 2,
      added: 2,
      kept: 0,
      labels: { answered: 1, refused: 1 },
    });
    const after = await labels(jobId);
    expect(after).toHaveLength(4);
    for (const old of before) expect(after).toContainEqual(old);
    expect(after.filter((l) => l.classifier_version === CLASSIFIER_VERSION).map((l) => [l.execution_id, l.label, l.tier, l.rule])).toEqual([
      [math!.id, 'answered', 'rules', 'answered'],
      [tiananmen!.id, 'refused', 'provider', 'provider.refusal_field'],
    ]);
    const current: Row[] = await db.ds.query(`SELECT classification, classification_rule FROM executions WHERE job_id = $1 ORDER BY id`, [
      jobId,
    ]);
    expect(current).toEqual([
      { classification: 'answered', classification_rule: 'answered' },
      { classification: 'refused', classification_rule: 'provider.refusal_field' },
    ]);

    const again = await runCli(['classify', '--job', jobId], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`0 new label(s), 2 already labelled by this version (kept)`);
    expect(await labels(jobId)).toEqual(after);
  });

  it('refuses an unknown or unfinished job', async () => {
    const env = cliEnv({ DATABASE_URL: db.url });
    const unknown = await runCli(['classify', '--job', 'no-such-job'], { env });
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('job no-such-job not found');
    const { jobId } = await seedJob(db.ds, { pending: true });
    const running = await runCli(['classify', '--job', jobId], { env });
    expect(running.code).toBe(2);
    expect(running.stderr).toContain(`job ${jobId} is queued; classify it once it has finished`);
  });
});
