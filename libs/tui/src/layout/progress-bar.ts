/** A `width`-column bar for done / total: `█` done, `░` to do (never full before everything is done). */
export function progressBar(done: number, total: number, width: number): string {
  if (width <= 0) return '';
  const ratio = total > 0 ? Math.min(1, done / total) : 0;
  let filled = Math.round(ratio * width);
  if (filled === width && done < total) filled = width - 1;
  if (filled === 0 && done > 0) filled = 1;
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}
