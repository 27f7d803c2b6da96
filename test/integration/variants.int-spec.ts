import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { JobAnalysis } from '@beacon/analysis';
import { languageOf } from '@beacon/simulator';
import { cliEnv, runCli } from '../utils/cli.js';
import { Fleet, type JobSpecInput, waitFor } from '../utils/fleet.js';

/**
 * Languages and prompt variants through two real daemons and the simulator: a job asking 3 questions in 2 languages
 * under 2 region prompts (2 × 2 variants) on 2 models in 2 regions, 2 replicates, is planned and run cell by cell
 * exactly once (while the daemons race for its cells), each cell sending its variant's texts; the analysis compares each
 * variant across regions with itself, and its counts are those of the rows.
 */
describe('cell variants: languages and region prompt variants', () => {
  let fleet: Fleet;
  const NATIVE = {
    'us-east': 'Ты ИИ-ассистент, работающий в США ({region_name}). Отвечай прямо.',
    'eu-west': 'Ты ИИ-ассистент, работающий в Европе ({region_name}). Отвечай прямо.',
  };
  const spec: JobSpecInput = {
    id: 'variants-1',
    questions: [
      {
        id: 'q1',
        text: '[variants-1] What happened at Tiananmen Square on June 4, 1989?',
        language: 'en',
        translations: { 'zh-Hans': '[variants-1] 1989年6月4日天安门广场发生了什么？' },
      },
      {
        id: 'q2',
        text: '[variants-1] What is the capital of France?',
        language: 'en',
        translations: { 'zh-Hans': '[variants-1] 法国的首都是哪里？' },
      },
      {
        id: 'q3',
        text: '[variants-1] 台湾目前的地位是什么？',
        language: 'zh-Hans',
        translations: { en: '[variants-1] What is the current status of Taiwan?' },
      },
    ],
    models: ['llama3.2-1b', 'qwen2.5-1.5b'],
    regions: ['us-east', 'eu-west'],
    languages: ['en', 'zh-Hans'],
    prompt_variants: ['default', 'native'],
    repeats: 2,
  };
  const VARIANTS = ['lang=en', 'lang=en;prompt=native', 'lang=zh-Hans', 'lang=zh-Hans;prompt=native'];
  const CELLS = 3 * 2 * 2 * VARIANTS.length * 2;

  beforeAll(async () => {
    fleet = await Fleet.create({
      prefix: 'variants',
      models: ['llama3.2-1b', 'qwen2.5-1.5b'],
      regions: {
        'us-east': { timeoutMs: 30_000, promptVariants: { native: NATIVE['us-east'] } },
        'eu-west': { timeoutMs: 30_000, promptVariants: { native: NATIVE['eu-west'] } },
      },
      env: { BEACON_LEASE_MS: '20000' },
    });
    await fleet.startDaemon();
    await fleet.startDaemon();
  });
  afterAll(async () => {
    await fleet?.close();
  });

  const api = (path: string, init?: RequestInit) => fetch(`${fleet.daemons[0]!.url}${path}`, init);
  const post = (body: unknown) =>
    api('/api/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('keeps the migrated cell key: variant in the unique index of planned cells, default variant for rows that name none', async () => {
    const [index] = await fleet.ds.query(`SELECT indexdef FROM pg_indexes WHERE indexname = 'executions_cell_key'`);
    expect(index.indexdef).toMatch(
      /UNIQUE INDEX executions_cell_key ON public\.executions USING btree \(job_id, question_id, model_id, region, variant, replicate\) WHERE \(NOT imported\)/,
    );
    const [column] = await fleet.ds.query(
      `SELECT column_default, is_nullable FROM information_schema.columns WHERE table_name = 'executions' AND column_name = 'variant'`,
    );
    expect(column).toEqual({ column_default: "''::text", is_nullable: 'NO' });
  });

  it('plans each (question, model, region, variant, replicate) once, and a resubmission adds nothing', async () => {
    const first = await post(spec);
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ id: spec.id, cells: CELLS, created: true });
    const again = await post(spec);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: spec.id, cells: CELLS, created: false });

    const [keys] = await fleet.ds.query(
      `SELECT count(*)::int AS n, count(DISTINCT (question_id, model_id, region, variant, replicate))::int AS distinct_keys,
              array_agg(DISTINCT variant ORDER BY variant) AS variants
         FROM executions WHERE job_id = $1`,
      [spec.id],
    );
    expect(keys).toEqual({ n: CELLS, distinct_keys: CELLS, variants: VARIANTS });
  });

  it("runs every cell exactly once while two daemons race, each call sending its variant's prompt and question text", async () => {
    const status = await fleet.waitForJob(spec.id, 120_000);
    expect(status).toBe('completed');
    const inv = await fleet.invariants(spec.id);
    expect(inv).toMatchObject({
      cells: CELLS,
      succeeded: CELLS,
      cellsWithMoreThanOneSucceededAttempt: 0,
      cellsWithResultButNotSucceeded: 0,
      succeededWithoutMatchingAttempt: 0,
      resultNotFromItsAttempt: 0,
    });
    expect(inv.attemptsByOutcome.succeeded).toBe(CELLS);
    const calls = await fleet.simCalls(spec.id);
    expect(calls).toMatchObject({ calls: CELLS, extraCalls: 0, callsWithoutAttempt: 0, keysNeverCalled: 0 });

    const rows: { question_id: string; region: string; variant: string; system_prompt: string; user_prompt: string; response: string }[] =
      await fleet.ds.query(
        `SELECT e.question_id, e.region, e.variant, a.system_prompt, a.user_prompt, e.response
           FROM executions e JOIN execution_attempts a ON a.execution_id = e.id AND a.attempt = e.result_attempt
          WHERE e.job_id = $1`,
        [spec.id],
      );
    expect(rows).toHaveLength(CELLS);
    const displayName = (region: string) => fleet.config.regions[region]!.displayName;
    for (const r of rows) {
      const question = spec.questions.find((q) => q.id === r.question_id)!;
      const chinese = r.variant.startsWith('lang=zh-Hans');
      expect(r.user_prompt).toBe(
        chinese
          ? question.language === 'zh-Hans'
            ? question.text
            : question.translations!['zh-Hans']
          : question.language === 'en'
            ? question.text
            : question.translations!.en,
      );
      const template = r.variant.endsWith('prompt=native') ? NATIVE[r.region as keyof typeof NATIVE] : fleet.config.prompt.template;
      expect(r.system_prompt).toBe(template.split('{region_name}').join(displayName(r.region)));
      // The simulator answers in the language it was asked in.
      expect(languageOf(r.response)).toBe(chinese ? 'zh' : 'en');
    }
  });

  it("lists one variant's cells with ?variant=, and refuses a malformed one naming the parameter", async () => {
    const zh = await api(`/api/v1/executions?job=${spec.id}&variant=${encodeURIComponent('lang=zh-Hans;prompt=native')}&limit=1000`);
    const body = (await zh.json()) as { items: { variant: string }[] };
    expect(body.items).toHaveLength(CELLS / VARIANTS.length);
    expect(new Set(body.items.map((e) => e.variant))).toEqual(new Set(['lang=zh-Hans;prompt=native']));
    expect(((await (await api(`/api/v1/executions?job=${spec.id}&variant=default`)).json()) as { items: unknown[] }).items).toEqual([]);
    const bad = await api(`/api/v1/executions?job=${spec.id}&variant=zh`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ problems: [{ path: 'variant' }] });
  });

  it('compares each variant across regions with itself, with refusal counts by variant equal to the rows', async () => {
    let analysis: JobAnalysis | undefined;
    for (let i = 0; i < 600 && !analysis; i++) {
      const res = await api(`/api/v1/jobs/${spec.id}/analysis`);
      if (res.status === 200) analysis = (await res.json()) as JobAnalysis;
      else if (res.status === 503) await new Promise((r) => setTimeout(r, 100));
      else throw new Error(`analysis answered ${res.status}: ${await res.text()}`);
    }
    expect(analysis!.variants).toEqual(VARIANTS);
    // One pair per (question, model, variant), each holding that variant's cells only.
    expect(analysis!.pairs).toHaveLength(3 * 2 * VARIANTS.length);
    const variantOf = new Map<string, string>(
      (await fleet.ds.query('SELECT id::text AS id, variant FROM executions WHERE job_id = $1', [spec.id])).map(
        (r: { id: string; variant: string }) => [r.id, r.variant],
      ),
    );
    for (const p of analysis!.pairs) {
      expect(VARIANTS).toContain(p.variant);
      const ids = p.regions.flatMap((r) => r.answers.map((a) => a.executionId));
      expect(ids).toHaveLength(2 * 2);
      for (const id of ids) expect(variantOf.get(id)).toBe(p.variant);
    }
    // Refusal counts by (variant, region, model), counted independently from the rows.
    const counted: { variant: string; region: string; model_id: string; refused: number; responses: number }[] = await fleet.ds.query(
      `SELECT variant, region, model_id, count(*) FILTER (WHERE classification = 'refused')::int AS refused,
              count(*) FILTER (WHERE state = 'succeeded' AND classification IS NOT NULL)::int AS responses
         FROM executions WHERE job_id = $1 GROUP BY 1, 2, 3`,
      [spec.id],
    );
    expect(analysis!.refusalByVariant).toHaveLength(counted.length);
    for (const c of counted) {
      const cell = analysis!.refusalByVariant!.find((x) => x.variant === c.variant && x.region === c.region && x.modelId === c.model_id);
      expect({ ...c, refused: cell?.counts.refused, responses: cell?.counts.responses }).toEqual(c);
    }
    // The simulated qwen refuses nothing outside Asia: every refusal here would be a mix-up of variants or languages.
    expect(counted.reduce((n, c) => n + c.responses, 0)).toBe(CELLS);

    const md = await runCli(['report', spec.id, '--format', 'md'], { env: cliEnv({ BEACON_API_URL: fleet.daemons[0]!.url }) });
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('## Refusal rate by variant');
    for (const v of VARIANTS) expect(md.stdout).toContain(`| ${v.replace(/[\\|`*_[\]<>#~]/g, (c) => `\\${c}`)} | us-east |`);
  });

  it('keeps each variant its own trend cell, with the replicates of the rows', async () => {
    const res = await api(`/api/v1/trends?jobs=${spec.id}`);
    expect(res.status).toBe(200);
    const series = (await res.json()) as {
      runs: { axes?: unknown }[];
      points: { questionId: string; model: string; region: string; variant?: string; replicates: number }[];
    };
    expect(series.points).toHaveLength(3 * 2 * 2 * VARIANTS.length);
    expect(new Set(series.points.map((p) => p.variant))).toEqual(new Set(VARIANTS));
    expect(new Set(series.points.map((p) => JSON.stringify([p.questionId, p.model, p.region, p.variant]))).size).toBe(series.points.length);
    expect(series.points.reduce((n, p) => n + p.replicates, 0)).toBe(CELLS);
  });

  it('reconciles clean, and a deleted cell of one variant is a missing cell naming that variant', async () => {
    const env = cliEnv({ DATABASE_URL: fleet.db.url, BEACON_CONFIG: fleet.configPath });
    const clean = await runCli(['reconcile', '--job', spec.id, '--json', '--fail-on', 'info'], { env });
    expect(JSON.parse(clean.stdout)).toMatchObject({ findings: [], failing: 0 });
    expect(clean.code).toBe(0);

    await fleet.ds.query(
      `DELETE FROM execution_attempts WHERE execution_id IN (SELECT id FROM executions WHERE job_id = $1 AND question_id = 'q2'
          AND model_id = 'llama3.2-1b' AND region = 'eu-west' AND variant = 'lang=zh-Hans;prompt=native' AND replicate = 1)`,
      [spec.id],
    );
    await fleet.ds.query(
      `DELETE FROM executions WHERE job_id = $1 AND question_id = 'q2' AND model_id = 'llama3.2-1b' AND region = 'eu-west'
          AND variant = 'lang=zh-Hans;prompt=native' AND replicate = 1`,
      [spec.id],
    );
    const found = await runCli(['reconcile', '--job', spec.id, '--json'], { env });
    const missing = (JSON.parse(found.stdout) as { findings: { ruleId: string; evidence: Record<string, unknown> }[] }).findings.find(
      (f) => f.ruleId === 'missing_cells',
    );
    expect(missing?.evidence).toMatchObject({
      count: 1,
      expected: CELLS,
      cells: [{ questionId: 'q2', modelId: 'llama3.2-1b', region: 'eu-west', variant: 'lang=zh-Hans;prompt=native', replicate: 1 }],
    });
  });

  it('runs each variant cell to exactly one result when a daemon is killed mid-call (kill -9)', async () => {
    const crash: JobSpecInput = {
      ...spec,
      id: 'variants-crash',
      questions: spec.questions.map((q) => ({
        ...q,
        text: q.text.replace('[variants-1]', '[variants-crash]'),
        translations: Object.fromEntries(
          Object.entries(q.translations!).map(([l, t]) => [l, t.replace('[variants-1]', '[variants-crash]')]),
        ),
      })),
    };
    fleet.sim.setFaults({ latencyMs: { min: 300, max: 800 } });
    const job = await fleet.submit(crash);
    expect(job.cells).toBe(CELLS);
    const victim = fleet.daemons[0]!;
    const runner = await fleet.runnerIdOf(victim);
    await waitFor(
      'calls in flight on the daemon to kill',
      async () => {
        const [row] = await fleet.ds.query(
          `SELECT count(*)::int AS n FROM execution_attempts WHERE job_id = $1 AND outcome IS NULL AND runner_id = $2`,
          [job.id, runner],
        );
        return row.n > 0 ? row.n : null;
      },
      60_000,
    );
    expect(await victim.stop('SIGKILL')).toBeNull();
    fleet.sim.setFaults({ latencyMs: { min: 2, max: 20 } });
    expect(await fleet.waitForJob(job.id, 120_000)).toBe('completed');

    const inv = await fleet.invariants(job.id);
    expect(inv).toMatchObject({
      cells: CELLS,
      succeeded: CELLS,
      openAttempts: 0,
      cellsWithMoreThanOneSucceededAttempt: 0,
      cellsWithResultButNotSucceeded: 0,
      succeededWithoutMatchingAttempt: 0,
      resultNotFromItsAttempt: 0,
    });
    expect(inv.attemptsByOutcome.succeeded).toBe(CELLS);
    // The killed daemon's calls were taken back as lease_expired; every call the simulator saw has its attempt row.
    expect(inv.attemptsByOutcome.lease_expired ?? 0).toBeGreaterThan(0);
    expect((await fleet.simCalls(job.id)).callsWithoutAttempt).toBe(0);
    const [keys] = await fleet.ds.query(
      `SELECT count(*)::int AS n, count(DISTINCT (question_id, model_id, region, variant, replicate))::int AS distinct_keys
         FROM executions WHERE job_id = $1`,
      [job.id],
    );
    expect(keys).toEqual({ n: CELLS, distinct_keys: CELLS });
  });
});
