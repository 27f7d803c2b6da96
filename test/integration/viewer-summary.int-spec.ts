import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SchedulerRegistry } from '@nestjs/schedule';
import { wilson } from '@beacon/analysis';
import { startTestRunner, type TestRunner } from '../utils/runner-harness.js';

const STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const LABELS = ['answered', 'partial', 'refused', 'empty', 'filtered'] as const;

interface Replicate {
  state: (typeof STATES)[number];
  label: (typeof LABELS)[number] | null | 'odd';
}

const replicate = fc.record({
  // Mostly succeeded, so most pairs are compared.
  state: fc.constantFrom<Replicate['state']>('succeeded', 'succeeded', 'succeeded', ...STATES),
  label: fc.constantFrom<Replicate['label']>(...LABELS, ...LABELS, null, 'odd'),
});

/** A job: questions (some of them controls) × models × variants × regions, each group 0–3 replicates. */
const history = fc.record({
  questions: fc.integer({ min: 1, max: 6 }),
  controls: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
  models: fc.integer({ min: 1, max: 2 }),
  variants: fc.integer({ min: 1, max: 2 }),
  regions: fc.integer({ min: 1, max: 3 }),
  groups: fc.array(fc.array(replicate, { maxLength: 3 }), { minLength: 37, maxLength: 37 }),
  findings: fc.array(fc.record({ severity: fc.constantFrom('info', 'warning', 'critical'), resolved: fc.boolean() }), { maxLength: 4 }),
  pageSize: fc.integer({ min: 1, max: 5 }),
});

type History = typeof history extends fc.Arbitrary<infer T> ? T : never;

let seq = 0;
const labelled = (r: Replicate): r is Replicate & { label: (typeof LABELS)[number] } =>
  r.state === 'succeeded' && r.label !== null && r.label !== 'odd';

describe('GET /api/v1/jobs/:id/summary', () => {
  let runner: TestRunner;
  beforeAll(async () => {
    runner = await startTestRunner();
    // The findings are the test's own: the daemon's scheduled reconciler pass (every 30 s) would open more on the
    // planted histories (a running cell without a lease is `stuck_running`, critical) and change the counts compared.
    await runner.app.get(SchedulerRegistry).getCronJob('beacon-reconcile').stop();
  });
  afterAll(async () => runner?.close());

  async function plant(h: History) {
    const id = `summary-${++seq}`;
    const questions = Array.from({ length: h.questions }, (_, i) => ({ id: `q${i}`, control: h.controls[i]! }));
    const models = Array.from({ length: h.models }, (_, i) => `m${i}`);
    const variants = Array.from({ length: h.variants }, (_, i) => (i === 0 ? '' : `v${i}`));
    const regions = Array.from({ length: h.regions }, (_, i) => `r${i}`);
    const spec = {
      id,
      questions: questions.map((q) => ({ id: q.id, text: q.id, category: q.control ? 'Control' : 'politics', source: 'inline' })),
      models: models.map((m) => ({ id: m, name: m })),
      regions: regions.map((r) => ({ id: r, displayName: r })),
      repeats: 3,
    };
    await runner.ds.query(
      `INSERT INTO jobs (id, format, spec_received, spec_hash, spec, cells_expected) VALUES ($1, 'beacon', '{}', 'x', $2, 1)`,
      [id, JSON.stringify(spec)],
    );
    const cells: { q: string; m: string; v: string; r: string; rep: Replicate }[] = [];
    let g = 0;
    for (const q of questions)
      for (const m of models)
        for (const v of variants)
          for (const r of regions) for (const rep of h.groups[g++ % h.groups.length]!) cells.push({ q: q.id, m, v, r, rep });
    await runner.ds.query(
      `INSERT INTO executions (job_id, question_id, model_id, variant, region, replicate, state, trace_id, classification,
                               result_attempt, finished_at, lease_owner, lease_token, lease_expires_at)
       SELECT $1, c->>'q', c->>'m', c->>'v', c->>'r', (c->>'k')::int, c->>'s', md5($1 || (c->>'i')), c->>'l',
              CASE WHEN c->>'s' = 'succeeded' THEN 1 END,
              CASE WHEN c->>'s' IN ('succeeded','failed','cancelled') THEN now() END,
              CASE WHEN c->>'s' = 'running' THEN 'r' END, CASE WHEN c->>'s' = 'running' THEN gen_random_uuid() END,
              CASE WHEN c->>'s' = 'running' THEN now() + interval '1 hour' END
         FROM jsonb_array_elements($2::jsonb) c`,
      [
        id,
        JSON.stringify(
          cells.map((c, i) => ({
            i: String(i),
            q: c.q,
            m: c.m,
            v: c.v,
            r: c.r,
            // Replicates are numbered within their group.
            k: cells.slice(0, i).filter((o) => o.q === c.q && o.m === c.m && o.v === c.v && o.r === c.r).length,
            s: c.rep.state,
            l: c.rep.state === 'succeeded' && c.rep.label !== null ? c.rep.label : null,
          })),
        ),
      ],
    );
    for (const [i, f] of h.findings.entries())
      await runner.ds.query(
        `INSERT INTO reconciler_findings (rule_id, severity, fingerprint, job_id, summary, resolved_at)
         VALUES ('test-rule', $1, $2, $3, 'planted', CASE WHEN $4::boolean THEN now() END)`,
        [f.severity, `${id}-${i}`, id, f.resolved],
      );
    return { id, questions, models, regions, cells };
  }

  it('states refusal rates, label divergence with its noise floor, and open findings as the rows say', async () => {
    await fc.assert(
      fc.asyncProperty(history, async (h) => {
        const job = await plant(h);
        const items: any[] = [];
        let first: any;
        for (let offset = 0; ; offset += h.pageSize) {
          const res = await fetch(`${runner.baseUrl}/api/v1/jobs/${job.id}/summary?offset=${offset}&limit=${h.pageSize}`);
          expect(res.status).toBe(200);
          const body = (await res.json()) as any;
          first ??= body;
          expect(body.divergence.total).toBe(first.divergence.total);
          items.push(...body.divergence.items);
          if (body.divergence.items.length < h.pageSize) break;
        }

        // Refusals, independently: every (model, region) with a cell, refused over labelled responses.
        const refusalKeys = [...new Set(job.cells.map((c) => `${c.m}|${c.r}`))];
        const expectedRefusals = job.models.flatMap((m) =>
          job.regions
            .filter((r) => refusalKeys.includes(`${m}|${r}`))
            .map((r) => {
              const mine = job.cells.filter((c) => c.m === m && c.r === r);
              const responses = mine.filter((c) => labelled(c.rep));
              const refused = responses.filter((c) => c.rep.label === 'refused').length;
              const partial = responses.filter((c) => c.rep.label === 'partial').length;
              return {
                modelId: m,
                region: r,
                cells: mine.length,
                responses: responses.length,
                refusal: wilson(refused, responses.length),
                refusalOrPartial: wilson(refused + partial, responses.length),
              };
            }),
        );
        expect(first.refusals).toEqual(expectedRefusals);

        // Divergence, independently: every two responses of two different regions, compared one by one.
        type Pair = {
          questionId: string;
          modelId: string;
          variant: string;
          isControl: boolean;
          responses: number;
          refused: number;
          pairs: number;
          agreeing: number;
          disagreement: number | null;
        };
        const byPair = new Map<string, typeof job.cells>();
        for (const c of job.cells.filter((x) => labelled(x.rep))) {
          const k = JSON.stringify([c.q, c.m, c.v]);
          byPair.set(k, [...(byPair.get(k) ?? []), c]);
        }
        const expected: Pair[] = [...byPair].map(([k, list]) => {
          const [q, m, v] = JSON.parse(k) as string[];
          let pairs = 0;
          let agreeing = 0;
          for (let a = 0; a < list.length; a++)
            for (let b = a + 1; b < list.length; b++)
              if (list[a]!.r !== list[b]!.r) {
                pairs++;
                if (list[a]!.rep.label === list[b]!.rep.label) agreeing++;
              }
          const isControl = job.questions.find((x) => x.id === q)!.control;
          return {
            questionId: q!,
            modelId: m!,
            variant: v!,
            isControl,
            responses: list.length,
            refused: list.filter((c) => c.rep.label === 'refused').length,
            pairs,
            agreeing,
            disagreement: pairs ? 1 - agreeing / pairs : null,
          };
        });
        const floorOf = (list: Pair[]) => {
          const d = list.filter((p) => p.isControl && p.disagreement !== null).map((p) => p.disagreement!);
          return d.length ? Math.max(...d) : null;
        };
        const key = (p: { questionId: string; modelId: string; variant: string }) => JSON.stringify([p.questionId, p.modelId, p.variant]);
        expect(items.map(key).sort()).toEqual(expected.map(key).sort());
        const shown = new Map(items.map((p) => [key(p), p]));
        let aboveNoise = 0;
        for (const p of expected) {
          const floor =
            floorOf(expected.filter((o) => o.variant === p.variant && o.modelId === p.modelId)) ??
            floorOf(expected.filter((o) => o.variant === p.variant));
          const above = p.disagreement === null || floor === null ? null : p.disagreement > floor + 1e-9;
          if (above && !p.isControl) aboveNoise++;
          const s = shown.get(key(p));
          expect({ ...s, disagreement: undefined, noiseFloor: undefined }).toMatchObject({
            ...p,
            disagreement: undefined,
            aboveNoise: above,
          });
          if (p.disagreement === null) expect(s.disagreement).toBeNull();
          else expect(s.disagreement).toBeCloseTo(p.disagreement, 12);
          if (floor === null) expect(s.noiseFloor).toBeNull();
          else expect(s.noiseFloor).toBeCloseTo(floor, 12);
        }
        // Most divergent first, the pairs no two regions answered last; among equally divergent pairs the most refused.
        const ds = items.map((p) => (p.disagreement === null ? -1 : p.disagreement));
        expect(ds).toEqual([...ds].sort((a, b) => b - a));
        const share = (p: { refused: number; responses: number }) => (p.responses ? p.refused / p.responses : -1);
        for (let i = 1; i < items.length; i++)
          if (ds[i] === ds[i - 1]) expect(share(items[i])).toBeLessThanOrEqual(share(items[i - 1]) + 1e-12);
        expect(first.divergence).toMatchObject({
          total: expected.length,
          compared: expected.filter((p) => p.disagreement !== null).length,
          aboveNoise,
        });
        const overall = floorOf(expected);
        if (overall === null) expect(first.divergence.noiseFloor.overall).toBeNull();
        else expect(first.divergence.noiseFloor.overall).toBeCloseTo(overall, 12);

        const open = h.findings.filter((f) => !f.resolved);
        expect(first.findings).toEqual({
          open: open.length,
          bySeverity: Object.fromEntries(['info', 'warning', 'critical'].map((s) => [s, open.filter((f) => f.severity === s).length])),
        });
      }),
      { numRuns: 25 },
    );
  });

  it("answers a finished job's summary again from its rows once a label or a finding changed", async () => {
    const job = await plant({
      questions: 1,
      controls: [false, false, false, false, false, false],
      models: 1,
      variants: 1,
      regions: 2,
      groups: [[{ state: 'succeeded', label: 'answered' }]],
      findings: [],
      pageSize: 1,
    });
    await runner.ds.query(`UPDATE jobs SET status = 'completed', finished_at = now() WHERE id = $1`, [job.id]);
    const summary = async () => (await (await fetch(`${runner.baseUrl}/api/v1/jobs/${job.id}/summary`)).json()) as any;
    expect((await summary()).divergence.items[0].disagreement).toBe(0);
    expect((await summary()).divergence.items[0].disagreement).toBe(0);
    await runner.ds.query(`UPDATE executions SET classification = 'refused' WHERE job_id = $1 AND region = 'r1'`, [job.id]);
    const after = await summary();
    expect(after.divergence.items[0].disagreement).toBe(1);
    expect(after.refusals.find((r: any) => r.region === 'r1').refusal.count).toBe(1);
    await runner.ds.query(
      `INSERT INTO reconciler_findings (rule_id, severity, fingerprint, job_id, summary) VALUES ('test-rule', 'critical', $1, $2, 'planted')`,
      [`${job.id}-late`, job.id],
    );
    expect((await summary()).findings).toEqual({ open: 1, bySeverity: { info: 0, warning: 0, critical: 1 } });
  });

  it('refuses bad paging with the parameter named, and an unknown job with 404', async () => {
    for (const [q, param] of [
      ['limit=0', 'limit'],
      ['limit=501', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=x', 'offset'],
      ['top=2', 'top'],
    ]) {
      const res = await fetch(`${runner.baseUrl}/api/v1/jobs/summary-1/summary?${q}`);
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error).toBe('invalid_parameter');
      expect(body.problems.map((p: any) => p.path)).toContain(param);
    }
    expect((await fetch(`${runner.baseUrl}/api/v1/jobs/no-such-job/summary`)).status).toBe(404);
  });
});
