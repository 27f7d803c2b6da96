import { memo, useMemo } from 'react';
import { Box } from 'ink';
import type { TrendCellCore, TrendCellSummary, TrendSummary } from '@beacon/domain';
import type { TuiApi } from '../api/tui-api.js';
import { useResource } from '../hooks/use-resource.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { TRENDS_KEYS } from '../keys/key-tables.js';
import { fit, oneLine } from '../layout/time-format.js';
import { cellName, flipCarets, trendColumns, trendHeader, trendRow, trendWindow } from '../layout/trend-layout.js';
import type { TrendTarget } from '../state/app.reducer.js';
import { matchesFilter, parseFilter } from '../state/filter-query.js';
import type { ScreenProps } from '../views/screen-props.js';
import { GlyphSegments, Note } from '../views/segments.js';

/**
 * The series of a target, summarised by cell: one id is a schedule when it has runs, else that job alone; several ids
 * are jobs. Opened from a job (`orJobs`), a schedule that has no runs or whose runs are not of one spec gives way to
 * the job alone. The screen keeps only the summary: a thousand runs of points are tens of MiB that would stay on the
 * heap, and every major garbage collection would walk them between two frames.
 */
export async function loadTrend(api: Pick<TuiApi, 'getTrendCells'>, target: TrendTarget): Promise<TrendSummary> {
  const [first, ...rest] = target.ids;
  if (first !== undefined && rest.length === 0) {
    try {
      return await api.getTrendCells({ schedule: first });
    } catch (err) {
      const status = (err as { status?: number }).status;
      if (status !== 404 && !(status === 400 && target.orJobs)) throw err;
    }
  }
  return api.getTrendCells({ jobs: [...(target.orJobs ?? target.ids)] });
}

/**
 * One row per cell (question × model × region) of a series: its refusal rate across runs as a sparkline (or label
 * letters), flips toned and marked with `^` under the selected row, its last label, flips and similarity.
 */
export function TrendsScreen({ api, state, dispatch, width, height }: ScreenProps) {
  const target = state.trend;
  const key = target ? `${target.ids.join(',')}|${(target.orJobs ?? []).join(',')}` : null;
  const res = useResource(key, () => loadTrend(api, target!));
  const series = res.data;
  const cells = series?.cells ?? NO_CELLS;
  const filter = state.filters.trends;
  const rows = useMemo(() => {
    const q = parseFilter(filter);
    return cells.filter((c) =>
      matchesFilter(q, {
        question: c.questionId,
        model: c.model,
        region: c.region,
        category: c.category,
        label: c.lastLabel,
        flips: c.flips > 0 ? 'yes' : 'no',
      }),
    );
  }, [cells, filter]);
  const runs = series?.runs.length ?? 0;
  const lineWidth = width - 2;
  const { keyWidth, room } = useMemo(() => trendColumns(cells, lineWidth), [cells, lineWidth]);
  const win = trendWindow(runs, room, state.trendView.back);
  const listHeight = Math.max(1, height - 5);
  const { cursor, move } = useListCursor(state, dispatch, 'trends', rows.length, listHeight);
  const sel = rows[cursor.index];
  const shown = win.to - win.from;
  useScreenKeys('trends', TRENDS_KEYS, (c) => {
    if (c === 'metric') dispatch({ type: 'trend/metric' });
    else if (c === 'older' || c === 'newer')
      dispatch({ type: 'trend/scroll', direction: c === 'older' ? 1 : -1, step: Math.max(1, Math.floor(shown / 2)), runs, shown });
    else if (c === 'filter') dispatch({ type: 'prompt/open' });
    else if (c === 'refresh') res.reload();
    else if (c === 'open') {
      const newest = series?.runs[runs - 1];
      if (sel && newest) dispatch({ type: 'open/cross', target: { jobId: newest.jobId, questionId: sel.questionId, modelId: sel.model } });
    } else move(c);
  });

  if (!target) return <Note>{'no series: press t on a job in the Jobs screen, or run `beacon tui --trend SCHEDULE|JOB…`'}</Note>;
  if (res.error) return <Note tone="bad">{fit(res.error, width)}</Note>;
  if (!series) return <Note>{`loading the series of ${target.ids.join(', ')}…`}</Note>;
  const what = series.source.kind === 'schedule' ? `schedule ${series.source.scheduleId}` : `${series.runs.length} job(s)`;
  const detail = sel ? selectedDetail(sel, win) : '';
  return (
    <Box flexDirection="column" height={height}>
      <Note>{'  ' + trendHeader(win, runs, keyWidth, room)}</Note>
      {rows.length === 0 ? (
        <Note>{filter ? `no cell matches "${filter}"` : 'the series has no cells'}</Note>
      ) : (
        rows
          .slice(cursor.top, cursor.top + listHeight)
          .map((c, i) => (
            <TrendRow
              key={cellName(c)}
              cell={c}
              from={win.from}
              to={win.to}
              metric={state.trendView.metric}
              keyWidth={keyWidth}
              width={width}
              selected={cursor.top + i === cursor.index}
            />
          ))
      )}
      <Box flexGrow={1} />
      <Note>{sel ? '  ' + flipCarets(sel, win, keyWidth) : ''}</Note>
      <Note>
        {fit(
          `── ${what}: ${rows.length} of ${cells.length} cells, ${state.trendView.metric === 'rate' ? 'refusal rate ▁0 … █1' : 'labels A P R E F'}, · no response, flips toned and ^ ` +
            '─'.repeat(width),
          width,
        )}
      </Note>
      <Note>{fit(detail, width)}</Note>
    </Box>
  );
}

/**
 * One cell's row; drawn again only when its cell, the window, the metric or the selection changes. Its strip is laid
 * out by Ink as ASCII (`GlyphSegments`): bench/trends-tui.mjs at 1,000 runs × 72 cells, 120 × 40, synthetic series, 2
 * shared cores (load 2.5–3.2): with the glyphs measured, move p50 27.8–38.2 ms, p99 45.9–66.6 ms, CPU per frame p50
 * 32–42 ms; measured as ASCII, move p50 18.9–20.0 ms, p99 38.3–39.0 ms, CPU per frame p50 23–24 ms.
 * With the body clipped only vertically too (app.tsx), three runs before/after alternated (load 3.8–4.3): move p50
 * 29.7–33.7 → 19.8–21.9 ms, p99 67.8–81.9 → 36.4–56.2 ms; labels p50 30.1–48.5 → 19.4–26.3 ms; CPU per frame p50
 * 29.7–33.1 → 21.5–23.1 ms. bench/trends.mjs (real daemon, load 4.5 before, 3.8 after): move p50 31.7 → 25.4 ms, p99
 * 65.8 → 50.3 ms; labels p99 70.5 → 36.5 ms; CPU per frame p50 32.5 → 24.3 ms, p99 58.5 → 49.0 ms. What is left is
 * Ink's own per-character work on the whole 120 × 39 frame (ansi-tokenize, its garbage), not this screen's. Of that,
 * ansi-tokenize 0.2 (what Ink 6.8 asks for) diffed the styles of every pair of neighbouring characters, three Sets per
 * character; 0.3 (an npm override in package.json) skips equal styles: a sampling heap profile of the key presses
 * (bench/trends.mjs with BENCH_HEAP_PROFILE) went from 11.5 to 4.8 MiB allocated per frame, and the series the screen
 * keeps from 72,000 points to 72 summarised cells (`GET /api/v1/trends/cells`).
 */
const TrendRow = memo(function TrendRow(p: {
  cell: TrendCellCore;
  from: number;
  to: number;
  metric: 'rate' | 'labels';
  keyWidth: number;
  width: number;
  selected: boolean;
}) {
  const segments = useMemo(
    () => [
      { text: p.selected ? '› ' : '  ', tone: p.selected ? ('selected' as const) : undefined },
      ...trendRow(p.cell, { from: p.from, to: p.to }, p.metric, p.keyWidth),
    ],
    [p.cell, p.from, p.to, p.metric, p.keyWidth, p.selected],
  );
  return <GlyphSegments segments={segments} width={p.width} />;
});

/** The selected cell in words: its flips (run number and job) and its newest sample. */
function selectedDetail(cell: TrendCellSummary, win: { from: number; to: number }): string {
  const flips: string[] = [];
  for (let i = win.from; i < win.to; i++) if (cell.flipAt[i]) flips.push(`${i + 1} ${cell.labels[i - 1]}→${cell.labels[i]}`);
  const sample = cell.newestSample ? `; newest: "${oneLine(cell.newestSample)}"` : '';
  return `${cellName(cell)}${cell.category ? ` (${cell.category})` : ''}: ${flips.length ? `flips at run ${flips.join(', ')}` : 'no flips shown'}${sample}`;
}

const NO_CELLS: readonly TrendCellSummary[] = [];
