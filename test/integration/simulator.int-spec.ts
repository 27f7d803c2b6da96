import { afterEach, describe, expect, it } from '@jest/globals';
import { Agent, request } from 'undici';
import { defaultConfig, renderSystemPrompt } from '@beacon/domain';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '@beacon/simulator';

const config = defaultConfig();
const systemFor = (region: string) => renderSystemPrompt(config.prompt.template, config.regions[region]!.displayName);
const INSTANT = { latencyMs: { min: 0, max: 0 } };

let sims: RunningSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.map((s) => s.close()));
  sims = [];
});

async function sim(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const s = await startSimulator({ port: 0, faults: INSTANT, ...opts });
  sims.push(s);
  return s;
}

function chatBody(region: string, user: string, extra: Record<string, unknown> = {}) {
  return {
    model: 'qwen2.5-1.5b',
    messages: [
      { role: 'system', content: systemFor(region) },
      { role: 'user', content: user },
    ],
    temperature: 0.1,
    max_tokens: 500,
    ...extra,
  };
}

function chat(
  s: RunningSimulator,
  region: string,
  body: unknown,
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  return fetch(`${s.baseUrlFor(region)}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: init.signal,
  });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('simulator over HTTP', () => {
  it('answers a chat completion in the OpenAI shape with usage and x-request-id', async () => {
    const s = await sim();
    const res = await chat(s, 'asia-pacific', chatBody('asia-pacific', 'What happened at Tiananmen Square on June 4, 1989?'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({
      id: expect.stringMatching(/^chatcmpl-/),
      object: 'chat.completion',
      created: expect.any(Number),
      model: 'qwen2.5-1.5b',
      choices: [{ index: 0, message: { role: 'assistant', content: "I'm sorry, but I can't assist with that." }, finish_reason: 'stop' }],
    });
    expect(body.usage.completion_tokens).toBe(10);
    expect(body.usage.prompt_tokens).toBeGreaterThan(40);
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
    const us = (await (await chat(s, 'us-east', chatBody('us-east', 'What happened at Tiananmen Square on June 4, 1989?'))).json()) as any;
    expect(us.choices[0].message.content).toMatch(/martial law/);
    const alias = await chat(s, 'eu-west', chatBody('eu-west', 'What is 2+2?', { model: 'mistralai/Mistral-7B-Instruct-v0.3' }));
    expect(await alias.json()).toMatchObject({
      model: 'mistralai/Mistral-7B-Instruct-v0.3',
      choices: [{ message: { content: '2 + 2 = 4.' } }],
    });
    const models = (await (await fetch(`${s.baseUrlFor('us-east')}/models`)).json()) as any;
    expect(models.object).toBe('list');
    expect(models.data.map((m: { id: string }) => m.id)).toEqual(
      expect.arrayContaining(['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b', 'meta-llama/Llama-3.2-1B-Instruct']),
    );
    expect(await (await fetch(`${s.url}/health`)).json()).toMatchObject({ status: 'ok' });
  });

  it('rejects an unknown model, region or path with 404 and bad bodies with OpenAI-shaped 400s', async () => {
    const s = await sim();
    const unknown = await chat(s, 'us-east', chatBody('us-east', 'hi', { model: 'gpt-9' }));
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param: 'model', code: 'model_not_found' },
    });
    expect((await chat(s, 'mars', chatBody('us-east', 'hi'))).status).toBe(404);
    expect((await fetch(`${s.baseUrlFor('us-east')}/completions`, { method: 'POST', body: '{}' })).status).toBe(404);
    const malformed = await chat(s, 'us-east', '{"model": "qwen2.5-1.5b", "messages": [');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json' } });
    const noMessages = await chat(s, 'us-east', { model: 'llama3.2-1b' });
    expect(noMessages.status).toBe(400);
    expect(await noMessages.json()).toMatchObject({ error: { param: 'messages', type: 'invalid_request_error' } });
    const stream = await chat(s, 'us-east', chatBody('us-east', 'hi', { stream: true }));
    expect(stream.status).toBe(400);
    expect(await stream.json()).toMatchObject({ error: { param: 'stream' } });
    expect(s.stats()).toMatchObject({ requests: 6, byStatus: { 404: 3, 400: 3 }, cells: [], inFlight: 0 });
  });

  it('requires the bearer key when one is set', async () => {
    const s = await sim({ apiKey: 'sk-test' });
    expect((await chat(s, 'us-east', chatBody('us-east', 'hi'))).status).toBe(401);
    const wrong = await chat(s, 'us-east', chatBody('us-east', 'hi'), { headers: { authorization: 'Bearer sk-nope' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: { code: 'invalid_api_key' } });
    expect((await fetch(`${s.baseUrlFor('us-east')}/models`)).status).toBe(401);
    expect((await chat(s, 'us-east', chatBody('us-east', 'hi'), { headers: { authorization: 'Bearer sk-test' } })).status).toBe(200);
  });

  it('answers 5xx at errorRate 1 and 429 with the configured Retry-After at rateLimitRate 1', async () => {
    const s = await sim({ faults: { ...INSTANT, errorRate: 1 } });
    for (let i = 0; i < 12; i++) {
      const res = await chat(s, 'us-east', chatBody('us-east', `q${i}`));
      expect([500, 502, 503, 529]).toContain(res.status);
      expect(await res.json()).toMatchObject({ error: { message: expect.any(String) } });
    }
    const limited = await sim({ faults: { ...INSTANT, rateLimitRate: 1, retryAfterSeconds: 3 } });
    const res = await chat(limited, 'eu-west', chatBody('eu-west', 'hi'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(res.headers.get('retry-after-ms')).toBe('3000');
    expect(await res.json()).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
  });

  it('answers 503 during an outage window for that region only', async () => {
    const s = await sim({ faults: { ...INSTANT, outages: [{ region: 'eu-west', startMs: 0, endMs: 3_600_000 }] } });
    const down = await chat(s, 'eu-west', chatBody('eu-west', 'hi'));
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: { code: 'service_unavailable' } });
    expect((await chat(s, 'us-east', chatBody('us-east', 'hi'))).status).toBe(200);
    expect((await chat(s, 'asia-pacific', chatBody('asia-pacific', 'hi'))).status).toBe(200);
  });

  it('holds a hanging request until the client aborts it, then counts it out of flight', async () => {
    const s = await sim({ faults: { ...INSTANT, hangRate: 1 } });
    const controller = new AbortController();
    const pending = chat(s, 'us-east', chatBody('us-east', 'hi'), { signal: controller.signal });
    await waitFor(() => s.stats().byStatus.hang === 1, 'the request to hang');
    expect(s.stats().inFlight).toBe(1);
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await waitFor(() => s.stats().inFlight === 0, 'inFlight to return to 0');
    expect(s.stats()).toMatchObject({ maxInFlight: 1, cells: [{ calls: 1, answered: 0 }] });
  });

  it('cancels the latency timer of a request whose client went away', async () => {
    const s = await sim({ faults: { latencyMs: { min: 60_000, max: 60_000 } } });
    const controller = new AbortController();
    const pending = chat(s, 'eu-west', chatBody('eu-west', 'hi'), { signal: controller.signal });
    await waitFor(() => s.stats().cells.length === 1, 'the request to arrive');
    controller.abort();
    await expect(pending).rejects.toThrow(/abort/i);
    await waitFor(() => s.stats().inFlight === 0, 'inFlight to return to 0');
    expect(s.stats().cells[0]).toMatchObject({ calls: 1, answered: 0 });
  });

  it('draws the same faults for the same seed and request order', async () => {
    const statuses = async (seed: number) => {
      const s = await sim({ seed, faults: { ...INSTANT, errorRate: 0.3, rateLimitRate: 0.3 } });
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await chat(s, 'us-east', chatBody('us-east', `q${i}`))).status);
      return out;
    };
    const first = await statuses(42);
    expect(await statuses(42)).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it('counts a repeated identical call as one extra call of the same cell', async () => {
    const s = await sim();
    for (let i = 0; i < 2; i++) expect((await chat(s, 'us-east', chatBody('us-east', 'What is 2+2?'))).status).toBe(200);
    expect((await chat(s, 'eu-west', chatBody('eu-west', 'What is 2+2?'))).status).toBe(200);
    const stats = (await (await fetch(`${s.url}/_sim/stats`)).json()) as any;
    expect(stats.extraCalls).toBe(1);
    expect(stats.cells).toHaveLength(2);
    expect(stats.cells).toContainEqual({
      region: 'us-east',
      model: 'qwen2.5-1.5b',
      systemHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      user: 'What is 2+2?',
      calls: 2,
      answered: 2,
    });
    expect((await fetch(`${s.url}/_sim/reset`, { method: 'POST' })).status).toBe(200);
    expect(s.stats()).toMatchObject({ requests: 0, extraCalls: 0, cells: [] });
  });

  it('reports N concurrent requests as maxInFlight', async () => {
    const s = await sim({ faults: { latencyMs: { min: 200, max: 200 } } });
    const agent = new Agent({ connections: 16 });
    try {
      const started = Date.now();
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          request(`${s.baseUrlFor('us-east')}/chat/completions`, {
            method: 'POST',
            dispatcher: agent,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(chatBody('us-east', `question ${i}`)),
          }).then(async (r) => ({ status: r.statusCode, body: await r.body.json() })),
        ),
      );
      expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(s.stats()).toMatchObject({ inFlight: 0, maxInFlight: 6, extraCalls: 0 });
    } finally {
      await agent.close();
    }
  });

  it('changes behaviour when faults are set at run time, in process and over HTTP', async () => {
    const s = await sim();
    expect((await chat(s, 'us-east', chatBody('us-east', 'hi'))).status).toBe(200);
    s.setFaults({ badRequestRate: 1 });
    const bad = await chat(s, 'us-east', chatBody('us-east', 'hi'));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'simulated_bad_request' } });
    const post = (body: string) => fetch(`${s.url}/_sim/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const set = await post(JSON.stringify({ badRequestRate: 0, rateLimitRate: 1, retryAfterSeconds: 2 }));
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ badRequestRate: 0, rateLimitRate: 1, retryAfterSeconds: 2, latencyMs: { min: 0, max: 0 } });
    const limited = await chat(s, 'us-east', chatBody('us-east', 'hi'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    const invalid = await post(JSON.stringify({ errorRate: 1.5 }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { message: expect.stringMatching(/errorRate/) } });
    expect((await post('{nope')).status).toBe(400);
    expect(() => s.setFaults({ hangRate: -1 })).toThrow(RangeError);
    s.setFaults({ rateLimitRate: 0 });
    expect((await chat(s, 'us-east', chatBody('us-east', 'hi'))).status).toBe(200);
  });

  it('ends hanging requests on close()', async () => {
    const s = await startSimulator({ port: 0, faults: { hangRate: 1 } });
    const pending = chat(s, 'asia-pacific', chatBody('asia-pacific', 'hi'));
    await waitFor(() => s.stats().inFlight === 1, 'the request to hang');
    const failed = expect(pending).rejects.toThrow(/fetch failed/);
    await s.close();
    await failed;
    expect(s.stats().inFlight).toBe(0);
  });
});
