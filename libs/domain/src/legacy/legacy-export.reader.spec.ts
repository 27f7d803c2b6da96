import { describe, expect, it } from '@jest/globals';
import { LegacyImportError, lenientSpec, parseLegacyDocument, parseLegacyDocuments } from './index.js';
import { legacyExecution, legacyJob } from './legacy-export.fixtures.js';

const job = legacyJob;
const execution = legacyExecution;
const problem = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    if (err instanceof LegacyImportError) return err.message;
    throw err;
  }
  throw new Error('no error');
};

describe(parseLegacyDocument.name, () => {
  it('reads an executions/all row: prompts, parameters and response from output.metadata', () => {
    const [e] = parseLegacyDocument({ job: job(), executions: [execution()] }).executions;
    expect(e).toMatchObject({
      id: 1,
      status: 'completed',
      providerId: 'p',
      modelId: 'm1',
      questionId: null,
      response: '4',
      systemPrompt: 'sys',
      userPrompt: 'What is 2 + 2?',
      parameters: { temperature: 0.1 },
    });
    expect(e!.createdAt.toISOString()).toBe('2025-09-30T15:00:01.000Z');
  });

  it('reads a GET /jobs/:id row, whose response and prompts are in the receipt and which has no created_at', () => {
    const row = execution({
      id: '12',
      output: undefined,
      created_at: undefined,
      model_id: undefined,
      provider_id: undefined,
      receipt: {
        execution_details: { provider_id: 'modal-us-east', model: 'm2' },
        output: { response: 'Paris', prompt: 'Capital?', system_prompt: 'based in US' },
      },
    });
    const [e] = parseLegacyDocument({ job: job(), executions: [row] }).executions;
    expect(e).toMatchObject({
      id: 12,
      modelId: 'm2',
      providerId: 'modal-us-east',
      response: 'Paris',
      userPrompt: 'Capital?',
      systemPrompt: 'based in US',
    });
    expect(e!.createdAt.toISOString()).toBe('2025-09-30T15:00:01.000Z');
  });

  it('reads output stored as a JSON string, Go zero times as absent and zoneless times as UTC', () => {
    const [e] = parseLegacyDocument({
      job: job(),
      executions: [
        execution({
          output: JSON.stringify({ response: 'ok' }),
          completed_at: '0001-01-01T00:00:00Z',
          started_at: '2025-09-30 15:00:03.5',
        }),
      ],
    }).executions;
    expect(e).toMatchObject({ response: 'ok', completedAt: null });
    expect(e!.startedAt!.toISOString()).toBe('2025-09-30T15:00:03.500Z');
  });

  it('takes executions as null, as an array, or as the saved {executions} body', () => {
    expect(parseLegacyDocument({ job: job(), executions: null }).executions).toEqual([]);
    expect(parseLegacyDocument({ job: job(), executions: { executions: [execution()] } }).executions).toHaveLength(1);
    expect(problem(() => parseLegacyDocument({ job: job(), executions: 'x' }))).toMatch(/^executions: must be an array/);
  });

  it('makes NUL characters and unpaired surrogates storable and keeps a __proto__ key as data', () => {
    const doc = JSON.parse(
      JSON.stringify({ job: job(), executions: [execution({ output: { response: 'a\u0000b\ud800c' } })] }).replace(
        '"region"',
        '"__proto__":{"polluted":true},"region"',
      ),
    );
    const [e] = parseLegacyDocument(doc).executions;
    expect(e!.response).toBe('a\ufffdb\ufffdc');
    expect(Object.getPrototypeOf(e!.raw)).toBe(Object.prototype);
    expect(Object.keys(e!.raw)).toContain('__proto__');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('names the field of every problem', () => {
    expect(problem(() => parseLegacyDocument([]))).toBe('(document): must be a JSON object with job and executions');
    expect(problem(() => parseLegacyDocument({ job: job({ jobspec_id: '' }), executions: [] }))).toBe(
      'job.jobspec_id: must be a non-empty string',
    );
    expect(problem(() => parseLegacyDocument({ job: job(), executions: [execution({ id: 'abc' })] }))).toBe(
      'executions[0].id: must be a non-negative integer',
    );
    expect(problem(() => parseLegacyDocument({ job: job(), executions: [execution(), execution()] }))).toBe(
      'executions[1].id: 1 appears twice',
    );
    expect(problem(() => parseLegacyDocument({ job: job(), executions: [execution({ started_at: 'yesterday' })] }))).toBe(
      'executions[0].started_at: must be an ISO timestamp, not "yesterday"',
    );
    expect(
      problem(() =>
        parseLegacyDocument({ job: job({ created_at: null }), executions: [execution({ created_at: null, started_at: null })] }),
      ),
    ).toMatch(/^executions\[0\]\.created_at: is required/);
    expect(problem(() => parseLegacyDocument({ job: job(), executions: [execution({ model_id: null, output: {} })] }))).toBe(
      'executions[0].model_id: must be a non-empty string',
    );
    expect(problem(() => parseLegacyDocument({ job: job(), executions: [execution({ job_id: 'other' })] }))).toBe(
      'executions[0].job_id: other is not the exported job legacy-7',
    );
  });
});

describe(parseLegacyDocuments.name, () => {
  it('reads one document or an array of them, naming the document of a problem', () => {
    expect(parseLegacyDocuments({ job: job(), executions: [] })).toHaveLength(1);
    expect(
      parseLegacyDocuments([
        { job: job(), executions: [] },
        { job: job({ jobspec_id: 'b' }), executions: [] },
      ]),
    ).toHaveLength(2);
    expect(
      problem(() =>
        parseLegacyDocuments([
          { job: job(), executions: [] },
          { job: job(), executions: [execution({ region: 3 })] },
        ]),
      ),
    ).toBe('[1].executions[0].region: must be a non-empty string');
    expect(problem(() => parseLegacyDocuments([]))).toMatch(/^\(document\): is an empty array/);
  });
});

describe(lenientSpec.name, () => {
  it('keeps the spec axes, hashing free-text questions into ids', () => {
    const spec = lenientSpec(parseLegacyDocument({ job: job(), executions: [] }));
    expect(spec.models.map((m) => m.id)).toEqual(['m1']);
    expect(spec.regions.map((r) => r.id)).toEqual(['us-east']);
    expect(spec.questions[0]).toMatchObject({ text: 'What is 2 + 2?', source: 'inline' });
    expect(spec.questions[0]!.id).toMatch(/^q-[0-9a-f]{12}$/);
    expect(spec.cells).toBe(1);
  });
});
