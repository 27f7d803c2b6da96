import { variantLabel } from '@beacon/domain';
import type { JobAnalysis, PairAnalysis } from '../analysis.types.js';
import { escapeHtml as e, num3, pct, rateText } from './format.js';
import { servedNote } from './markdown.renderer.js';
import type { RenderOptions } from './markdown.renderer.js';
import { LABEL_COLOURS, categoryHeatmap, questionChart, refusalHeatmap } from './svg-charts.js';

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", sans-serif; color: #222; margin: 0; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 60px; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 10px; border-bottom: 1px solid #e3e3e3; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 22px 0 6px; } .meta { color: #666; margin: 0 0 16px; }
ul.highlights li { margin: 3px 0; } .note { color: #555; font-size: 13px; }
svg text { font: 12px system-ui, sans-serif; } svg text.val { font-weight: 600; font-size: 13px; } svg text.small { font-size: 11px; } svg .axis { fill: #333; }
.chart-scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 13px; } th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.answers { display: grid; gap: 10px; grid-template-columns: repeat(auto-fit, minmax(240px, 1fr)); }
.answer { border: 1px solid #ddd; border-radius: 6px; padding: 8px 10px; background: #fcfcfc; }
.answer h4 { margin: 0 0 6px; font-size: 13px; display: flex; justify-content: space-between; gap: 6px; }
.answer .text { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 260px; overflow-y: auto; margin: 0; font-size: 13px; }
.answer .rep { color: #777; font-size: 12px; margin-top: 6px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 9px; color: #fff; font-size: 12px; font-weight: 600; }
.sev-critical { color: #b00020; font-weight: 600; } .sev-warning { color: #a15c00; font-weight: 600; } .sev-info { color: #555; }
.legend span { display: inline-flex; align-items: center; gap: 4px; margin-right: 12px; font-size: 12px; }
.legend i { width: 12px; height: 12px; display: inline-block; border-radius: 2px; }
footer { margin-top: 40px; color: #666; font-size: 12px; }
`;

/**
 * The analysis as one self-contained HTML file: inline CSS and SVG, no scripts, no network (a CSP forbids both), so it
 * opens offline and model text, always escaped, can never run code.
 */
export function renderHtml(a: JobAnalysis, opts: RenderOptions = {}): string {
  const top = opts.top ?? 10;
  const ranked = a.pairs.filter((p) => !p.isControl && p.divergence !== null).slice(0, top);
  const legend = `<p class="legend">${(Object.keys(LABEL_COLOURS) as (keyof typeof LABEL_COLOURS)[])
    .map((l) => `<span><i style="background:${LABEL_COLOURS[l]}"></i>${l === 'none' ? 'no response' : l}</span>`)
    .join('')}</p>`;
  const body = [
    `<header><h1>Cross-region report: ${e(a.jobId)}</h1>`,
    `<p class="meta">Status <strong>${e(a.status)}</strong> · benchmark ${e(a.benchmark || '–')} · ${a.questions.length} questions × ${a.models.length} models × ${a.regions.length} regions` +
      `${a.repeats > 1 ? ` × ${a.repeats} replicates` : ''} · generated ${e(a.generatedAt)}</p></header>`,
    '<section id="summary"><h2>Summary</h2><ul class="highlights">',
    ...a.summary.highlights.map((h) => `<li>${e(h)}</li>`),
    '</ul></section>',
    '<section id="refusals"><h2>Refusal rate by region and model</h2>',
    `<div class="chart-scroll">${refusalHeatmap(a)}</div>`,
    '<p class="note">Refused / labelled responses over every question (hover a cell for counts and the 95 % Wilson interval). A provider-side filter is counted as <em>filtered</em>, not as the model refusing.</p>',
    '<h3>By question category</h3>',
    `<div class="chart-scroll">${categoryHeatmap(a)}</div>`,
    variantTable(a),
    '</section>',
    '<section id="divergent"><h2>Most divergent (question, model) pairs</h2>',
    `<p class="note">${e(noiseText(a))}</p>`,
    ranked.length ? ranked.map((p, i) => pairBlock(p, i + 1, a.regions)).join('\n') : '<p>No pair has responses from two regions.</p>',
    '</section>',
    '<section id="questions"><h2>Per question</h2>',
    legend,
    '<p class="note">Each row is a model: the share of each label per region, then the divergence between regions (bar; whisker: bootstrap band over replicates; dashed line: the model\'s control noise floor; dark blue: above it, light blue: within it).</p>',
    ...a.questions.map(
      (q) =>
        `<h3>${e(q.id)}${q.category ? ` <span class="note">(${e(q.category)})</span>` : ''}</h3>` +
        `${q.text ? `<p class="note">${e(q.text)}</p>` : ''}<div class="chart-scroll">${questionChart(a, q.id)}</div>`,
    ),
    '</section>',
    `<section id="all-pairs"><h2>All pairs</h2><table><thead><tr><th>question</th>${a.variants ? '<th>variant</th>' : ''}<th>model</th><th>divergence</th><th>band</th><th>label agreement</th><th>text similarity</th><th>pattern</th></tr></thead><tbody>`,
    ...a.pairs.map(
      (p) =>
        `<tr><td>${e(p.questionId)}${p.isControl ? ' <span class="note">(control)</span>' : ''}</td>${a.variants ? `<td>${e(variantLabel(p.variant ?? ''))}</td>` : ''}<td>${e(p.modelId)}</td><td class="num">${num3(p.divergence)}</td>` +
        `<td class="num">${p.band ? `${num3(p.band.low)}–${num3(p.band.high)}` : '–'}</td><td class="num">${pct(p.labelAgreement)}</td><td class="num">${num3(p.textSimilarity)}</td><td>${e(p.pattern)}</td></tr>`,
    ),
    '</tbody></table></section>',
    '<section id="served-by"><h2>Where the results were served</h2>',
    `<p>${e(servedNote(a))}</p>`,
    a.servedBy.length === 0
      ? ''
      : '<table><thead><tr><th>region</th><th>model</th><th>provider</th><th>served by region</th><th>provider reported</th><th>cells</th></tr></thead><tbody>' +
        a.servedBy
          .map(
            (r) =>
              `<tr><td>${e(r.region)}</td><td>${e(r.modelId)}</td><td>${e(r.providerKind ?? 'not recorded')}</td>` +
              `<td>${e(r.servedRegion ?? 'not recorded')}${r.servedRegion !== null && r.servedRegion !== r.region ? ' <span class="note">(fallback)</span>' : ''}</td>` +
              `<td>${e(r.regionObserved ?? '–')}</td><td class="num">${r.cells}</td></tr>`,
          )
          .join('') +
        '</tbody></table>',
    '</section>',
    '<section id="data-quality"><h2>Data quality</h2>',
    a.dataQuality.length === 0
      ? '<p>No open reconciler findings and no missing, failed, unfinished or unlabelled cells.</p>'
      : `<ul>${a.dataQuality.map((n) => `<li><span class="sev-${e(n.severity)}">${e(n.severity)}</span> <code>${e(n.ruleId)}</code> (${e(n.source)}): ${e(n.message)}</li>`).join('')}</ul>`,
    '</section>',
    `<footer><h2>Method</h2><ul>${Object.entries(a.method)
      .map(([k, v]) => `<li><strong>${e(k)}</strong>: ${e(String(v))}</li>`)
      .join('')}</ul>` + `<p>Overall refusal rate ${e(rateText(a.summary.refusal))}.</p></footer>`,
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Beacon report: ${e(a.jobId)}</title>
<style>${STYLE}</style>
</head>
<body><main>
${body}
</main></body>
</html>
`;
}

function noiseText(a: JobAnalysis): string {
  if (a.noiseFloor.overall === null)
    return 'No control questions in this job, so there is no noise floor: read small divergences with care.';
  const by = Object.entries(a.noiseFloor.byModel)
    .map(([m, v]) => `${m} ${num3(v)}`)
    .join(', ');
  return `Divergence is 0 for identical behaviour and 1 for completely different answers. Noise floor from the control questions (${a.noiseFloor.controlQuestions.join(', ')}): ${by}.`;
}

function pairBlock(p: PairAnalysis, rank: number, order: string[]): string {
  const band = p.band ? ` [${num3(p.band.low)}, ${num3(p.band.high)}]` : '';
  const verdict = p.exceedsNoise === null ? '' : p.exceedsNoise ? ' · above the noise floor' : ' · within the noise floor';
  const regions = [...p.regions].sort((x, y) => order.indexOf(x.region) - order.indexOf(y.region));
  const cards = regions
    .map((r) => {
      const shown = r.answers.slice(0, 3);
      const texts = shown
        .map(
          (s, i) =>
            `${i > 0 ? `<div class="rep">replicate ${s.replicate}: ${e(s.label)}</div>` : ''}<p class="text">${e(s.text) || '<em>(empty)</em>'}</p>`,
        )
        .join('');
      const more = r.answers.length > shown.length ? `<div class="rep">+${r.answers.length - shown.length} more replicate(s)</div>` : '';
      const label = r.majority ?? 'none';
      return (
        `<div class="answer" data-region="${e(r.region)}"><h4><span>${e(r.region)}</span><span class="badge" style="background:${LABEL_COLOURS[label]}">${e(r.majority ?? 'no response')}` +
        `${r.counts.responses > 1 ? ` ${r.counts[r.majority!]}/${r.counts.responses}` : ''}</span></h4>${texts || '<p class="text"><em>no response</em></p>'}${more}</div>`
      );
    })
    .join('');
  return (
    `<article class="pair" data-question="${e(p.questionId)}" data-model="${e(p.modelId)}"${p.variant ? ` data-variant="${e(p.variant)}"` : ''}><h3>${rank}. ${e(p.questionId)} × ${e(p.modelId)}${p.variant ? ` (${e(p.variant)})` : ''}: divergence ${num3(p.divergence)}${band}${verdict}</h3>` +
    `${p.questionText ? `<p class="note">${e(p.questionText)}</p>` : ''}<p>${e(p.pattern)} · label agreement ${pct(p.labelAgreement)} · text similarity ${num3(p.textSimilarity)}</p>` +
    `<div class="answers">${cards}</div></article>`
  );
}

/** Refusal rates by variant, region and model (a job with variants only): the same variant compared across regions. */
function variantTable(a: JobAnalysis): string {
  if (!a.variants || !a.refusalByVariant) return '';
  const head = `<tr><th>variant</th><th>region</th>${a.models.map((m) => `<th>${e(m)}</th>`).join('')}</tr>`;
  const rows = a.variants.flatMap((v) =>
    a.regions.map((r) => {
      const cells = a.models.map((m) => a.refusalByVariant!.find((c) => c.variant === v && c.region === r && c.modelId === m));
      return `<tr><td>${e(variantLabel(v))}</td><td>${e(r)}</td>${cells.map((c) => `<td class="num">${c ? e(rateText(c.refusal)) : '–'}</td>`).join('')}</tr>`;
    }),
  );
  return `<h3 id="by-variant">By variant</h3><table class="by-variant"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}
