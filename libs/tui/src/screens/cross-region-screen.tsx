import { useCallback, useEffect, useMemo } from 'react';
import { Box } from 'ink';
import type { ExecutionView } from '@beacon/domain';
import { useResource } from '../hooks/use-resource.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { CROSS_KEYS } from '../keys/key-tables.js';
import { wrapSegments } from '../layout/diff-layout.js';
import { fit, oneLine } from '../layout/time-format.js';
import type { CursorMove } from '../state/list-cursor.js';
import type { ScreenProps } from '../views/screen-props.js';
import { Note, Segments } from '../views/segments.js';
import { stateTone } from '../views/theme.js';

/**
 * Every region's execution of one question × model, grouped by variant (a language or prompt variant is compared
 * across regions with itself only), then by region and replicate.
 */
export function crossRows(items: readonly ExecutionView[]): ExecutionView[] {
  return [...items].sort(
    (a, b) =>
      (a.variant ?? '').localeCompare(b.variant ?? '') ||
      a.region.localeCompare(b.region) ||
      a.replicate - b.replicate ||
      Number(a.id) - Number(b.id),
  );
}

/** A row's place: `[variant] region #replicate`, the variant only when it is not the default. */
function placeOf(r: ExecutionView): string {
  return `${r.variant ? `[${r.variant}] ` : ''}${r.region}${r.replicate > 0 ? ` #${r.replicate}` : ''}`;
}

/** One question × model: each region's answer with its label; the selected one in full below. */
export function CrossRegionScreen({ api, state, dispatch, width, height }: ScreenProps) {
  const target = state.cross;
  const key = target ? `${target.jobId}|${target.questionId}|${target.modelId}` : null;
  const res = useResource(
    key,
    () => api.listExecutions({ job: target!.jobId, question: target!.questionId, model: target!.modelId, limit: 500 }),
    3_000,
  );
  const rows = useMemo(() => crossRows(res.data?.items ?? []), [res.data]);
  const listHeight = Math.max(1, Math.min(rows.length, Math.floor((height - 2) / 2)));
  const cursor = state.cursors.cross;
  useEffect(() => {
    dispatch({ type: 'cursor/clamp', screen: 'cross', count: rows.length, height: listHeight });
  }, [rows.length, listHeight, dispatch]);
  const move = useCallback(
    (m: CursorMove) => dispatch({ type: 'cursor', screen: 'cross', move: m, count: rows.length, height: listHeight }),
    [dispatch, rows.length, listHeight],
  );
  useScreenKeys('cross', CROSS_KEYS, (c) => {
    if (c === 'filter') dispatch({ type: 'prompt/open' });
    else if (c === 'open') {
      const sel = rows[cursor.index];
      // Compared with the first answer of the same variant.
      const same = rows.filter((r) => (r.variant ?? '') === (sel?.variant ?? ''));
      const base = same[0];
      if (!base || !sel) return;
      const pairs = same.slice(1).map((r) => ({
        a: `e:${base.id}`,
        b: `e:${r.id}`,
        label: `${base.region} → ${r.region} (e${base.id} → e${r.id}, ${r.classification ?? r.state})`,
      }));
      const refs = pairs.find((p) => p.b === `e:${sel.id}`) ?? pairs[0];
      if (refs) dispatch({ type: 'open/diff', pairs, refs });
    } else move(c);
  });

  if (!target) return <Note>{'no question picked: press c on a timeline lane, or / and type question=… model=…'}</Note>;
  const title = `${target.questionId} × ${target.modelId} · job ${target.jobId} · ${rows.length} answer${rows.length === 1 ? '' : 's'}`;
  if (res.error) return <Note tone="bad">{fit(res.error, width)}</Note>;
  if (rows.length === 0) return <Note>{res.loading ? `loading ${title}…` : `no executions for ${title}`}</Note>;
  const regionWidth = Math.max(8, ...rows.map((r) => placeOf(r).length));
  const sel = rows[cursor.index];
  const full = sel
    ? wrapSegments([{ text: sel.response ?? (sel.state === 'succeeded' ? '(empty)' : `(${sel.state})`), tone: 'equal' }], width)
    : [];
  const room = Math.max(0, height - 2 - listHeight - 1);
  return (
    <Box flexDirection="column" height={height}>
      <Note tone="title">{fit(title, width)}</Note>
      {rows.slice(cursor.top, cursor.top + listHeight).map((r, i) => {
        const selected = cursor.top + i === cursor.index;
        const label = (r.classification ?? r.state).padEnd(10);
        const region = placeOf(r).padEnd(regionWidth);
        return (
          <Segments
            key={r.id}
            segments={[
              { text: `${selected ? '›' : ' '} ${region} `, tone: selected ? 'selected' : undefined },
              { text: label, tone: stateTone(r.classification ?? r.state) },
              { text: ` ${fit(oneLine(r.response ?? ''), Math.max(0, width - regionWidth - 14))}` },
            ]}
          />
        );
      })}
      <Note>
        {fit(
          sel
            ? `── ${placeOf(sel)} · e${sel.id} · ${sel.classification ?? sel.state}${sel.classificationRule ? ` (${sel.classificationRule})` : ''} ` +
                '─'.repeat(width)
            : '',
          width,
        )}
      </Note>
      {full.slice(0, room).map((l, i) => (
        <Segments key={i} segments={l} />
      ))}
    </Box>
  );
}
