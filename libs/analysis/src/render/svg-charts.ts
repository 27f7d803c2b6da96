import type { JobAnalysis, PairAnalysis, RefusalCell, ResponseLabel } from '../analysis.types.js';
import { escapeHtml as e, num3, pct } from './format.js';

/** Colours of the response labels (colour-blind-safe, from the Okabe–Ito palette), and of a cell without a response. */
export const LABEL_COLOURS: Record<ResponseLabel | 'none', string> = {
  answered: '#009E73',
  partial: '#E69F00',
  refused: '#D55E00',
  empty: '#999999',
  filtered: '#CC79A7',
  none: '#E8E8E8',
};

/** Refusal rate to a fill: white through orange to dark red; grey for no data. */
export function heatColour(rate: number | null): string {
  if (rate === null) return '#E8E8E8';
  const stops = [
    [255, 255, 255],
    [253, 174, 97],
    [215, 48, 39],
    [127, 0, 0],
  ];
  const x = Math.max(0, Math.min(1, rate)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const t = x - i;
  const c = stops[i]!.map((v, k) => Math.round(v + (stops[i + 1]![k]! - v) * t));
  return `rgb(${c.join(',')})`;
}

const ink = (rate: number | null) => (rate !== null && rate > 0.55 ? '#fff' : '#222');

/** Region × model refusal heatmap: one `rect.heat-cell` per (region, model), rate and count inside, details in a title. */
export function refusalHeatmap(a: JobAnalysis): string {
  const cw = 132;
  const ch = 46;
  const left = 140;
  const topPad = 34;
  const width = left + cw * a.models.length + 10;
  const height = topPad + ch * a.regions.length + 10;
  const parts: string[] = [];
  a.models.forEach((m, j) =>
    parts.push(`<text class="axis" x="${left + j * cw + cw / 2}" y="${topPad - 10}" text-anchor="middle">${e(m)}</text>`),
  );
  a.regions.forEach((r, i) => {
    const y = topPad + i * ch;
    parts.push(`<text class="axis" x="${left - 10}" y="${y + ch / 2 + 4}" text-anchor="end">${e(r)}</text>`);
    a.models.forEach((m, j) => {
      const c = a.refusalMatrix.find((x) => x.region === r && x.modelId === m);
      parts.push(cellRect(c, left + j * cw, y, cw, ch, 'heat-cell'));
    });
  });
  return `<svg id="refusal-heatmap" role="img" aria-label="Refusal rate by region and model" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

/** Category × (model, region) refusal heatmap, `rect.category-cell`. */
export function categoryHeatmap(a: JobAnalysis): string {
  const categories = [...new Set(a.refusalByCategory.map((c) => c.category!))];
  const cols = a.models.flatMap((m) => a.regions.map((r) => ({ m, r })));
  const cw = 86;
  const ch = 34;
  const left = 170;
  const topPad = 54;
  const width = left + cw * cols.length + 10;
  const height = topPad + ch * categories.length + 10;
  const parts: string[] = [];
  a.models.forEach((m, j) =>
    parts.push(`<text class="axis" x="${left + (j + 0.5) * a.regions.length * cw}" y="16" text-anchor="middle">${e(m)}</text>`),
  );
  cols.forEach((c, j) =>
    parts.push(`<text class="axis small" x="${left + j * cw + cw / 2}" y="${topPad - 10}" text-anchor="middle">${e(c.r)}</text>`),
  );
  categories.forEach((cat, i) => {
    const y = topPad + i * ch;
    parts.push(`<text class="axis" x="${left - 10}" y="${y + ch / 2 + 4}" text-anchor="end">${e(cat)}</text>`);
    cols.forEach((col, j) => {
      const c = a.refusalByCategory.find((x) => x.category === cat && x.modelId === col.m && x.region === col.r);
      parts.push(cellRect(c, left + j * cw, y, cw, ch, 'category-cell'));
    });
  });
  return `<svg id="category-heatmap" role="img" aria-label="Refusal rate by question category, model and region" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

function cellRect(c: RefusalCell | undefined, x: number, y: number, w: number, h: number, cls: string): string {
  const rate = c?.refusal.rate ?? null;
  const title = c
    ? `${c.category ? `${c.category}, ` : ''}${c.modelId} in ${c.region}: refused ${c.counts.refused} of ${c.counts.responses} responses` +
      ` (${pct(rate)}, 95 % ${pct(c.refusal.low)}–${pct(c.refusal.high)}); partial ${c.counts.partial}, filtered ${c.counts.filtered}, no response ${c.counts.noResponse}`
    : 'no cells';
  const label = rate === null ? 'n/a' : pct(rate);
  const sub = c && c.counts.responses ? `${c.counts.refused}/${c.counts.responses}` : '';
  return (
    `<g><title>${e(title)}</title><rect class="${cls}" data-region="${e(c?.region ?? '')}" data-model="${e(c?.modelId ?? '')}" data-rate="${rate ?? ''}"` +
    ` x="${x + 1}" y="${y + 1}" width="${w - 2}" height="${h - 2}" rx="3" fill="${heatColour(rate)}" stroke="#bbb"/>` +
    `<text x="${x + w / 2}" y="${y + h / 2 + (sub && h > 40 ? -2 : 4)}" text-anchor="middle" class="val" fill="${ink(rate)}">${label}</text>` +
    (sub && h > 40
      ? `<text x="${x + w / 2}" y="${y + h / 2 + 13}" text-anchor="middle" class="small" fill="${ink(rate)}">${sub}</text>`
      : '') +
    '</g>'
  );
}

/**
 * One question's chart: a row per model with, per region, a bar split by label share, then the pair's divergence as a
 * bar with its bootstrap band as a whisker and the model's noise floor as a dashed line.
 */
export function questionChart(a: JobAnalysis, questionId: string): string {
  // One row per model, and per variant when the job has variants (each compared within itself).
  const pairs = (a.variants ?? ['']).flatMap((v) =>
    a.models
      .map((m) => a.pairs.find((p) => p.questionId === questionId && p.modelId === m && (p.variant ?? '') === v))
      .filter((p): p is PairAnalysis => !!p),
  );
  const left = 130;
  const bw = 96;
  const gap = 8;
  const rh = 26;
  const topPad = 30;
  const divX = left + a.regions.length * (bw + gap) + 16;
  const divW = 200;
  const width = divX + divW + 60;
  const height = topPad + pairs.length * rh + 24;
  const parts: string[] = [];
  a.regions.forEach((r, i) =>
    parts.push(`<text class="axis small" x="${left + i * (bw + gap) + bw / 2}" y="${topPad - 10}" text-anchor="middle">${e(r)}</text>`),
  );
  parts.push(`<text class="axis small" x="${divX + divW / 2}" y="${topPad - 10}" text-anchor="middle">divergence (0–1)</text>`);
  pairs.forEach((p, row) => {
    const y = topPad + row * rh;
    const rowLabel = p.variant ? `${p.modelId} · ${p.variant}` : p.modelId;
    parts.push(`<text class="axis" x="${left - 8}" y="${y + rh / 2 + 4}" text-anchor="end">${e(rowLabel)}</text>`);
    a.regions.forEach((region, i) => {
      const r = p.regions.find((x) => x.region === region);
      const x0 = left + i * (bw + gap);
      const total = r ? r.counts.responses + r.counts.noResponse : 0;
      if (!r || total === 0) {
        parts.push(
          `<rect class="label-bar" x="${x0}" y="${y + 4}" width="${bw}" height="${rh - 8}" fill="${LABEL_COLOURS.none}"><title>${e(`${p.modelId} in ${region}: no cells`)}</title></rect>`,
        );
        return;
      }
      let x = x0;
      const segments: [keyof typeof LABEL_COLOURS, number][] = [
        ['answered', r.counts.answered],
        ['partial', r.counts.partial],
        ['refused', r.counts.refused],
        ['empty', r.counts.empty],
        ['filtered', r.counts.filtered],
        ['none', r.counts.noResponse],
      ];
      for (const [label, n] of segments) {
        if (n === 0) continue;
        const w = (bw * n) / total;
        parts.push(
          `<rect class="label-bar" data-label="${label}" x="${x.toFixed(1)}" y="${y + 4}" width="${w.toFixed(1)}" height="${rh - 8}" fill="${LABEL_COLOURS[label]}">` +
            `<title>${e(`${p.modelId} in ${region}: ${label === 'none' ? 'no response' : label} ${n}/${total}`)}</title></rect>`,
        );
        x += w;
      }
    });
    parts.push(`<rect x="${divX}" y="${y + 8}" width="${divW}" height="${rh - 16}" fill="#f1f1f1"/>`);
    if (p.divergence !== null) {
      const colour = p.exceedsNoise ? '#0072B2' : '#9ECAE1';
      parts.push(
        `<rect class="divergence-bar" x="${divX}" y="${y + 8}" width="${(divW * p.divergence).toFixed(1)}" height="${rh - 16}" fill="${colour}">` +
          `<title>${e(`divergence ${num3(p.divergence)}${p.band ? ` [${num3(p.band.low)}, ${num3(p.band.high)}]` : ''}; noise floor ${num3(p.noiseFloor)}`)}</title></rect>`,
      );
      if (p.band) {
        const x1 = divX + divW * p.band.low;
        const x2 = divX + divW * p.band.high;
        parts.push(
          `<path class="band" d="M${x1.toFixed(1)} ${y + rh / 2}H${x2.toFixed(1)}M${x1.toFixed(1)} ${y + 6}V${y + rh - 6}M${x2.toFixed(1)} ${y + 6}V${y + rh - 6}" stroke="#222" stroke-width="1.5" fill="none"/>`,
        );
      }
      parts.push(`<text class="small" x="${divX + divW + 6}" y="${y + rh / 2 + 4}">${num3(p.divergence)}</text>`);
    }
    if (p.noiseFloor !== null) {
      const xf = divX + divW * p.noiseFloor;
      parts.push(
        `<path class="noise-floor" d="M${xf.toFixed(1)} ${y + 3}V${y + rh - 3}" stroke="#333" stroke-dasharray="3 2" stroke-width="1.2"/>`,
      );
    }
  });
  return (
    `<svg class="question-chart" data-question="${e(questionId)}" role="img" aria-label="${e(`Labels by region and divergence for ${questionId}`)}"` +
    ` width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`
  );
}
