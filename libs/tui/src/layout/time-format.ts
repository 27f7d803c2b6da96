/** `3 min 23 s`, `41.2 s`, `320 ms`, `2 h 5 min`: how long something took, to a useful precision. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const abs = Math.abs(ms);
  // Thresholds on the rounded value, so 999.6 ms reads "1.00 s", not "1000 ms".
  if (abs < 999.5) return `${Math.round(ms)} ms`;
  if (abs < 9_995) return `${(ms / 1000).toFixed(2)} s`;
  if (abs < 59_950) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(abs / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** `15:18:28.311` in UTC (the API's times are UTC; operators compare them with logs). */
export function clockTime(iso: string | number | null): string {
  if (iso === null) return '--:--:--';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '--:--:--' : d.toISOString().slice(11, 23);
}

/** Cuts `text` to `width` columns, ending with `…` when cut; pads to `width` when `pad`. */
export function fit(text: string, width: number, pad = false): string {
  if (width <= 0) return '';
  const t = text.length > width ? (width === 1 ? '…' : text.slice(0, width - 1) + '…') : text;
  return pad ? t.padEnd(width) : t;
}

/** One line: newlines and tabs become spaces. */
export const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();
