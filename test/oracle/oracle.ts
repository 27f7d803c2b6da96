import { createHash } from 'node:crypto';
import { classifyResponse } from '@beacon/classifier';
import {
  legacyExecutionId,
  responseText,
  rowTimes,
  DRIFTED_PROMPT,
  RESPONSES,
  type History,
  type LegacyLabel,
  type TextLabel,
} from './history.js';

/**
 * The oracle: every figure Beacon should show for a generated {@link History}, computed here from the history alone
 * (what the export says), written from the documented meaning of each figure and never by calling the product's code.
 * Only configuration data (question texts, region display names, the prompt template) comes from Beacon's defaults.
 *
 * Labels: an import labels each succeeded row with Beacon's classifier, from its response text, and no other row; the
 * export's own label is kept aside (version `imported`) and counts nowhere. So a row's label here is the pool its text
 * was drawn from (`RESPONSES`), for a succeeded row, and none otherwise; the export's label is only expected back as
 * the `imported` record. {@link checkResponsePool} (run when this module loads) makes sure the pool says what it claims.
 */

/**
 * Character 3-gram counts of a text, as the analysis documents its text similarity: NFKC, lower case, punctuation and
 * symbols as spaces, whitespace collapsed, one space of padding each side.
 */
function trigramCounts(text: string): Map<string, number> {
  const norm = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\p{P}\p{S}\s]+/gu, ' ')
    .trim();
  const counts = new Map<string, number>();
  if (norm === '') return counts;
  const chars = [...` ${norm} `];
  for (let i = 0; i + 3 <= chars.length; i++) {
    const gram = chars.slice(i, i + 3).join('');
    counts.set(gram, (counts.get(gram) ?? 0) + 1);
  }
  return counts;
}

const similarities = new Map<string, number>();
/**
 * Text similarity as documented: the cosine of two texts' 3-gram count vectors (two texts without a gram are alike,
 * one without shares nothing), computed plainly from that definition (not the product's code).
 */
export function similarityByDefinition(a: string, b: string): number {
  const key = JSON.stringify([a, b]);
  const known = similarities.get(key);
  if (known !== undefined) return known;
  const x = trigramCounts(a);
  const y = trigramCounts(b);
  let sim: number;
  if (x.size === 0 || y.size === 0) sim = x.size === y.size ? 1 : 0;
  else {
    let dot = 0;
    for (const [g, n] of x) dot += n * (y.get(g) ?? 0);
    const norm = (m: Map<string, number>) => Math.sqrt([...m.values()].reduce((sum, n) => sum + n * n, 0));
    sim = dot / (norm(x) * norm(y));
  }
  similarities.set(key, sim);
  return sim;
}

/**
 * Checks the response pool against what the oracle assumes of it, and throws naming every text that breaks it: each
 * text is labelled by Beacon's classifier (as an import calls it: the text, no finish reason) as the pool it is in, and
 * no text is in the pool twice. It also checks that the pool still reaches the similarity-gated distances: two answers,
 * and an answer and a partial answer, that share some 3-grams but are not the same text. A check of the pool, not an
 * oracle: the expected figures never call the classifier. When a classifier change breaks it, change the pool's texts.
 */
export function checkResponsePool(): void {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const label of Object.keys(RESPONSES) as TextLabel[])
    RESPONSES[label].forEach((text, i) => {
      const name = `RESPONSES.${label}[${i}] ${JSON.stringify(text)}`;
      const got = classifyResponse({ content: text, finishReason: null });
      if (got.label !== label)
        problems.push(`${name} is labelled '${got.label}' by classifier ${got.version} (rule ${got.rule}), not '${label}'`);
      if (seen.has(text)) problems.push(`${name} is also ${seen.get(text)}`);
      seen.set(text, name);
    });
  const partlyAlike = (xs: readonly string[], ys: readonly string[]) =>
    xs.some((x) => ys.some((y) => x !== y && similarityByDefinition(x, y) > 0 && similarityByDefinition(x, y) < 1));
  if (!partlyAlike(RESPONSES.answered, RESPONSES.answered)) problems.push('no two answers are partly alike');
  if (!partlyAlike(RESPONSES.answered, RESPONSES.partial)) problems.push('no answer and partial answer are partly alike');
  if (problems.length)
    throw new Error(
      `The oracle's response pool (RESPONSES in test/oracle/history.ts) no longer holds what the oracle assumes; pick ` +
        `other texts for it:\n  ${problems.join('\n  ')}`,
    );
}
checkResponsePool();

/** Configuration data the oracle needs (from `defaultConfig()`: data, not logic). */
export interface OracleConfig {
  questionText: Record<string, string>;
  category: Record<string, string>;
  regionName: Record<string, string>;
  template: string;
}

/** The documented defaults the oracle relies on. */
export const DEFAULTS = { minSuccessRate: 0.67, burstSilenceMs: 60_000, burstWindowMs: 5_000, burstMin: 5, workAfterEndGraceMs: 5_000 };
export const BATCH = '(batch)';
/** Beacon's labels (an import gives only those a text alone can get: {@link TextLabel}). */
type Label = TextLabel | 'filtered';

/** One execution as Beacon should store it. */
export interface StoredRow {
  i: number;
  legacyId: string;
  q: string;
  batch: boolean;
  m: string;
  r: string;
  state: 'succeeded' | 'failed' | 'cancelled';
  response: string;
  /** Beacon's label: the text's pool label for a succeeded row, none for the others. */
  classification: TextLabel | null;
  /** The export's `response_classification`, kept as a `classifications` row of version `imported`. */
  legacyClassification: LegacyLabel;
  created: number;
  started: number;
  finished: number;
  system: string;
  user: string;
}

export function renderPrompt(cfg: OracleConfig, region: string): string {
  return cfg.template.split('{region_name}').join(cfg.regionName[region] ?? region);
}

const STATE: Record<string, StoredRow['state']> = { completed: 'succeeded', cancelled: 'cancelled' };

export function storedRows(h: History, cfg: OracleConfig): StoredRow[] {
  return h.rows.map((row, i) => {
    const t = rowTimes(row);
    const q = row.cell.q ?? BATCH;
    const inSpec = row.cell.q !== null && h.questions.includes(row.cell.q);
    const state = STATE[row.status] ?? 'failed';
    return {
      i,
      legacyId: String(legacyExecutionId(i)),
      q,
      batch: row.cell.q === null,
      m: row.cell.m,
      r: row.cell.r,
      state,
      response: responseText(row),
      classification: state === 'succeeded' ? row.kind : null,
      legacyClassification: row.legacyLabel,
      created: t.created,
      started: t.started,
      finished: t.completed ?? t.started,
      system: row.prompt === 'template' ? renderPrompt(cfg, row.cell.r) : row.prompt === 'drifted' ? DRIFTED_PROMPT : '',
      user: inSpec ? (cfg.questionText[q] ?? '') : '',
    };
  });
}

/**
 * Each execution's labels after the import, by legacy id: Beacon's current label (`executions.classification`), the
 * label records of Beacon's classifier, and those of version `imported` (the export's own label, when it had one).
 */
export function expectedLabels(
  h: History,
  cfg: OracleConfig,
): Record<string, { classification: TextLabel | null; beacon: string[]; imported: string[] }> {
  return Object.fromEntries(
    storedRows(h, cfg).map((r) => [
      r.legacyId,
      {
        classification: r.classification,
        beacon: r.classification === null ? [] : [r.classification],
        imported: r.legacyClassification === null ? [] : [r.legacyClassification],
      },
    ]),
  );
}

const numeric = (ids: Iterable<string>) => [...ids].sort((a, b) => Number(a) - Number(b));
const cellKey = (q: string, m: string, r: string) => JSON.stringify([q, m, r, 0]);
const groupBy = <T>(xs: readonly T[], key: (x: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const x of xs) out.set(key(x), [...(out.get(key(x)) ?? []), x]);
  return out;
};
const distinct = <T>(xs: readonly T[]) => new Set(xs).size;

/** An expected finding: its fingerprint, rule, and the evidence fields checked (see `projectFinding`). */
export interface ExpectedFinding {
  fingerprint: string;
  ruleId: string;
  evidence: Record<string, unknown>;
}

/** Job status words as Beacon maps the Go runner's (anything else is failed). */
export function storedJobStatus(h: History): 'completed' | 'failed' | 'cancelled' {
  return h.status === 'completed' || h.status === 'cancelled' ? h.status : 'failed';
}

/** Every reconciler finding the history must produce. `idOf` maps a legacy execution id to Beacon's execution id. */
export function expectedFindings(h: History, jobId: string, cfg: OracleConfig, idOf: (legacyId: string) => string): ExpectedFinding[] {
  const rows = storedRows(h, cfg);
  const out: ExpectedFinding[] = [];
  const push = (ruleId: string, fingerprint: string, evidence: Record<string, unknown> = {}) => out.push({ ruleId, fingerprint, evidence });
  const jobEnd = Date.parse('2025-10-01T10:00:00Z') + h.jobEndS * 1000;
  const jobStart = Date.parse('2025-10-01T10:00:00Z');

  // missing_cells: the spec's cells minus the stored keys (a batch row holds every spec question of its model and region).
  const covered = new Set<string>();
  for (const r of rows) for (const q of r.batch ? h.questions : [r.q]) covered.add(cellKey(q, r.m, r.r));
  const spec = h.questions.flatMap((q) => h.models.flatMap((m) => h.regions.map((r) => cellKey(q, m, r))));
  const missing = spec.filter((k) => !covered.has(k)).sort();
  if (missing.length) push('missing_cells', `missing_cells:${jobId}`, { cells: missing, count: missing.length, expected: spec.length });

  // out_of_spec: stored rows whose question (a batch row's counts as listed), model or region the spec does not list.
  const qOk = (r: StoredRow) => r.batch || h.questions.includes(r.q);
  const mOk = (r: StoredRow) => h.models.includes(r.m);
  const rOk = (r: StoredRow) => h.regions.includes(r.r);
  const outside = rows.filter((r) => !(qOk(r) && mOk(r) && rOk(r)));
  if (outside.length) {
    const cells = [...new Set(outside.map((r) => cellKey(r.q, r.m, r.r)))].sort();
    push('out_of_spec', `out_of_spec:${jobId}`, {
      executionIds: numeric(outside.map((r) => r.legacyId)),
      count: outside.length,
      cells,
      cellCount: cells.length,
      questions: [...new Set(outside.filter((r) => !qOk(r)).map((r) => r.q))].sort(),
      models: [...new Set(outside.filter((r) => !mOk(r)).map((r) => r.m))].sort(),
      regions: [...new Set(outside.filter((r) => !rOk(r)).map((r) => r.r))].sort(),
      badReplicates: 0,
    });
  }

  // duplicate_cell and prompt_drift (cell): several rows of one key.
  for (const [, group] of groupBy(rows, (r) => cellKey(r.q, r.m, r.r))) {
    if (group.length < 2) continue;
    const { q, m, r } = group[0]!;
    push('duplicate_cell', `duplicate_cell:${jobId}:${q}:${m}:${r}:0`, {
      executionIds: numeric(group.map((x) => x.legacyId)),
      count: group.length,
      responsesDiffer: distinct(group.map((x) => x.response)) > 1,
      classificationsDiffer: distinct(group.map((x) => x.classification ?? '')) > 1,
    });
    const prompts = distinct(group.map((x) => JSON.stringify([x.system, x.user])));
    if (prompts > 1)
      push('prompt_drift', `prompt_drift:cell:${jobId}:${q}:${m}:${r}:0`, {
        executionIds: numeric(group.map((x) => x.legacyId)),
        distinctHashes: prompts,
      });
  }
  // prompt_drift (template): a spec region where some row sent a system prompt other than the region's rendering.
  for (const region of h.regions)
    if (rows.some((r) => r.r === region && r.system !== renderPrompt(cfg, region)))
      push('prompt_drift', `prompt_drift:template:${jobId}:${region}`);

  // impossible_times: ends before it starts, or starts before it was created (the export's times, kept as they are).
  for (const r of rows)
    if (r.finished < r.started || r.started < r.created) push('impossible_times', `impossible_times:execution:${idOf(r.legacyId)}`);
  if (jobEnd < jobStart) push('impossible_times', `impossible_times:job:${jobId}`);

  // batch_mode.
  const batch = rows.filter((r) => r.batch);
  if (batch.length)
    push('batch_mode', `batch_mode:${jobId}`, {
      executionIds: numeric(batch.map((r) => r.legacyId)),
      count: batch.length,
      specQuestions: h.questions.length,
    });

  // retry_burst_after_silence (imported): after ≥ 60 s without a start, ≥ 5 starts within 5 s.
  const starts = [...rows].sort((a, b) => a.started - b.started || a.i - b.i);
  starts.forEach((g, k) => {
    if (k === 0 || g.started - starts[k - 1]!.started < DEFAULTS.burstSilenceMs) return;
    const burst = starts.filter((x) => x.started >= g.started && x.started < g.started + DEFAULTS.burstWindowMs);
    if (burst.length < DEFAULTS.burstMin) return;
    push('retry_burst_after_silence', `retry_burst_after_silence:${jobId}:${new Date(g.started).toISOString()}`, {
      executionIds: numeric(burst.map((x) => x.legacyId)),
      burst: burst.length,
      before: k,
      silenceMs: g.started - starts[k - 1]!.started,
    });
  });

  // identical_responses: one model, one (long enough) succeeded text, several questions.
  for (const [, group] of groupBy(
    rows.filter((r) => r.state === 'succeeded' && r.response.length >= 20),
    (r) => `${r.m}\u0000${r.response}`,
  )) {
    const questions = distinct(group.map((r) => r.q));
    if (questions < 2) continue;
    const md5 = createHash('md5').update(group[0]!.response).digest('hex');
    push('identical_responses', `identical_responses:${jobId}:${group[0]!.m}:${md5}`, {
      executionIds: numeric(group.map((r) => idOf(r.legacyId))),
      count: group.length,
      questions,
    });
  }

  // region_failing_wholesale: ≥ 3 decided cells, ≤ 10 % succeeded, while the other regions succeed ≥ 50 %.
  const decided = rows.filter((r) => r.state !== 'cancelled');
  for (const [region, group] of groupBy(decided, (r) => r.r)) {
    const ok = group.filter((r) => r.state === 'succeeded').length;
    const others = decided.filter((r) => r.r !== region);
    const othersOk = others.filter((r) => r.state === 'succeeded').length;
    if (group.length >= 3 && ok / group.length <= 0.1 && others.length > 0 && othersOk / others.length >= 0.5)
      push('region_failing_wholesale', `region_failing_wholesale:${jobId}:${region}`, {
        executionIds: numeric(group.filter((r) => r.state === 'failed').map((r) => idOf(r.legacyId))),
        failed: group.length - ok,
        succeeded: ok,
        othersSucceeded: othersOk,
        othersFinished: others.length,
      });
  }

  // job_status_inconsistent: the stored status against what the cells say (enough successes, in enough regions).
  const succeeded = rows.filter((r) => r.state === 'succeeded');
  const failed = rows.filter((r) => r.state === 'failed').length;
  const rate = succeeded.length + failed === 0 ? 0 : succeeded.length / (succeeded.length + failed);
  const enough = succeeded.length > 0 && rate >= DEFAULTS.minSuccessRate && distinct(succeeded.map((r) => r.r)) >= h.minRegions;
  const should = !enough ? 'failed' : failed === 0 ? 'completed' : 'partially_completed';
  if (should !== storedJobStatus(h))
    push('job_status_inconsistent', `job_status_inconsistent:${jobId}`, { status: storedJobStatus(h), expected: should });

  // work_after_job_end: calls that started more than 5 s after the job's end.
  const late = rows.filter((r) => r.started > jobEnd + DEFAULTS.workAfterEndGraceMs);
  if (late.length)
    push('work_after_job_end', `work_after_job_end:${jobId}`, {
      executionIds: numeric(late.map((r) => idOf(r.legacyId))),
      count: late.length,
    });

  return out.sort((a, b) => a.fingerprint.localeCompare(b.fingerprint));
}

/** The fields of a product finding that the oracle predicts, in the oracle's order (ids as sorted text, cells as keys). */
export function projectFinding(f: { ruleId: string; fingerprint: string; evidence: Record<string, unknown> }): ExpectedFinding {
  const e = f.evidence;
  const ids = (v: unknown) => numeric((v as unknown[]).map(String));
  const cells = (v: unknown) =>
    (v as { questionId: string; modelId: string; region: string; replicate: number }[])
      .map((c) => JSON.stringify([c.questionId, c.modelId, c.region, c.replicate]))
      .sort();
  const pick = (...keys: string[]) => Object.fromEntries(keys.map((k) => [k, e[k]]));
  const sorted = (v: unknown) => [...(v as string[])].sort();
  let evidence: Record<string, unknown>;
  switch (f.ruleId) {
    case 'missing_cells':
      evidence = { cells: cells(e.cells), ...pick('count', 'expected') };
      break;
    case 'out_of_spec':
      evidence = {
        executionIds: ids(e.executionIds),
        count: e.count,
        cells: cells(e.cells),
        cellCount: e.cellCount,
        questions: sorted(e.questions),
        models: sorted(e.models),
        regions: sorted(e.regions),
        badReplicates: e.badReplicates,
      };
      break;
    case 'duplicate_cell':
      evidence = { executionIds: ids(e.executionIds), ...pick('count', 'responsesDiffer', 'classificationsDiffer') };
      break;
    case 'prompt_drift':
      evidence = f.fingerprint.startsWith('prompt_drift:cell:')
        ? { executionIds: ids(e.executionIds), distinctHashes: e.distinctHashes }
        : {};
      break;
    case 'batch_mode':
      evidence = { executionIds: ids(e.executionIds), ...pick('count', 'specQuestions') };
      break;
    case 'retry_burst_after_silence':
      evidence = { executionIds: ids(e.executionIds), ...pick('burst', 'before', 'silenceMs') };
      break;
    case 'identical_responses':
      evidence = { executionIds: ids(e.executionIds), ...pick('count', 'questions') };
      break;
    case 'region_failing_wholesale':
      evidence = { executionIds: ids(e.executionIds), ...pick('failed', 'succeeded', 'othersSucceeded', 'othersFinished') };
      break;
    case 'job_status_inconsistent':
      evidence = pick('status', 'expected');
      break;
    case 'work_after_job_end':
      evidence = { executionIds: ids(e.executionIds), count: e.count };
      break;
    default:
      evidence = {};
  }
  return { ruleId: f.ruleId, fingerprint: f.fingerprint, evidence };
}

// ---- Analysis ----

/**
 * The 95 % Wilson score interval found as what it is defined to be, the set of p with (p̂ − p)² ≤ z² p (1 − p) / n,
 * by bisection on each side of p̂ (not the closed form the product uses).
 */
export function wilsonByDefinition(k: number, n: number): { rate: number | null; low: number | null; high: number | null } {
  if (n === 0) return { rate: null, low: null, high: null };
  const z = 1.959963984540054;
  const p = k / n;
  const inside = (x: number) => (p - x) ** 2 <= (z * z * x * (1 - x)) / n;
  const edge = (outer: number) => {
    if (inside(outer)) return outer;
    let a = outer; // outside
    let b = p; // inside
    for (let i = 0; i < 200; i++) {
      const mid = (a + b) / 2;
      if (inside(mid)) b = mid;
      else a = mid;
    }
    return (a + b) / 2;
  };
  return { rate: p, low: edge(0), high: edge(1) };
}

/** A row's label as the analysis counts it: a succeeded row's (every one has one after an import), none otherwise. */
const labelOf = (r: StoredRow): Label | null => (r.state === 'succeeded' ? r.classification : null);

/**
 * Distance of two labelled responses: 1 for different labels, except an answer against a partial answer, half way plus
 * half the text distance; 0 for two refusals (or two empty or filtered responses); 1 − similarity for two answers or two
 * partial answers.
 */
function distance(a: { label: Label; text: string }, b: { label: Label; text: string }): number {
  const sim = similarityByDefinition(a.text, b.text);
  const substantive = (l: Label) => l === 'answered' || l === 'partial';
  if (a.label !== b.label) return substantive(a.label) && substantive(b.label) ? 0.5 + 0.5 * (1 - sim) : 1;
  return substantive(a.label) ? 1 - sim : 0;
}

export interface ExpectedAnalysis {
  summary: { cellsExpected: number; cells: number; responses: number; noResponse: number; refusal: ReturnType<typeof wilsonByDefinition> };
  /** `region|model` → refused of responses, with the interval. */
  refusalMatrix: Record<
    string,
    { refused: number; responses: number; noResponse: number; rate: number | null; low: number | null; high: number | null }
  >;
  /** `question|model` → per-region refusal counts, the spread, divergence and label agreement. */
  pairs: Record<
    string,
    { refused: Record<string, string>; refusalSpread: number; divergence: number | null; labelAgreement: number | null }
  >;
  /** Cell checks of the data-quality notes: ruleId → count. */
  cellNotes: Record<string, number>;
}

export function expectedAnalysis(h: History, cfg: OracleConfig): ExpectedAnalysis {
  const rows = storedRows(h, cfg);
  const union = (a: readonly string[], b: readonly string[]) => [...new Set([...a, ...b])];
  const regions = union(
    h.regions,
    rows.map((r) => r.r),
  );
  const models = union(
    h.models,
    rows.map((r) => r.m),
  );
  const questions = union(
    h.questions,
    rows.map((r) => r.q),
  );
  const responses = rows.filter((r) => labelOf(r) !== null);
  const refusedOf = (xs: StoredRow[]) => xs.filter((r) => labelOf(r) === 'refused').length;

  const refusalMatrix: ExpectedAnalysis['refusalMatrix'] = {};
  for (const r of regions)
    for (const m of models) {
      const cells = rows.filter((x) => x.r === r && x.m === m);
      const resp = cells.filter((x) => labelOf(x) !== null);
      refusalMatrix[`${r}|${m}`] = {
        refused: refusedOf(resp),
        responses: resp.length,
        noResponse: cells.length - resp.length,
        ...wilsonByDefinition(refusedOf(resp), resp.length),
      };
    }

  const pairs: ExpectedAnalysis['pairs'] = {};
  for (const q of questions)
    for (const m of models) {
      const cells = rows.filter((x) => x.q === q && x.m === m);
      if (!cells.length) continue;
      const groups = regions.map((r) =>
        cells.filter((x) => x.r === r && labelOf(x) !== null).map((x) => ({ label: labelOf(x)!, text: x.response, r })),
      );
      const rates = groups.filter((g) => g.length).map((g) => g.filter((x) => x.label === 'refused').length / g.length);
      const present = groups.filter((g) => g.length);
      let sum = 0;
      let n = 0;
      let agree = 0;
      let between = 0;
      for (let a = 0; a < present.length; a++)
        for (let b = a + 1; b < present.length; b++) {
          let d = 0;
          for (const x of present[a]!)
            for (const y of present[b]!) {
              d += distance(x, y);
              if (x.label === y.label) agree += 1;
              between += 1;
            }
          sum += d / (present[a]!.length * present[b]!.length);
          n += 1;
        }
      const refused: Record<string, string> = {};
      regions.forEach((r, k) => {
        refused[r] = `${groups[k]!.filter((x) => x.label === 'refused').length}/${groups[k]!.length}`;
      });
      pairs[`${q}|${m}`] = {
        refused,
        refusalSpread: rates.length >= 2 ? Math.max(...rates) - Math.min(...rates) : 0,
        divergence: present.length >= 2 ? sum / n : null,
        labelAgreement: between ? agree / between : null,
      };
    }

  // The analysis' own cell checks: a planned key without a row of that very key (a batch row is not a question's answer).
  const keys = groupBy(rows, (r) => cellKey(r.q, r.m, r.r));
  const cellNotes: Record<string, number> = {};
  const note = (id: string, n: number) => {
    if (n > 0) cellNotes[id] = n;
  };
  note('missing_cells', h.questions.flatMap((q) => h.models.flatMap((m) => h.regions.filter((r) => !keys.has(cellKey(q, m, r))))).length);
  note('duplicate_cells', [...keys.values()].filter((g) => g.length > 1).length);
  note('failed_cells', rows.filter((r) => r.state === 'failed').length);
  note('cancelled_cells', rows.filter((r) => r.state === 'cancelled').length);
  note('unlabelled_cells', rows.filter((r) => r.state === 'succeeded' && labelOf(r) === null).length);

  return {
    summary: {
      cellsExpected: Math.max(1, h.questions.length * h.models.length * h.regions.length),
      cells: rows.length,
      responses: responses.length,
      noResponse: rows.length - responses.length,
      refusal: wilsonByDefinition(refusedOf(responses), responses.length),
    },
    refusalMatrix,
    pairs,
    cellNotes,
  };
}

// ---- API counts ----

export interface ExpectedApi {
  status: string;
  cells: { expected: number; actual: number; byState: Record<string, number> };
  findings: { open: number; duplicates: number };
}

export function expectedApi(h: History, cfg: OracleConfig, findings: readonly ExpectedFinding[]): ExpectedApi {
  const rows = storedRows(h, cfg);
  const byState: Record<string, number> = {};
  for (const r of rows) byState[r.state] = (byState[r.state] ?? 0) + 1;
  return {
    status: storedJobStatus(h),
    cells: { expected: Math.max(1, h.questions.length * h.models.length * h.regions.length), actual: rows.length, byState },
    findings: {
      open: findings.length,
      duplicates: findings.filter((f) => f.ruleId === 'duplicate_cell').reduce((n, f) => n + (f.evidence.count as number) - 1, 0),
    },
  };
}
