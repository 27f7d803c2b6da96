import { describe, expect, it } from '@jest/globals';
import { RESPONSE_LABELS } from '@beacon/classifier';
import { ATTEMPT_OUTCOMES, defaultConfig } from '@beacon/domain';
import { FAILURE_KINDS, type EngineEvent } from '@beacon/engine';
import { createMetrics } from '@beacon/observability';
import { configuredCategories, engineMetricsListener, NO_CATEGORY, primeMetrics } from './engine-metrics.listener.js';

/** Sample lines of one metric family in the registry's exposition. */
async function samples(m: ReturnType<typeof createMetrics>, name: string): Promise<string[]> {
  const body = await m.registry.metrics();
  return body.split('\n').filter((l) => l.startsWith(`${name}{`));
}

describe('primeMetrics (issue 15.1: series exist at 0 from the start)', () => {
  const keys = [
    { region: 'us-east', model: 'm1' },
    { region: 'asia-pacific', model: 'm2' },
  ];

  it('creates every response label × bank category, retry reason, attempt outcome × kind and latency histogram at 0', async () => {
    const m = createMetrics();
    const categories = configuredCategories(defaultConfig());
    expect(categories.has(NO_CATEGORY)).toBe(true);
    expect(categories.has('bias_detection')).toBe(true);
    primeMetrics(m, keys, categories);
    const responses = await samples(m, 'beacon_responses_total');
    expect(responses).toHaveLength(keys.length * RESPONSE_LABELS.length * categories.size);
    expect(responses.every((l) => l.endsWith(' 0'))).toBe(true);
    expect(responses).toContain(
      'beacon_responses_total{region="asia-pacific",model="m2",classification="refused",category="bias_detection"} 0',
    );
    const retries = await samples(m, 'beacon_retries_total');
    expect(retries).toHaveLength(keys.length * FAILURE_KINDS.length);
    expect(await samples(m, 'beacon_attempts_total')).toHaveLength(keys.length * ATTEMPT_OUTCOMES.length * 2);
    const counts = await samples(m, 'beacon_provider_latency_seconds_count');
    expect(counts).toHaveLength(keys.length * (ATTEMPT_OUTCOMES.length - 1));
    expect(counts.every((l) => l.endsWith(' 0'))).toBe(true);
  });

  it('a category outside the bank gets its other labels at 0 with its first response', async () => {
    const m = createMetrics();
    const categories = configuredCategories(defaultConfig());
    primeMetrics(m, keys, categories);
    const listen = engineMetricsListener(m, categories);
    const cell = { region: 'us-east', modelId: 'm1', failures: 0, leaseLosses: 0, traceId: '0'.repeat(32) };
    const event = {
      type: 'attempt',
      cell,
      attemptId: '1',
      outcome: 'succeeded',
      state: 'succeeded',
      latencyMs: 10,
      httpStatus: 200,
      classification: 'answered',
      category: 'sports',
      failureKind: null,
      error: null,
      retryInMs: null,
    } as unknown as EngineEvent;
    listen(event);
    const sports = (await samples(m, 'beacon_responses_total')).filter((l) => l.includes('category="sports"'));
    expect(sports).toHaveLength(RESPONSE_LABELS.length);
    expect(sports).toContain('beacon_responses_total{region="us-east",model="m1",classification="answered",category="sports"} 1');
    expect(sports).toContain('beacon_responses_total{region="us-east",model="m1",classification="refused",category="sports"} 0');
  });
});

describe('tokens and cost metrics (issue 15.4)', () => {
  const keys = [{ region: 'us-east', model: 'm1' }];
  const attempt = (over: Record<string, unknown>) =>
    ({
      type: 'attempt',
      cell: { region: 'us-east', modelId: 'm1', failures: 0, leaseLosses: 0, traceId: '0'.repeat(32) },
      attemptId: '1',
      outcome: 'succeeded',
      state: 'succeeded',
      latencyMs: 250,
      httpStatus: 200,
      classification: 'answered',
      category: null,
      failureKind: null,
      error: null,
      retryInMs: null,
      called: true,
      ...over,
    }) as unknown as EngineEvent;

  it('defect 15.4: token usage, operation duration, cost, unpriced calls, finish reasons and job cost exist at 0 from the start', async () => {
    const m = createMetrics();
    primeMetrics(m, keys);
    expect(await samples(m, 'beacon_gen_ai_client_token_usage_tokens_count')).toEqual([
      'beacon_gen_ai_client_token_usage_tokens_count{region="us-east",model="m1",token_type="input"} 0',
      'beacon_gen_ai_client_token_usage_tokens_count{region="us-east",model="m1",token_type="output"} 0',
    ]);
    expect(await samples(m, 'beacon_gen_ai_client_operation_duration_seconds_count')).toContain(
      'beacon_gen_ai_client_operation_duration_seconds_count{region="us-east",model="m1",error_type="none"} 0',
    );
    expect(await samples(m, 'beacon_cost_usd_total')).toEqual(['beacon_cost_usd_total{region="us-east",model="m1"} 0']);
    expect(await samples(m, 'beacon_unpriced_calls_total')).toEqual(['beacon_unpriced_calls_total{region="us-east",model="m1"} 0']);
    expect(await samples(m, 'beacon_responses_finish_reason_total')).toHaveLength(5);
    expect(await samples(m, 'beacon_job_cost_usd_count')).toContain('beacon_job_cost_usd_count{status="budget_exhausted"} 0');
  });

  it('defect 15.4: an answered call adds its tokens, duration, cost and finish reason; one without a price is counted, not costed at 0', async () => {
    const m = createMetrics();
    primeMetrics(m, keys);
    const listen = engineMetricsListener(m);
    listen(attempt({ inputTokens: 40, outputTokens: 100, costUsd: 0.00042, finishReason: 'length' }));
    listen(attempt({ inputTokens: 10, outputTokens: 5, costUsd: null, finishReason: 'stop' }));
    listen({ type: 'job_status', jobId: 'j', status: 'budget_exhausted', costUsd: 1.5 });
    expect(await samples(m, 'beacon_gen_ai_client_token_usage_tokens_sum')).toEqual([
      'beacon_gen_ai_client_token_usage_tokens_sum{region="us-east",model="m1",token_type="input"} 50',
      'beacon_gen_ai_client_token_usage_tokens_sum{region="us-east",model="m1",token_type="output"} 105',
    ]);
    expect(await samples(m, 'beacon_cost_usd_total')).toEqual(['beacon_cost_usd_total{region="us-east",model="m1"} 0.00042']);
    expect(await samples(m, 'beacon_unpriced_calls_total')).toEqual(['beacon_unpriced_calls_total{region="us-east",model="m1"} 1']);
    expect(await samples(m, 'beacon_responses_finish_reason_total')).toContain(
      'beacon_responses_finish_reason_total{region="us-east",model="m1",finish_reason="length"} 1',
    );
    expect(await samples(m, 'beacon_gen_ai_client_operation_duration_seconds_sum')).toContain(
      'beacon_gen_ai_client_operation_duration_seconds_sum{region="us-east",model="m1",error_type="none"} 0.5',
    );
    expect(await samples(m, 'beacon_job_cost_usd_sum')).toContain('beacon_job_cost_usd_sum{status="budget_exhausted"} 1.5');
  });
});
