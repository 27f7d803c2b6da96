import { type FindingView, isActiveExecutionState } from '@beacon/domain';
import type { DataQualityNote } from './analysis.types.js';
import { labelOf, type AnalysisCell } from './rates.js';

const EVIDENCE_IDS = 20;

/** The expected cell keys of a job: every question × model × region × replicate. */
export interface ExpectedAxes {
  questions: string[];
  models: string[];
  regions: string[];
  /** Variant ids; left out, the one default variant. */
  variants?: string[];
  repeats: number;
}

/**
 * Data-quality notes: checks on the cells themselves (missing, failed, unfinished, unlabelled, duplicated cells), which
 * are always current, then the job's open reconciler findings (duplicates, drift, lost work…) as the reconciler last saw them.
 */
export function dataQualityNotes(axes: ExpectedAxes, cells: readonly AnalysisCell[], findings: readonly FindingView[]): DataQualityNote[] {
  const notes: DataQualityNote[] = [];
  // The default variant keeps the key the notes always named; another variant is named before the replicate.
  const key = (c: Pick<AnalysisCell, 'questionId' | 'modelId' | 'region' | 'variant' | 'replicate'>) =>
    `${c.questionId}|${c.modelId}|${c.region}${c.variant ? `|${c.variant}` : ''}|${c.replicate}`;
  const byKey = new Map<string, AnalysisCell[]>();
  for (const c of cells) {
    const list = byKey.get(key(c));
    if (list) list.push(c);
    else byKey.set(key(c), [c]);
  }

  const missing: string[] = [];
  for (const questionId of axes.questions)
    for (const modelId of axes.models)
      for (const region of axes.regions)
        for (const variant of axes.variants ?? ['']) {
          for (let replicate = 0; replicate < axes.repeats; replicate++) {
            const k = key({ questionId, modelId, region, variant, replicate });
            if (!byKey.has(k)) missing.push(k);
          }
        }
  if (missing.length) {
    notes.push({
      source: 'cells',
      severity: 'critical',
      ruleId: 'missing_cells',
      message: `${missing.length} planned cell(s) have no execution row; those comparisons are incomplete`,
      evidence: { cells: missing.slice(0, EVIDENCE_IDS), count: missing.length },
    });
  }
  const dups = [...byKey.values()].filter((list) => list.length > 1);
  if (dups.length) {
    notes.push({
      source: 'cells',
      severity: 'critical',
      ruleId: 'duplicate_cells',
      message: `${dups.length} cell key(s) have more than one execution; every one of them is counted`,
      evidence: {
        executionIds: dups
          .flat()
          .map((c) => c.id)
          .slice(0, EVIDENCE_IDS),
        count: dups.length,
      },
    });
  }
  const groups: [string, DataQualityNote['severity'], (c: AnalysisCell) => boolean, string][] = [
    ['failed_cells', 'warning', (c) => c.state === 'failed', 'failed (no response); their regions have fewer answers to compare'],
    ['cancelled_cells', 'info', (c) => c.state === 'cancelled', 'were cancelled (no response)'],
    ['unfinished_cells', 'warning', (c) => isActiveExecutionState(c.state), 'are not finished yet; the analysis is provisional'],
    [
      'unlabelled_cells',
      'warning',
      (c) => c.state === 'succeeded' && labelOf(c) === null,
      'succeeded without a known label and are left out',
    ],
  ];
  for (const [ruleId, severity, test, what] of groups) {
    const hit = cells.filter(test);
    if (hit.length === 0) continue;
    const where = [...new Set(hit.map((c) => `${c.modelId}@${c.region}`))].sort();
    notes.push({
      source: 'cells',
      severity,
      ruleId,
      message: `${hit.length} cell(s) ${what} (${where.slice(0, 6).join(', ')}${where.length > 6 ? ', …' : ''})`,
      evidence: { executionIds: hit.map((c) => c.id).slice(0, EVIDENCE_IDS), count: hit.length },
    });
  }
  for (const f of findings) {
    notes.push({
      source: 'reconciler',
      severity: f.severity,
      ruleId: f.ruleId,
      message: f.summary,
      evidence: { findingId: f.id, fingerprint: f.fingerprint, lastSeenAt: f.lastSeenAt, ...f.evidence },
    });
  }
  const rank = { critical: 0, warning: 1, info: 2 };
  return notes.sort((a, b) => rank[a.severity] - rank[b.severity]);
}
