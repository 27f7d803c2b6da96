import { useCallback, useEffect, useMemo, useRef } from 'react';
import { Box } from 'ink';
import type { DiffSideView } from '@beacon/domain';
import { useResource } from '../hooks/use-resource.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { DIFF_KEYS } from '../keys/key-tables.js';
import { diffLines } from '../layout/diff-layout.js';
import { fit } from '../layout/time-format.js';
import type { CursorMove } from '../state/list-cursor.js';
import { searchOf } from '../state/app.reducer.js';
import { rowMatches } from '../state/search.js';
import type { ScreenProps } from '../views/screen-props.js';
import { Note, Row, Segments } from '../views/segments.js';
import { useTheme } from '../views/theme.js';

/** `a  e953 us-east qwen2.5-1.5b q:… attempt 1 · answered`: which side is which. */
export function sideLine(name: string, s: DiffSideView): string {
  const id = s.legacyId ? `l${s.legacyId}` : `e${s.executionId}`;
  const what = s.kind === 'attempt' ? `${id} attempt ${s.attempt ?? '?'}` : id;
  return `${name}  ${what} · ${s.region} · ${s.modelId} · ${s.questionId}${s.replicate > 0 ? ` #${s.replicate}` : ''} · ${s.classification ?? 'no label'}`;
}

/**
 * Two executions or attempts field by field (system prompt, user prompt, parameters, response, classification),
 * side by side or unified, with changed words highlighted; without a chosen pair, the list of natural pairs.
 */
export function DiffScreen({ api, state, dispatch, width, height }: ScreenProps) {
  const { pairs, refs, unified, expanded } = state.diff;
  const plain = !useTheme().color;
  const diff = useResource(refs ? `${refs.a}|${refs.b}` : null, () => api.getDiff(refs!.a, refs!.b));
  const bodyHeight = Math.max(1, height - 2);
  const lines = useMemo(
    () => (diff.data ? diffLines(diff.data.fields, width, unified, plain, expanded) : []),
    [diff.data, width, unified, plain, expanded],
  );
  const count = refs ? Math.max(1, lines.length - bodyHeight + 1) : pairs.length;
  const listHeight = refs ? 1 : bodyHeight;
  const cursor = state.cursors.diff;
  useEffect(() => {
    dispatch({ type: 'cursor/clamp', screen: 'diff', count, height: listHeight });
  }, [count, listHeight, dispatch]);
  const move = useCallback(
    (m: CursorMove) => dispatch({ type: 'cursor', screen: 'diff', move: m, count, height: listHeight }),
    [dispatch, count, listHeight],
  );

  // --- search: a new search (or a newly loaded diff) jumps to the first matching line; n/N step on ---
  const words = searchOf(state, 'diff');
  const search = words.join(' ');
  const texts = useMemo(
    () => (refs ? lines.map((l) => l.map((seg) => seg.text).join('')) : pairs.map((p) => p.label)),
    [refs, lines, pairs],
  );
  const firstJump = useRef(false);
  useEffect(() => {
    firstJump.current = search !== '';
  }, [search, refs]);
  useEffect(() => {
    if (!firstJump.current || texts.length === 0) return;
    firstJump.current = false;
    dispatch({ type: 'search/step', screen: 'diff', texts, direction: 1, inclusive: true, count, height: listHeight });
  }, [search, texts, count, listHeight, dispatch]);
  const matchAt = state.searchAt.diff;

  useScreenKeys('diff', DIFF_KEYS, (c) => {
    switch (c) {
      case 'searchNext':
      case 'searchPrevious':
        dispatch({ type: 'search/step', screen: 'diff', texts, direction: c === 'searchNext' ? 1 : -1, count, height: listHeight });
        break;
      case 'open':
        if (!refs && pairs[cursor.index]) dispatch({ type: 'open/diff', pairs, refs: pairs[cursor.index] });
        break;
      case 'mode':
        dispatch({ type: 'diff/mode' });
        break;
      case 'expand':
        dispatch({ type: 'diff/expand' });
        break;
      case 'pairs':
        dispatch({ type: 'diff/pairs' });
        break;
      case 'filter':
        dispatch({ type: 'prompt/open' });
        break;
      default:
        move(c);
    }
  });

  if (!refs) {
    if (pairs.length === 0)
      return (
        <Note>{'nothing to compare yet: press / and type two execution ids (a:<id> for attempts), or press d on a timeline lane'}</Note>
      );
    return (
      <Box flexDirection="column" height={height}>
        <Note tone="title">{fit(`${pairs.length} pair${pairs.length === 1 ? '' : 's'} to compare`, width)}</Note>
        {pairs.slice(cursor.top, cursor.top + bodyHeight - 1).map((p, i) => (
          <Row key={`${p.a}|${p.b}`} selected={cursor.top + i === cursor.index}>
            {fit(p.label, width - 2)}
          </Row>
        ))}
      </Box>
    );
  }
  if (diff.error) return <Note tone="bad">{fit(`${refs.a} → ${refs.b}: ${diff.error}`, width)}</Note>;
  if (!diff.data) return <Note>{`comparing ${refs.a} and ${refs.b}…`}</Note>;
  return (
    <Box flexDirection="column" height={height}>
      <Note tone="removed">{fit(sideLine('a', diff.data.a), width)}</Note>
      <Note tone="added">{fit(sideLine('b', diff.data.b), width)}</Note>
      {lines.slice(cursor.index, cursor.index + bodyHeight).map((l, i) =>
        // The line of the current match is marked in the margin (the search's other matches are not: n finds them).
        cursor.index + i === matchAt && rowMatches(texts[matchAt] ?? '', words) ? (
          <Segments key={cursor.index + i} segments={[{ text: '›', tone: 'selected' }, ...l.slice(0)]} />
        ) : (
          <Segments key={cursor.index + i} segments={l} />
        ),
      )}
    </Box>
  );
}
