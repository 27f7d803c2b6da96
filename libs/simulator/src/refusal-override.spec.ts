import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseFaultUpdate } from './fault-settings.js';
import { OVERRIDE_REFUSAL, RefusalDecider } from './refusal-override.js';
import { startSimulator } from './simulator.server.js';
import type { RunningSimulator } from './simulator.types.js';

const REGIONS = ['us-east', 'eu-west', 'asia-pacific'];

describe('refusals override: settings', () => {
  it('accepts a list of rules and resolves model aliases', () => {
    expect(
      parseFaultUpdate({ refusals: [{ model: 'Qwen/Qwen2.5-1.5B-Instruct', region: 'eu-west', topic: 'Taiwan', rate: 0.5 }] }, REGIONS),
    ).toEqual({
      refusals: [{ model: 'qwen2.5-1.5b', region: 'eu-west', topic: 'Taiwan', rate: 0.5 }],
    });
    expect(parseFaultUpdate({ refusals: [] }, REGIONS)).toEqual({ refusals: [] });
  });

  it('rejects bad rules naming the field', () => {
    expect(() => parseFaultUpdate({ refusals: [{ rate: 2 }] }, REGIONS)).toThrow(/refusals\[0\]\.rate: must be from 0 to 1/);
    expect(() => parseFaultUpdate({ refusals: [{}, { region: 'mars' }] }, REGIONS)).toThrow(/refusals\[1\]\.region: unknown region "mars"/);
    expect(() => parseFaultUpdate({ refusals: [{ model: 'gpt-9' }] }, REGIONS)).toThrow(/refusals\[0\]\.model: unknown model "gpt-9"/);
    expect(() => parseFaultUpdate({ refusals: [{ topic: '' }] }, REGIONS)).toThrow(/refusals\[0\]\.topic: must not be empty/);
    expect(() => parseFaultUpdate({ refusals: [{ colour: 'red' }] }, REGIONS)).toThrow(/refusals\[0\]/);
    expect(() => parseFaultUpdate({ refusals: 'all' }, REGIONS)).toThrow(/refusals: must be a list/);
  });
});

describe(RefusalDecider.name, () => {
  it('matches on every given field, the topic case-insensitively in the question', () => {
    const d = new RefusalDecider(1);
    const rules = [{ model: 'mistral-7b', region: 'eu-west', topic: 'taiwan' }];
    expect(d.refuses(rules, 'mistral-7b', 'eu-west', 'What is the current status of Taiwan?')).toBe(true);
    expect(d.refuses(rules, 'mistral-7b', 'us-east', 'What is the current status of Taiwan?')).toBe(false);
    expect(d.refuses(rules, 'llama3.2-1b', 'eu-west', 'What is the current status of Taiwan?')).toBe(false);
    expect(d.refuses(rules, 'mistral-7b', 'eu-west', 'What is 2+2?')).toBe(false);
    expect(d.refuses([], 'mistral-7b', 'eu-west', 'What is the current status of Taiwan?')).toBe(false);
    expect(d.refuses([{}], 'x', 'y', 'z')).toBe(true);
  });

  it('refuses at the stated rate, the same calls for the same seed', () => {
    const draws = (seed: number) => {
      const d = new RefusalDecider(seed);
      return Array.from({ length: 4000 }, () => d.refuses([{ topic: '2+2', rate: 0.05 }], 'llama3.2-1b', 'us-east', 'What is 2+2?'));
    };
    const a = draws(1);
    const share = a.filter(Boolean).length / a.length;
    // Binomial(4000, 0.05): sd 0.0034; 4 sd either side.
    expect(share).toBeGreaterThan(0.05 - 0.014);
    expect(share).toBeLessThan(0.05 + 0.014);
    expect(draws(1)).toEqual(a);
    expect(draws(2)).not.toEqual(a);
  });
});

describe('refusals override over HTTP', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({ port: 0, faults: { latencyMs: { min: 0, max: 0 } } });
  });
  afterAll(() => sim.close());

  const ask = async (region: string, model: string, text: string) => {
    const res = await fetch(`${sim.baseUrlFor(region)}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: text }] }),
    });
    return ((await res.json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content;
  };

  it('switches a model to refusing one topic in one region at runtime, and back', async () => {
    const question = 'What is the current status of Taiwan?';
    const before = await ask('eu-west', 'llama3.2-1b', question);
    expect(before).not.toBe(OVERRIDE_REFUSAL);
    const set = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ refusals: [{ model: 'llama3.2-1b', region: 'eu-west', topic: 'taiwan' }] }),
    });
    expect(set.status).toBe(200);
    const after = await ask('eu-west', 'llama3.2-1b', question);
    expect(after).toBe(OVERRIDE_REFUSAL);
    expect(await ask('us-east', 'llama3.2-1b', question)).not.toBe(OVERRIDE_REFUSAL);
    expect(await ask('eu-west', 'mistral-7b', question)).not.toBe(OVERRIDE_REFUSAL);
    const bad = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ refusals: [{ rate: -1 }] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/refusals\[0\]\.rate/);
    sim.setFaults({ refusals: [] });
    expect(await ask('eu-west', 'llama3.2-1b', question)).toBe(before);
  });
});
