import { useMemo } from 'react';
import { Box } from 'ink';
import type { FindingView } from '@beacon/domain';
import { useResource } from '../hooks/use-resource.js';
import { useListCursor } from '../hooks/use-list-cursor.js';
import { useScreenKeys } from '../hooks/use-screen-keys.js';
import { FINDINGS_KEYS } from '../keys/key-tables.js';
import { findingDetail } from '../layout/detail-text.js';
import { fit } from '../layout/time-format.js';
import type { AppAction, DiffPair } from '../state/app.reducer.js';
import { matchesFilter, parseFilter } from '../state/filter-query.js';
import type { ScreenProps } from '../views/screen-props.js';
import { Note, Segments } from '../views/segments.js';
import { stateTone } from '../views/theme.js';

const ids = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** Rules that only fire on imported history, whose evidence cites the Go runner's execution ids. */
const LEGACY_EVIDENCE = new Set(['duplicate_cell', 'batch_mode']);

/**
 * Where a finding's evidence is: a diff of its first two executions, else the timeline of its job; else a status line
 * saying why there is nowhere to go (a key that silently does nothing looks broken).
 */
export function evidenceTarget(f: FindingView): AppAction {
  const prefix = LEGACY_EVIDENCE.has(f.ruleId) ? 'l' : 'e';
  const [first, ...others] = ids(f.evidence.executionIds).map((id) => `${prefix}:${id}`);
  if (first !== undefined && others.length > 0) {
    const pairs: DiffPair[] = others.map((b) => ({ a: first, b, label: `${f.ruleId}: ${first} → ${b}` }));
    return { type: 'open/diff', pairs, refs: pairs[0] };
  }
  if (f.jobId) return { type: 'open/timeline', jobId: f.jobId };
  const one = first === undefined ? 'no executions as evidence' : `one execution as evidence (${first}), nothing to compare it with`;
  return { type: 'status', text: `finding ${f.id} (${f.ruleId}) has no job and ${one}` };
}

/** The timeline of a finding's job; else a status line saying the finding belongs to no job. */
export function timelineTarget(f: FindingView): AppAction {
  if (f.jobId) return { type: 'open/timeline', jobId: f.jobId };
  return { type: 'status', text: `finding ${f.id} (${f.ruleId}) belongs to no job: it has no timeline` };
}

const SEVERITY_RANK: Record<string, number> = { critical: 0, warning: 1, info: 2 };

/** Most severe first; within a severity, the API's order (most recent first) is kept. */
export function bySeverity(findings: readonly FindingView[]): FindingView[] {
  return [...findings].sort((a, b) => (SEVERITY_RANK[a.severity] ?? 3) - (SEVERITY_RANK[b.severity] ?? 3));
}

const SEVERITY: Record<string, string> = { critical: 'CRIT', warning: 'WARN', info: 'INFO' };

/** The reconciler's open findings, most recent first; enter jumps to the evidence. */
export function FindingsScreen({ api, state, dispatch, width, height, io }: ScreenProps) {
  const res = useResource('findings', () => api.listFindings({ state: 'open', limit: 500 }), 5_000);
  const filter = state.filters.findings;
  const rows = useMemo(() => {
    const q = parseFilter(filter);
    return bySeverity(res.data?.items ?? []).filter((f) =>
      matchesFilter(q, { rule: f.ruleId, severity: f.severity, job: f.jobId, summary: f.summary }),
    );
  }, [res.data, filter]);
  // The list takes the rows it has, up to half the screen; the selected finding in full gets the rest below it.
  const listHeight = Math.max(1, Math.min(rows.length, Math.ceil(height / 2)));
  const detailHeight = Math.max(1, height - listHeight - 1);
  const { cursor, move } = useListCursor(state, dispatch, 'findings', rows.length, listHeight);
  const sel = rows[cursor.index];
  useScreenKeys('findings', FINDINGS_KEYS, (c) => {
    if (c === 'filter') dispatch({ type: 'prompt/open' });
    else if (c === 'refresh') res.reload();
    else if (c === 'copy') {
      if (!sel) dispatch({ type: 'status', text: 'no finding selected' });
      else {
        io.copy(sel.id);
        dispatch({ type: 'status', text: `copied finding id ${sel.id}` });
      }
    } else if (c === 'open' || c === 'timeline') {
      if (!sel) dispatch({ type: 'status', text: 'no finding selected' });
      else dispatch(c === 'open' ? evidenceTarget(sel) : timelineTarget(sel));
    } else move(c);
  });

  if (res.error) return <Note tone="bad">{fit(res.error, width)}</Note>;
  if (rows.length === 0)
    return <Note>{res.loading ? 'loading findings…' : filter ? `no open finding matches "${filter}"` : 'no open findings'}</Note>;
  const ruleWidth = Math.min(26, Math.max(...rows.map((f) => f.ruleId.length)));
  const detail = sel ? findingDetail(sel, width).slice(0, detailHeight) : [];
  return (
    <Box flexDirection="column" height={height}>
      {rows.slice(cursor.top, cursor.top + listHeight).map((f, i) => {
        const selected = cursor.top + i === cursor.index;
        return (
          <Segments
            key={f.id}
            segments={[
              { text: selected ? '› ' : '  ', tone: selected ? 'selected' : undefined },
              { text: (SEVERITY[f.severity] ?? f.severity).padEnd(5), tone: stateTone(f.severity) },
              {
                text: `${fit(f.ruleId, ruleWidth, true)} ${fit(f.summary, Math.max(0, width - ruleWidth - 8))}`,
                tone: selected ? 'selected' : undefined,
              },
            ]}
          />
        );
      })}
      <Box flexGrow={1} />
      <Note>
        {fit(
          `── ${rows.length} open finding${rows.length === 1 ? '' : 's'}${filter ? ` matching "${filter}"` : ''} ` + '─'.repeat(width),
          width,
        )}
      </Note>
      {detail.map((l, i) => (
        <Note key={i} tone={i === 0 ? 'title' : undefined}>
          {l}
        </Note>
      ))}
    </Box>
  );
}
