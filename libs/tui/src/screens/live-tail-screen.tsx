import { useCallback, useMemo, type Dispatch } from 'react';
import { Box } from 'ink';
import type { LiveEventView } from '@beacon/domain';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { LIVE_KEYS } from '../keys/key-tables.js';
import { clockTime, fit } from '../layout/time-format.js';
import { matchesFilter, parseFilter } from '../state/filter-query.js';
import { clampCursor, moveCursor, type CursorMove } from '../state/list-cursor.js';
import { connectionText, isStale } from '../state/connection.js';
import { isGap, pendingWhilePaused, visibleEvents, type LiveTailAction, type LiveTailState } from '../state/live-tail.reducer.js';
import type { ScreenProps } from '../views/screen-props.js';
import { Note, Segments } from '../views/segments.js';
import { stateTone } from '../views/theme.js';

const KIND: Record<string, string> = {
  attempt_started: 'started',
  attempt_finished: 'finished',
  execution_state: 'cell',
  job_state: 'job',
  finding: 'finding',
};

/** One event as a line: time, kind, job, cell, attempt, outcome / state, label, latency. */
export function eventLine(e: LiveEventView): string {
  const cell = [e.executionId ? `e${e.executionId}` : null, e.attempt !== null ? `#${e.attempt}` : null, e.region, e.modelId, e.questionId]
    .filter(Boolean)
    .join(' ');
  const what =
    e.kind === 'finding' ? `${e.severity ?? ''} ${e.ruleId ?? ''}` : [e.outcome, e.state, e.classification].filter(Boolean).join(' ');
  const extra = [e.httpStatus !== null ? `HTTP ${e.httpStatus}` : null, e.latencyMs !== null ? `${e.latencyMs} ms` : null, e.runnerId]
    .filter(Boolean)
    .join(' ');
  return `${clockTime(e.at)} ${(KIND[e.kind] ?? e.kind).padEnd(8)} ${e.jobId} ${cell} · ${what}${extra ? ` · ${extra}` : ''}`;
}

/** The fields a live-tail filter can name. */
export const eventFields = (e: LiveEventView) => ({
  job: e.jobId,
  region: e.region,
  model: e.modelId,
  state: e.state,
  classification: e.classification,
  kind: e.kind,
  outcome: e.outcome,
  question: e.questionId,
  execution: e.executionId,
});

/** Props of the live tail: the screen's, plus the buffer kept by the app for the whole session. */
export interface LiveTailProps extends ScreenProps {
  readonly live: LiveTailState;
  readonly liveDispatch: Dispatch<LiveTailAction>;
}

/** Attempt and state events as they happen; only the visible rows of the bounded buffer are drawn. */
export function LiveTailScreen({ state, dispatch, width, height, live, liveDispatch }: LiveTailProps) {
  const filter = state.filters.live;
  const source = visibleEvents(live);
  const rows = useMemo(() => {
    const q = parseFilter(filter);
    // Gap marks stay whatever the filter: a hole in the stream is a hole in every filtered view of it.
    return filter ? source.filter((e) => isGap(e) || matchesFilter(q, eventFields(e))) : source;
  }, [source, filter]);
  const listHeight = Math.max(1, height - 1);
  const count = rows.length;
  // The cursor shown is derived while rendering (the newest row when following), so a batch of events costs one
  // render, not a second one to move the cursor; the stored cursor catches up when a key moves it.
  const stored = state.cursors.live;
  const cursor = live.follow ? moveCursor(stored, 'bottom', count, listHeight) : clampCursor(stored, count, listHeight);
  const move = useCallback(
    (m: CursorMove) => {
      if (live.follow) dispatch({ type: 'cursor', screen: 'live', move: 'bottom', count, height: listHeight });
      else dispatch({ type: 'cursor/clamp', screen: 'live', count, height: listHeight });
      if (m !== 'bottom') liveDispatch({ type: 'live/follow', on: false });
      dispatch({ type: 'cursor', screen: 'live', move: m, count, height: listHeight });
    },
    [dispatch, liveDispatch, live.follow, count, listHeight],
  );
  useScreenKeys('live', LIVE_KEYS, (c) => {
    if (c === 'pause') liveDispatch({ type: 'live/pause' });
    else if (c === 'follow') liveDispatch({ type: 'live/follow', on: !live.follow });
    else if (c === 'filter') dispatch({ type: 'prompt/open' });
    else if (c === 'open') {
      const e = rows[cursor.index];
      if (e && isGap(e)) dispatch({ type: 'status', text: 'a gap mark has no job: events may be missing here' });
      else if (e) dispatch({ type: 'open/timeline', jobId: e.jobId });
    } else move(c);
  });

  // The filter first: at 80 columns a long connection state must not push it out of sight.
  const status = [
    filter ? `filter ${filter} (${count})` : '',
    connectionText(live.connection),
    `${live.received} received`,
    `${live.events.length}/${live.capacity} kept`,
    live.frozen ? `paused (${pendingWhilePaused(live)} new)` : live.follow ? 'following' : 'scrolling',
  ]
    .filter(Boolean)
    .join(' · ');
  return (
    <Box flexDirection="column" height={height}>
      <Note tone={isStale(live.connection) ? 'warn' : 'good'}>{fit(status, width)}</Note>
      {count === 0 ? (
        <Note>{filter ? `no event matches "${filter}"` : 'waiting for events…'}</Note>
      ) : (
        rows.slice(cursor.top, cursor.top + listHeight).map((e, i) => {
          const selected = cursor.top + i === cursor.index;
          return (
            <Segments
              key={e.seq}
              segments={[
                {
                  text: `${selected ? '›' : ' '} ${fit(isGap(e) ? e.text : eventLine(e), width - 2)}`,
                  tone: selected ? 'selected' : isGap(e) ? 'warn' : stateTone(e.kind === 'finding' ? e.severity : (e.outcome ?? e.state)),
                },
              ]}
            />
          );
        })
      )}
    </Box>
  );
}
