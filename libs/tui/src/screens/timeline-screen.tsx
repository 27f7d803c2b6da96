import { useCallback, useEffect, useMemo, useRef } from 'react';
import { Box } from 'ink';
import { isActiveJobStatus, type TimelineAttemptView, type TimelineLaneView } from '@beacon/domain';
import { attemptDetail, attemptPrompts } from '../layout/detail-text.js';
import { useResource } from '../hooks/use-resource.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { useTimeline } from '../hooks/use-timeline.js';
import { TIMELINE_KEYS } from '../keys/key-tables.js';
import { attemptLine, LANE_LABEL_WIDTH, laneLabel, laneStatus, laneSummary, naturalPairs } from '../layout/lane-text.js';
import { jobStatusText } from '../layout/job-status-text.js';
import { axisLine, findGaps, laneBar, markColumn, timeWindow } from '../layout/timeline-layout.js';
import { clockTime, fit, formatDuration } from '../layout/time-format.js';
import { isJobControl, jobControlAction } from '../state/controls.reducer.js';
import { parseFilter } from '../state/filter-query.js';
import { searchOf } from '../state/app.reducer.js';
import type { CursorMove } from '../state/list-cursor.js';
import type { ScreenProps } from '../views/screen-props.js';
import { Note, Segments } from '../views/segments.js';

const DETAILS = 6;

/** The lane's label column, toned as the label reads: a refusal or a filter stands out. */
function laneStatusSegment(l: TimelineLaneView, now: number): { text: string; tone?: 'warn' | 'bad' | 'muted' | 'accent' } {
  const text = `${fit(laneStatus(l, now), LANE_LABEL_WIDTH, true)} `;
  if (l.attempts.at(-1)?.endedAt === null) return { text, tone: 'accent' };
  if (l.classification === 'refused' || l.classification === 'filtered') return { text, tone: 'warn' };
  if (l.state === 'failed') return { text, tone: 'bad' };
  return { text, tone: 'muted' };
}

/** What `/` searches in a lane: its id and cell, state, label and marks. */
export function laneSearchText(l: TimelineLaneView): string {
  return `${laneLabel(l)} ${l.state} ${l.classification ?? ''} ${l.marks.join(' ')}`;
}

/**
 * The details pane's lines: each earlier attempt on one line, the last one in full (its trace link, its whole error
 * wrapped), since that is the one an operator looks into.
 */
export function attemptRows(attempts: readonly TimelineAttemptView[], width: number, traceUrl: string | null, now: number): string[] {
  const last = attempts.at(-1);
  if (!last) return [];
  const age = last.endedAt === null ? ` · in flight ${formatDuration(now - Date.parse(last.startedAt))}` : '';
  return [
    ...attempts.slice(0, -1).map((a) => fit(`${clockTime(a.startedAt)} ${attemptLine(a)}`, width)),
    fit(`${clockTime(last.startedAt)} ${attemptLine({ ...last, error: null })}${age}`, width),
    // The last attempt's trace link and whole error, wrapped.
    ...attemptDetail(last, width, traceUrl),
  ];
}

/**
 * A job's cells as lanes on one time axis, loaded a page at a time and drawn only for the visible rows; zoom with
 * +/-, scroll with h/l, enter shows the selected lane's attempts.
 */
export function TimelineScreen({ api, state, dispatch, width, height, io }: ScreenProps) {
  const { jobId } = state;
  const cursor = state.cursors.timeline;
  const { zoom, offset, details } = state.timeline;
  // The lanes are fetched again only when a `key=value` word changes, not when the search's free words do.
  const { region, model, question } = parseFilter(state.filters.timeline).fields;
  const filter = useMemo(() => ({ region, model, question }), [region, model, question]);
  // The details pane holds the attempts and the last one's prompts and response: half the body, at least DETAILS rows.
  const paneHeight = details ? Math.max(DETAILS, Math.floor(height / 2)) : 0;
  const lanesHeight = Math.max(1, height - 3 - paneHeight);
  const t = useTimeline(api, jobId, filter, cursor.index + lanesHeight);
  const count = t.lanes.length;
  useEffect(() => {
    dispatch({ type: 'cursor/clamp', screen: 'timeline', count, height: lanesHeight });
  }, [count, lanesHeight, dispatch]);

  const running = t.job !== null && isActiveJobStatus(t.job.status);
  const { refresh } = t;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => refresh(cursor.top, cursor.top + lanesHeight), 2_000);
    return () => clearInterval(timer);
  }, [running, refresh, cursor.top, lanesHeight]);

  const move = useCallback(
    (m: CursorMove) => dispatch({ type: 'cursor', screen: 'timeline', move: m, count, height: lanesHeight }),
    [dispatch, count, lanesHeight],
  );
  const lane = t.lanes[cursor.index];
  // The exact prompts and response come from the execution's attempt log, loaded only while the details are shown (and
  // again when the lane has a new attempt).
  const lastAttempt = lane?.attempts.at(-1) ?? null;
  const execution = useResource(
    details && lane && lastAttempt ? `execution:${lane.executionId}:${lastAttempt.id}:${lastAttempt.endedAt ?? ''}` : null,
    () => api.getExecution(lane!.executionId),
  );
  const detailLines = useMemo(() => {
    if (!details || !lane || !lastAttempt) return { head: 0, lines: [] as string[] };
    const rows = attemptRows(lane.attempts, width, io.traceUrl, Date.now());
    const logged = execution.data?.attemptsLog.find((a) => a.id === lastAttempt.id) ?? execution.data?.attemptsLog.at(-1);
    const prompts = logged
      ? attemptPrompts(logged, width)
      : [execution.error ? fit(`prompts and response: not available (${execution.error})`, width) : 'loading the prompts and response…'];
    return { head: rows.length, lines: [...rows, ...prompts] };
  }, [details, lane, lastAttempt, width, io.traceUrl, execution.data, execution.error]);
  // At 0 the pane starts where the last attempt's rows end at its top part (as before prompts were shown); J/K move it.
  const paneRows = paneHeight - 1;
  const start0 = Math.max(0, detailLines.head - paneRows);
  const scrollMin = -start0;
  const scrollMax = Math.max(0, detailLines.lines.length - paneRows - start0);
  const scrolled = lane && state.detailScroll.executionId === lane.executionId ? state.detailScroll.lines : 0;
  const detailStart = start0 + Math.min(scrollMax, Math.max(scrollMin, scrolled));

  // --- search: a new search jumps to its first match at or after the cursor once lanes are there; n/N step on ---
  const search = searchOf(state, 'timeline').join(' ');
  // Built only while a search is in force: the lanes change as pages load and refresh, and a frame need not pay for it.
  const texts = useMemo(() => (search ? t.lanes.map(laneSearchText) : []), [t.lanes, search]);
  const firstJump = useRef(false);
  useEffect(() => {
    firstJump.current = search !== '';
  }, [search]);
  useEffect(() => {
    if (!firstJump.current || count === 0) return;
    firstJump.current = false;
    dispatch({ type: 'search/step', screen: 'timeline', texts, direction: 1, inclusive: true, count, height: lanesHeight });
  }, [search, texts, count, lanesHeight, dispatch]);
  const step = (direction: 1 | -1) => dispatch({ type: 'search/step', screen: 'timeline', texts, direction, count, height: lanesHeight });

  useScreenKeys('timeline', TIMELINE_KEYS, (c) => {
    if (isJobControl(c)) return dispatch(jobControlAction(c, jobId));
    switch (c) {
      case 'searchNext':
        step(1);
        break;
      case 'searchPrevious':
        step(-1);
        break;
      case 'details':
        dispatch({ type: 'timeline/details' });
        break;
      case 'detailsDown':
      case 'detailsUp':
        if (!details || !lane) dispatch({ type: 'status', text: 'J/K scroll the attempt details: open them with enter' });
        else
          dispatch({
            type: 'details/scroll',
            executionId: lane.executionId,
            by: (c === 'detailsDown' ? 1 : -1) * Math.max(1, Math.floor(paneRows / 2)),
            min: scrollMin,
            max: scrollMax,
          });
        break;
      case 'zoomIn':
        dispatch({ type: 'timeline/zoom', direction: 1 });
        break;
      case 'zoomOut':
        dispatch({ type: 'timeline/zoom', direction: -1 });
        break;
      case 'scrollLeft':
        dispatch({ type: 'timeline/scroll', direction: -1 });
        break;
      case 'scrollRight':
        dispatch({ type: 'timeline/scroll', direction: 1 });
        break;
      case 'diff':
        if (lane) dispatch({ type: 'open/diff', pairs: naturalPairs(lane, t.lanes) });
        break;
      case 'cross':
        if (lane && jobId) dispatch({ type: 'open/cross', target: { jobId, questionId: lane.questionId, modelId: lane.modelId } });
        break;
      case 'copy': {
        if (!lane) {
          dispatch({ type: 'status', text: 'no lane selected' });
          break;
        }
        const last = lane.attempts.at(-1);
        const [what, id] = last ? ['trace id', last.traceId] : ['execution id', lane.executionId];
        io.copy(id);
        dispatch({ type: 'status', text: `copied ${what} ${id}` });
        break;
      }
      case 'filter':
        dispatch({ type: 'prompt/open' });
        break;
      case 'refresh':
        t.refresh(cursor.top, cursor.top + lanesHeight);
        break;
      default:
        move(c);
    }
  });

  const gaps = useMemo(() => findGaps(t.lanes), [t.lanes]);
  if (!jobId) return <Note>{'no job selected: pick one on the Jobs screen (tab) and press enter, or start with --job ID'}</Note>;
  if (t.error && count === 0) return <Note tone="bad">{fit(t.error, width)}</Note>;
  if (count === 0)
    return (
      <Note>
        {t.loading || !t.job
          ? `loading the timeline of ${jobId}…`
          : `job ${jobId} has no lanes${state.filters.timeline ? ` matching "${state.filters.timeline}"` : ''}`}
      </Note>
    );

  const labelWidth = Math.min(40, Math.max(16, Math.floor(width * 0.36)));
  // The label column (`answered`, `run 42s`…) only when the terminal leaves the bars room for it.
  const statusWidth = width - labelWidth - 7 - (LANE_LABEL_WIDTH + 1) >= 30 ? LANE_LABEL_WIDTH + 1 : 0;
  const barWidth = Math.max(10, width - labelWidth - 7 - statusWidth);
  const now = Date.now();
  const from = t.from ?? now;
  const to = Math.max(t.to ?? now, running ? now : 0, from + 1);
  const w = timeWindow(from, to, zoom, offset);
  const gapText = gaps
    .map((g) => `gap ${formatDuration(g.to - g.from)} (no attempt started ${clockTime(g.from)} → ${clockTime(g.to)})`)
    .join('  ');
  const visible = t.lanes.slice(cursor.top, cursor.top + lanesHeight);
  return (
    <Box flexDirection="column" height={height}>
      <Note tone="title">
        {fit(
          `${jobId} · ${t.job ? jobStatusText(t.job) : '?'}${state.filters.timeline ? ` · filter ${state.filters.timeline}` : ''} · lane ${cursor.index + 1}/${t.totalLanes}${t.complete ? '' : ` (${count} loaded)`} · zoom ×${zoom} · ${formatDuration(to - from)}${t.error ? ` · ${t.error}` : ''}`,
          width,
        )}
      </Note>
      <Note tone={gaps.length > 0 ? 'warn' : 'muted'}>{fit(gapText || 'no gaps', width)}</Note>
      <Note>{' '.repeat(labelWidth + 7 + statusWidth) + axisLine(w, barWidth, gaps, (x) => clockTime(x).slice(0, 8))}</Note>
      {visible.map((l, i) => {
        const selected = cursor.top + i === cursor.index;
        return (
          <Segments
            key={l.executionId}
            segments={[
              { text: `${selected ? '›' : ' '} ${fit(laneLabel(l), labelWidth, true)} `, tone: selected ? 'selected' : undefined },
              {
                text: `${markColumn(l.marks)} `,
                tone: l.marks.includes('impossible_times')
                  ? 'critical'
                  : l.marks.includes('duplicate') || l.marks.includes('out_of_spec')
                    ? 'warn'
                    : 'muted',
              },
              ...(statusWidth > 0 ? [laneStatusSegment(l, now)] : []),
              ...laneBar(l.attempts, w, barWidth, now, gaps),
            ]}
          />
        );
      })}
      <Box flexGrow={1} />
      {details && lane ? (
        <Box flexDirection="column" height={paneHeight}>
          <Note tone="title">{fit(laneSummary(lane), width)}</Note>
          {lane.attempts.length === 0 ? (
            <Note>{'no attempt yet'}</Note>
          ) : (
            detailLines.lines.slice(detailStart, detailStart + paneRows).map((text, i) => <Note key={i}>{text}</Note>)
          )}
        </Box>
      ) : null}
    </Box>
  );
}
