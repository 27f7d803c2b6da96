import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../config/config.parser.js';
import { planAxes } from '../plan/plan.js';
import { normaliseJobSpec } from './job-spec.normaliser.js';

const regionIds = Array.from({ length: 10 }, (_, i) => `region-${i}`);
const modelIds = Array.from({ length: 10 }, (_, i) => `model-${i}`);
const config = parseConfig(
  [
    'regions:',
    ...regionIds.map((id) => `  ${id}: { displayName: "Region ${id}", baseUrl: "http://127.0.0.1:9/${id}/v1" }`),
    'models:',
    ...modelIds.map((id) => `  ${id}: {}`),
  ].join('\n'),
  'large config',
);
const questions = Array.from({ length: 100 }, (_, i) => ({ id: `q${i}`, text: `Question number ${i}?` }));

describe(normaliseJobSpec.name, () => {
  it('normalises a 100 x 10 x 10 spec with inline questions', () => {
    const result = normaliseJobSpec({ questions, models: modelIds, regions: regionIds }, config);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.spec.cells).toBe(10_000);
    expect(result.spec.questions.every((q) => q.source === 'inline')).toBe(true);
  });

  it('counts repeats into the cells: 100 x 10 x 10 x 10 = 100,000', () => {
    const result = normaliseJobSpec({ questions, models: modelIds, regions: regionIds, repeats: 10 }, config);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.spec.cells).toBe(100_000);
    const axes = planAxes(result.spec);
    expect(axes.questionIds.length * axes.modelIds.length * axes.regions.length * axes.repeats).toBe(100_000);
  });
});
