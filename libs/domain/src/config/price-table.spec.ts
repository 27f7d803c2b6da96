import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../problems/config.error.js';
import { parseConfig } from './config.parser.js';
import { callCost, callCostBound, priceOf, promptTokensBound, CHAT_TEMPLATE_TOKENS } from './price-table.js';

function problemsOf(yaml: string): { path: string; message: string }[] {
  try {
    parseConfig(yaml, 'prices.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('the price table (issue 15.4)', () => {
  it('defect 15.4: reads prices per model and region, a region given by alias, and a model-wide default', () => {
    const config = parseConfig(
      [
        'prices:',
        '  - { model: llama3.2-1b, region: "*", inputPerMillion: 0.1, outputPerMillion: 0.4 }',
        '  - { model: llama3.2-1b, region: EU, inputPerMillion: 0.2, outputPerMillion: 0.8 }',
      ].join('\n'),
      'prices.yaml',
      {},
    );
    expect(priceOf(config.prices, 'llama3.2-1b', 'eu-west')).toEqual({ inputPerMillion: 0.2, outputPerMillion: 0.8 });
    expect(priceOf(config.prices, 'llama3.2-1b', 'us-east')).toEqual({ inputPerMillion: 0.1, outputPerMillion: 0.4 });
    expect(priceOf(config.prices, 'mistral-7b', 'us-east')).toBeNull();
  });

  it('defect 15.4: an invalid entry gives a clear error naming its field', () => {
    const problems = problemsOf(
      [
        'prices:',
        '  - { model: llama3.2-1b, region: us-east, inputPerMillion: -1, outputPerMillion: 0.4 }',
        '  - { model: gpt-9, region: us-east, inputPerMillion: 1, outputPerMillion: 1 }',
        '  - { model: mistral-7b, region: mars, inputPerMillion: 1, outputPerMillion: 1 }',
        '  - { model: mistral-7b, region: us-east, inputPerMillion: 1 }',
        '  - { model: qwen2.5-1.5b, region: us-east, inputPerMillion: 1, outputPerMillion: 2, currency: EUR }',
        '  - { model: llama3.2-1b, region: eu-west, inputPerMillion: 1, outputPerMillion: 1 }',
        '  - { model: llama3.2-1b, region: EU, inputPerMillion: 2, outputPerMillion: 2 }',
      ].join('\n'),
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(byPath['prices[0].inputPerMillion']).toMatch(/must be a number between 0 and/);
    expect(byPath['prices[1].model']).toMatch(/^unknown model "gpt-9"/);
    expect(byPath['prices[2].region']).toMatch(/^unknown region "mars"/);
    expect(byPath['prices[3].outputPerMillion']).toBeDefined();
    expect(Object.entries(byPath).find(([k]) => k.startsWith('prices[4]'))?.[1]).toMatch(/unknown key/);
    expect(byPath['prices[6]']).toMatch(/a second price for model "llama3.2-1b" in region "eu-west" \(also at prices\[5\]\)/);
  });

  it('defect 15.4: a call without a price or without token counts has an unknown cost, never 0', () => {
    const price = { inputPerMillion: 2, outputPerMillion: 8 };
    expect(callCost(price, 1000, 500)).toBeCloseTo(0.006, 12);
    expect(callCost(null, 1000, 500)).toBeNull();
    expect(callCost(price, null, 500)).toBeNull();
    expect(callCost(price, 0, 0)).toBe(0);
  });

  it('bounds a call before it is made: prompt bytes plus the chat template, and max_tokens', () => {
    const bound = promptTokensBound(['sys é', 'longer system'], ['q?']);
    expect(bound).toBe('longer system'.length + 2 + CHAT_TEMPLATE_TOKENS);
    expect(callCostBound({ inputPerMillion: 1, outputPerMillion: 4 }, 100, 50)).toBeCloseTo((100 + 200) / 1e6, 15);
  });
});
