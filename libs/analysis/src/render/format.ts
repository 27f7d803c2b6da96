import type { Rate } from '../analysis.types.js';

/** A share as a whole percentage ("33 %"), or "–" when undefined. */
export function pct(x: number | null | undefined): string {
  return x === null || x === undefined || Number.isNaN(x) ? '–' : `${Math.round(x * 100)} %`;
}

/** A rate as "33 % (1/3)". */
export function rateText(r: Rate): string {
  return r.rate === null ? '–' : `${pct(r.rate)} (${r.count}/${r.of})`;
}

/** A number in [0, 1] with three decimals, or "–". */
export function num3(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : x.toFixed(3);
}

/** Text safe inside HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** At most `max` characters (code points), with an ellipsis when cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}
