import type { JobAnalysis } from '../analysis.types.js';

const HEADER = [
  'job_id',
  'question_id',
  'category',
  'model',
  'region',
  'responses',
  'answered',
  'partial',
  'refused',
  'empty',
  'filtered',
  'no_response',
  'refusal_rate',
  'refusal_low',
  'refusal_high',
  'majority',
  'pair_divergence',
  'band_low',
  'band_high',
  'noise_floor',
  'exceeds_noise',
  'answer',
];

/**
 * One row per (question, variant, model, region) (`variant` empty for the default): label counts, refusal rate with its interval, the pair's divergence, and the
 * first replicate's answer. RFC 4180 quoting; text that a spreadsheet would run as a formula is prefixed with `'`.
 */
export function renderCsv(a: JobAnalysis): string {
  // The variant column only for a job with variants, so the CSV of every other job keeps its columns.
  const withVariant = a.variants !== undefined;
  const rows: Cell[][] = [withVariant ? [...HEADER.slice(0, 3), 'variant', ...HEADER.slice(3)] : HEADER];
  const ordered = [...a.pairs].sort(
    (x, y) =>
      qIndex(a, x.questionId) - qIndex(a, y.questionId) ||
      (a.variants ?? ['']).indexOf(x.variant ?? '') - (a.variants ?? ['']).indexOf(y.variant ?? '') ||
      a.models.indexOf(x.modelId) - a.models.indexOf(y.modelId),
  );
  for (const p of ordered) {
    for (const r of p.regions) {
      rows.push([
        a.jobId,
        p.questionId,
        p.category ?? '',
        ...(withVariant ? [p.variant ?? ''] : []),
        p.modelId,
        r.region,
        r.counts.responses,
        r.counts.answered,
        r.counts.partial,
        r.counts.refused,
        r.counts.empty,
        r.counts.filtered,
        r.counts.noResponse,
        r.refusal.rate,
        r.refusal.low,
        r.refusal.high,
        r.majority ?? '',
        p.divergence,
        p.band?.low ?? null,
        p.band?.high ?? null,
        p.noiseFloor,
        p.exceedsNoise,
        r.answers[0]?.text ?? '',
      ]);
    }
  }
  return rows.map((row) => row.map(field).join(',')).join('\r\n') + '\r\n';
}

function qIndex(a: JobAnalysis, id: string): number {
  return a.questions.findIndex((q) => q.id === id);
}

/** One CSV value: text, a count or a rate, a flag, or absent. */
type Cell = string | number | boolean | null | undefined;

function field(v: Cell): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(4);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  let s = v;
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
