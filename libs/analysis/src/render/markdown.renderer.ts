import { variantLabel } from '@beacon/domain';
import type { JobAnalysis, PairAnalysis } from '../analysis.types.js';
import { num3, pct, rateText, truncate } from './format.js';

/** Options of the text renderers. */
export interface RenderOptions {
  /** How many of the most divergent pairs to show with their answers (default 10). */
  top?: number;
}

/** Markdown cell text: one line, with table and inline syntax (and HTML) neutralised. */
function md(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .replace(/[\\|`*_[\]<>#~]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : `\\${c}`))
    .trim();
}

/** The analysis as a Markdown report: summary, refusal matrices, most divergent pairs with their answers, data quality. */
export function renderMarkdown(a: JobAnalysis, opts: RenderOptions = {}): string {
  const top = opts.top ?? 10;
  const out: string[] = [];
  out.push(`# Cross-region report: ${md(a.jobId)}`, '');
  out.push(`Status **${md(a.status)}**, benchmark ${md(a.benchmark || '–')}, generated ${a.generatedAt}.`, '');
  out.push('## Summary', '', ...a.summary.highlights.map((h) => `- ${md(h)}`), '');

  out.push('## Refusal rate by region and model', '');
  out.push(`| region | ${a.models.map(md).join(' | ')} |`, `|---|${a.models.map(() => '---:').join('|')}|`);
  for (const region of a.regions) {
    const cells = a.models.map((m) => a.refusalMatrix.find((c) => c.region === region && c.modelId === m));
    out.push(`| ${md(region)} | ${cells.map((c) => (c ? rateText(c.refusal) : '–')).join(' | ')} |`);
  }
  out.push('', 'Refused / labelled responses, over every question. Provider-side filtering is not counted as a refusal.', '');

  out.push('## Refusal rate by question category', '');
  const cols = a.models.flatMap((m) => a.regions.map((r) => ({ m, r })));
  out.push(`| category | ${cols.map((c) => `${md(c.m)} @ ${md(c.r)}`).join(' | ')} |`, `|---|${cols.map(() => '---:').join('|')}|`);
  for (const cat of [...new Set(a.refusalByCategory.map((c) => c.category!))]) {
    const cells = cols.map((c) => a.refusalByCategory.find((x) => x.category === cat && x.modelId === c.m && x.region === c.r));
    out.push(`| ${md(cat)} | ${cells.map((c) => (c ? rateText(c.refusal) : '–')).join(' | ')} |`);
  }
  out.push('');

  if (a.variants && a.refusalByVariant) {
    // Each variant's own columns: a language or prompt variant is compared across regions with itself only.
    out.push('## Refusal rate by variant', '');
    out.push(`| variant | region | ${a.models.map(md).join(' | ')} |`, `|---|---|${a.models.map(() => '---:').join('|')}|`);
    for (const v of a.variants)
      for (const region of a.regions) {
        const cells = a.models.map((m) => a.refusalByVariant!.find((c) => c.variant === v && c.region === region && c.modelId === m));
        out.push(`| ${md(variantLabel(v))} | ${md(region)} | ${cells.map((c) => (c ? rateText(c.refusal) : '–')).join(' | ')} |`);
      }
    out.push('');
  }

  out.push('## Most divergent (question, model) pairs', '');
  out.push(noiseLine(a), '');
  const ranked = a.pairs.filter((p) => !p.isControl && p.divergence !== null).slice(0, top);
  if (ranked.length === 0) out.push('No pair has responses from two regions.', '');
  ranked.forEach((p, i) => out.push(...pairSection(p, i + 1, a.regions)));

  out.push('## All pairs', '');
  const vCol = a.variants !== undefined;
  out.push(
    `| question |${vCol ? ' variant |' : ''} model | divergence | band | label agreement | text similarity | pattern |`,
    `|---|${vCol ? '---|' : ''}---|---:|---|---:|---:|---|`,
  );
  for (const p of a.pairs) {
    out.push(
      `| ${md(p.questionId)}${p.isControl ? ' (control)' : ''} |${vCol ? ` ${md(variantLabel(p.variant ?? ''))} |` : ''} ${md(p.modelId)} | ${num3(p.divergence)} | ${p.band ? `${num3(p.band.low)}–${num3(p.band.high)}` : '–'} | ${pct(p.labelAgreement)} | ${num3(p.textSimilarity)} | ${md(p.pattern)} |`,
    );
  }
  out.push('');

  out.push('## Where the results were served', '');
  out.push(servedNote(a));
  if (a.servedBy.length > 0) {
    out.push('', '| region | model | provider | served by region | provider reported | cells |', '|---|---|---|---|---|---:|');
    for (const r of a.servedBy) {
      out.push(
        `| ${md(r.region)} | ${md(r.modelId)} | ${md(r.providerKind ?? 'not recorded')} | ${md(r.servedRegion ?? 'not recorded')}${r.servedRegion !== null && r.servedRegion !== r.region ? ' (fallback)' : ''} | ${md(r.regionObserved ?? '–')} | ${r.cells} |`,
      );
    }
  }
  out.push('');

  out.push('## Data quality', '');
  if (a.dataQuality.length === 0) out.push('No open reconciler findings and no missing, failed, unfinished or unlabelled cells.');
  for (const n of a.dataQuality) out.push(`- **${n.severity}** \`${n.ruleId}\` (${n.source}): ${md(n.message)}`);
  out.push('', '## Method', '', ...Object.entries(a.method).map(([k, v]) => `- ${k}: ${md(String(v))}`), '');
  return out.join('\n');
}

/** One sentence on where the job's results came from; the table follows when anything is known. */
export function servedNote(a: JobAnalysis): string {
  if (a.servedBy.length === 0) return 'No succeeded cell records who served it.';
  const fallback = a.servedBy.filter((r) => r.servedRegion !== null && r.servedRegion !== r.region).reduce((n, r) => n + r.cells, 0);
  const kinds = [...new Set(a.servedBy.map((r) => r.providerKind ?? 'not recorded'))];
  return (
    `Succeeded cells by the provider and region that served them (${kinds.join(', ')}); "provider reported" is where the ` +
    `provider said the call ran, when it says. ${fallback === 0 ? 'No cell was served by a fallback from another region.' : `${fallback} cell${fallback === 1 ? ' was' : 's were'} served by a fallback from another region.`}`
  );
}

function noiseLine(a: JobAnalysis): string {
  if (a.noiseFloor.overall === null) return 'No control questions: divergence is shown without a noise floor.';
  const by = Object.entries(a.noiseFloor.byModel)
    .map(([m, v]) => `${md(m)} ${num3(v)}`)
    .join(', ');
  return `Noise floor from the control questions (${a.noiseFloor.controlQuestions.map(md).join(', ')}): ${by}.`;
}

function pairSection(p: PairAnalysis, rank: number, order: string[]): string[] {
  const band = p.band ? ` [${num3(p.band.low)}, ${num3(p.band.high)}]` : '';
  const verdict = p.exceedsNoise === null ? '' : p.exceedsNoise ? ', above the noise floor' : ', within the noise floor';
  const out = [
    `### ${rank}. ${md(p.questionId)} × ${md(p.modelId)}${p.variant ? ` (${md(p.variant)})` : ''}: divergence ${num3(p.divergence)}${band}${verdict}`,
    '',
  ];
  if (p.questionText) out.push(`> ${md(p.questionText)}`, '');
  out.push(`${md(p.pattern)}; label agreement ${pct(p.labelAgreement)}, text similarity ${num3(p.textSimilarity)}.`, '');
  out.push('| region | label | answer |', '|---|---|---|');
  const regions = [...p.regions].sort((x, y) => order.indexOf(x.region) - order.indexOf(y.region));
  for (const r of regions) {
    const first = r.answers[0];
    const more = r.answers.length > 1 ? ` (+${r.answers.length - 1} more replicate(s))` : '';
    out.push(
      `| ${md(r.region)} | ${first ? first.label : 'no response'} | ${first ? md(truncate(first.text, 400)) || '(empty)' : '–'}${more} |`,
    );
  }
  out.push('');
  return out;
}
