import type { NormalisedJobSpec } from '@beacon/domain';
import type { AnalysisCell } from './rates.js';
import { textSimilarity } from './text-similarity.js';

/** One cell compared between two runs. `outcome` is the label of a succeeded cell, else its state. */
export interface CellChange {
  questionId: string;
  modelId: string;
  region: string;
  /** The cell's variant; left out for the default variant. */
  variant?: string;
  replicate: number;
  a: { executionId: string; outcome: string };
  b: { executionId: string; outcome: string };
  /** Text similarity of the two responses (character 3-gram cosine), null when either has none. */
  responseSimilarity: number | null;
}

/** `beacon compare A B`: which cells changed label between two runs of the same spec. */
export interface RunComparison {
  a: string;
  b: string;
  /** What differs between the two specs (axes, repeats, prompt, parameters); empty for the same spec. */
  specDifferences: string[];
  /** Cells in both runs. */
  compared: number;
  /** Cells whose outcome differs, in question, model, region, replicate order. */
  changed: CellChange[];
  /** Cells with the same outcome whose response text differs. */
  sameLabelDifferentText: number;
  /** Cell keys only one run has: `question|model|region|replicate` (`question|model|region|variant|replicate` for a variant). */
  onlyInA: string[];
  onlyInB: string[];
}

/** The outcome of a cell: its label once succeeded ("unlabelled" without one), otherwise its state. */
export function outcomeOf(cell: Pick<AnalysisCell, 'state' | 'classification'>): string {
  return cell.state === 'succeeded' ? (cell.classification ?? 'unlabelled') : cell.state;
}

// The variant is part of the key (two languages of one question are two cells); the default one keeps the old key.
const keyOf = (c: Pick<AnalysisCell, 'questionId' | 'modelId' | 'region' | 'variant' | 'replicate'>) =>
  `${c.questionId}|${c.modelId}|${c.region}${c.variant ? `|${c.variant}` : ''}|${c.replicate}`;

/**
 * Compares two runs cell by cell on (question, model, region, variant, replicate). Where a run holds several executions of one
 * key (imported duplicates), the one with the highest id counts.
 */
export function compareRuns(
  a: { id: string; spec: unknown; cells: readonly AnalysisCell[] },
  b: { id: string; spec: unknown; cells: readonly AnalysisCell[] },
): RunComparison {
  const index = (cells: readonly AnalysisCell[]) => {
    const m = new Map<string, AnalysisCell>();
    for (const c of cells) {
      const prev = m.get(keyOf(c));
      if (!prev || BigInt(c.id) > BigInt(prev.id)) m.set(keyOf(c), c);
    }
    return m;
  };
  const ia = index(a.cells);
  const ib = index(b.cells);
  const changed: CellChange[] = [];
  let compared = 0;
  let textOnly = 0;
  for (const [k, ca] of ia) {
    const cb = ib.get(k);
    if (!cb) continue;
    compared += 1;
    const both = ca.state === 'succeeded' && cb.state === 'succeeded' && ca.response !== null && cb.response !== null;
    const similarity = both ? textSimilarity(ca.response!, cb.response!) : null;
    if (outcomeOf(ca) === outcomeOf(cb)) {
      if (similarity !== null && ca.response !== cb.response) textOnly += 1;
      continue;
    }
    changed.push({
      questionId: ca.questionId,
      modelId: ca.modelId,
      region: ca.region,
      ...(ca.variant ? { variant: ca.variant } : {}),
      replicate: ca.replicate,
      a: { executionId: ca.id, outcome: outcomeOf(ca) },
      b: { executionId: cb.id, outcome: outcomeOf(cb) },
      responseSimilarity: similarity,
    });
  }
  const order = (x: CellChange, y: CellChange) =>
    x.questionId.localeCompare(y.questionId) ||
    x.modelId.localeCompare(y.modelId) ||
    x.region.localeCompare(y.region) ||
    (x.variant ?? '').localeCompare(y.variant ?? '') ||
    x.replicate - y.replicate;
  return {
    a: a.id,
    b: b.id,
    specDifferences: specDifferences(a.spec, b.spec),
    compared,
    changed: changed.sort(order),
    sameLabelDifferentText: textOnly,
    onlyInA: [...ia.keys()].filter((k) => !ib.has(k)).sort(),
    onlyInB: [...ib.keys()].filter((k) => !ia.has(k)).sort(),
  };
}

/** What differs between two normalised specs, ignoring their ids and creation times. */
export function specDifferences(a: unknown, b: unknown): string[] {
  const sa = (a ?? {}) as Partial<NormalisedJobSpec>;
  const sb = (b ?? {}) as Partial<NormalisedJobSpec>;
  const out: string[] = [];
  const list = (name: string, x: string[], y: string[]) => {
    const onlyA = x.filter((v) => !y.includes(v));
    const onlyB = y.filter((v) => !x.includes(v));
    if (onlyA.length || onlyB.length) {
      out.push(
        `${name}: ${[onlyA.length ? `only in A ${onlyA.join(', ')}` : '', onlyB.length ? `only in B ${onlyB.join(', ')}` : ''].filter(Boolean).join('; ')}`,
      );
    }
  };
  list(
    'questions',
    (sa.questions ?? []).map((q) => q.id),
    (sb.questions ?? []).map((q) => q.id),
  );
  list(
    'models',
    (sa.models ?? []).map((m) => m.id),
    (sb.models ?? []).map((m) => m.id),
  );
  list(
    'regions',
    (sa.regions ?? []).map((r) => r.id),
    (sb.regions ?? []).map((r) => r.id),
  );
  if ((sa.repeats ?? 1) !== (sb.repeats ?? 1)) out.push(`repeats: ${sa.repeats ?? 1} vs ${sb.repeats ?? 1}`);
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  if (!same(sa.prompt, sb.prompt))
    out.push(
      `prompt: ${sa.prompt?.version ?? '?'} vs ${sb.prompt?.version ?? '?'}${sa.prompt?.version === sb.prompt?.version ? ' (same version, different template)' : ''}`,
    );
  if (!same(sa.parameters, sb.parameters))
    out.push(`parameters: ${JSON.stringify(sa.parameters ?? {})} vs ${JSON.stringify(sb.parameters ?? {})}`);
  const texts = (s: Partial<NormalisedJobSpec>) => new Map((s.questions ?? []).map((q) => [q.id, q.text]));
  const ta = texts(sa);
  const tb = texts(sb);
  const reworded = [...ta].filter(([id, t]) => tb.has(id) && tb.get(id) !== t).map(([id]) => id);
  if (reworded.length) out.push(`question text differs: ${reworded.join(', ')}`);
  return out;
}
