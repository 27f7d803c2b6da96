import { useMemo } from 'react';
import { Box } from 'ink';
import type { ExecutionView, LabelDivergence } from '@beacon/domain';
import { useResource } from '../hooks/use-resource.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { CROSS_KEYS } from '../keys/key-tables.js';
import { wrapSegments } from '../layout/diff-layout.js';
import { fit, oneLine } from '../layout/time-format.js';
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

/** One question × model: each region's answer with its label; the selected one in full below. Else the suspects list. */
export function CrossRegionScreen(props: ScreenProps) {
  return props.state.suspects && !props.state.cross ? <SuspectsList {...props} /> : <CrossAnswers {...props} />;
}

/** The pairs the suspects list reads: the API's largest page (a job has this many question × model pairs at most shown). */
export const SUSPECTS_PAGE = 500;

/** A share as a percentage in 4 columns (`  67%`, `   —` when unknown). */
function pct(v: number | null): string {
  return v === null ? '   —' : `${Math.round(v * 100)}%`.padStart(4);
}

/**
 * One suspects row: label disagreement across regions (with ▲ when above the noise floor of the control questions),
 * the floor, refused responses of all, regions, then the question, model and variant.
 */
export function suspectLine(p: LabelDivergence, width: number): string {
  const mark = p.isControl ? 'ctl' : p.aboveNoise ? ' ▲ ' : '   ';
  const refused = `${p.refused}/${p.responses}`.padStart(7);
  const place = `${p.questionId} × ${p.modelId}${p.variant ? ` [${p.variant}]` : ''}`;
  return fit(`${pct(p.disagreement)} ${mark} ${pct(p.noiseFloor)} ${refused} ${String(p.regions).padStart(3)}  ${place}`, width);
}

export const SUSPECTS_HEADER = 'DIFF      FLOOR REFUSED REG  QUESTION × MODEL';

function SuspectsList({ api, state, dispatch, width, height }: ScreenProps) {
  const jobId = state.suspects!.jobId;
  const res = useResource(`suspects:${jobId}`, () => api.getJobSummary(jobId, { limit: SUSPECTS_PAGE }), 5_000);
  const page = res.data?.divergence;
  const rows = page?.items ?? [];
  const listHeight = Math.max(1, height - 3);
  const { cursor, move } = useListCursor(state, dispatch, 'cross', rows.length, listHeight);
  useScreenKeys('cross', CROSS_KEYS, (c) => {
    if (c === 'open') {
      const sel = rows[cursor.index];
      if (sel) dispatch({ type: 'suspects/pick', target: { jobId, questionId: sel.questionId, modelId: sel.modelId } });
    } else if (c === 'suspects') res.reload();
    else if (c === 'filter') dispatch({ type: 'prompt/open' });
    else move(c);
  });
  if (res.error && !page) return <Note tone="bad">{fit(res.error, width)}</Note>;
  if (!page) return <Note>{`loading the suspects of job ${jobId}…`}</Note>;
  const shown = page.total > rows.length ? `the first ${rows.length} of ${page.total}` : `${page.total}`;
  const title =
    `suspects of job ${jobId}: ${shown} question × model pairs, most divergent first, then most refused · ` +
    `${page.aboveNoise} above the noise floor (${pct(page.noiseFloor.overall).trim()})`;
  return (
    <Box flexDirection="column" height={height}>
      <Note tone="title">{fit(title, width)}</Note>
      <Note>{fit(`  ${SUSPECTS_HEADER}`, width)}</Note>
      {rows.length === 0 ? <Note>{'  no labelled answers yet'}</Note> : null}
      {rows.slice(cursor.top, cursor.top + listHeight).map((p, i) => {
        const selected = cursor.top + i === cursor.index;
        return (
          <Segments
            key={`${p.questionId}|${p.modelId}|${p.variant}`}
            segments={[
              { text: selected ? '› ' : '  ', tone: selected ? 'selected' : undefined },
              { text: suspectLine(p, width - 2), tone: p.aboveNoise && !p.isControl ? 'bad' : undefined },
            ]}
          />
        );
      })}
    </Box>
  );
}

function CrossAnswers({ api, state, dispatch, width, height }: ScreenProps) {
  const target = state.cross;
  const key = target ? `${target.jobId}|${target.questionId}|${target.modelId}` : null;
  const res = useResource(
    key,
    () => api.listExecutions({ job: target!.jobId, question: target!.questionId, model: target!.modelId, limit: 500 }),
    3_000,
  );
  const rows = useMemo(() => crossRows(res.data?.items ?? []), [res.data]);
  const listHeight = Math.max(1, Math.min(rows.length, Math.floor((height - 2) / 2)));
  const { cursor, move } = useListCursor(state, dispatch, 'cross', rows.length, listHeight);
  useScreenKeys('cross', CROSS_KEYS, (c) => {
    if (c === 'filter') dispatch({ type: 'prompt/open' });
    else if (c === 'suspects') {
      const jobId = target?.jobId ?? state.jobId;
      if (jobId) dispatch({ type: 'open/suspects', jobId });
      else dispatch({ type: 'status', text: 'no job: open one from the Jobs screen, then v' });
    } else if (c === 'open') {
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

  if (!target)
    return <Note>{'no question picked: press c on a timeline lane, v for the suspects of a job, or / and type question=… model=…'}</Note>;
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
