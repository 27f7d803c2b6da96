import { get } from './api.js';
import { h, replace, routeHref, routeLink } from './dom.js';
import type { PageContext } from './main.js';
import type { Page, Schedule, TrendSeries } from './types.js';

/** Rows shown at most; the rest are counted. */
const MAX_ROWS = 500;

/** Cells × runs: each cell's label in each run, cells whose label changed first. */
function seriesTable(s: TrendSeries, caption: string): HTMLElement {
  const byCell = new Map<string, TrendSeries['points']>();
  for (const p of s.points) {
    const key = `${p.questionId}\u0000${p.model}\u0000${p.region}`;
    let list = byCell.get(key);
    if (!list) byCell.set(key, (list = []));
    list.push(p);
  }
  const cells = [...byCell.values()].map((points) => ({
    points,
    changed: new Set(points.map((p) => p.label ?? '')).size > 1,
  }));
  cells.sort((a, b) => Number(b.changed) - Number(a.changed));
  const changed = cells.filter((c) => c.changed).length;
  return h(
    'div',
    {},
    h('p', { id: 'changed-count' }, `${changed} of ${cells.length} cells changed label across ${s.runs.length} runs.`),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'series' },
        h('caption', { class: 'muted' }, caption),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Question'),
            h('th', { scope: 'col' }, 'Model'),
            h('th', { scope: 'col' }, 'Region'),
            ...s.runs.map((r) => h('th', { scope: 'col' }, routeLink(['jobs', r.jobId], r.jobId))),
          ),
        ),
        h(
          'tbody',
          {},
          ...cells.slice(0, MAX_ROWS).map(({ points, changed: diff }) => {
            const first = points[0]!;
            const byRun = new Map(points.map((p) => [p.runIndex, p]));
            return h(
              'tr',
              { 'data-changed': diff },
              h('td', {}, first.questionId),
              h('td', {}, first.model),
              h('td', {}, first.region),
              ...s.runs.map((r) => {
                const p = byRun.get(r.index);
                return h('td', { class: `label-${p?.label ?? 'none'}` }, p?.label ?? '–');
              }),
            );
          }),
        ),
      ),
    ),
    cells.length > MAX_ROWS ? h('p', { class: 'muted' }, `${cells.length - MAX_ROWS} more cells not shown.`) : null,
  );
}

/** `#/compare?a=&b=`: two jobs (runs) side by side, cell by cell. */
export async function comparePage(ctx: PageContext): Promise<void> {
  const a = ctx.params.get('a') ?? '';
  const b = ctx.params.get('b') ?? '';
  const ia = h('input', { id: 'cmp-a', name: 'a', value: a, required: true });
  const ib = h('input', { id: 'cmp-b', name: 'b', value: b, required: true });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Jobs to compare' },
    h('label', { for: 'cmp-a' }, 'First job', ia),
    h('label', { for: 'cmp-b' }, 'Second job', ib),
    h('button', { type: 'submit' }, 'Compare'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = routeHref(['compare'], { a: ia.value.trim(), b: ib.value.trim() });
  });
  replace(ctx.main, h('h1', {}, 'Compare two runs'), form);
  if (!a || !b) return;
  const s = await get<TrendSeries>(`/api/v1/trends?jobs=${encodeURIComponent(`${a},${b}`)}`, ctx.signal);
  ctx.main.appendChild(seriesTable(s, `Labels of ${a} and ${b}, cells that changed first`));
}

/** `#/trends?schedule=`: the runs of a schedule, each cell's label run by run. */
export async function trendsPage(ctx: PageContext): Promise<void> {
  const name = ctx.params.get('schedule') ?? '';
  const schedules = await get<Page<Schedule>>('/api/v1/schedules', ctx.signal).catch(() => ({ items: [] as Schedule[] }));
  const select = h('select', { id: 'trend-schedule', name: 'schedule' }, h('option', { value: '' }, 'choose a schedule'));
  for (const s of schedules.items)
    select.appendChild(h('option', { value: s.name, selected: s.name === name }, `${s.name} (${s.runs} runs)`));
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Schedule' },
    h('label', { for: 'trend-schedule' }, 'Schedule', select),
    h('button', { type: 'submit' }, 'Show trends'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = routeHref(['trends'], { schedule: select.value });
  });
  replace(ctx.main, h('h1', {}, 'Trends'), form);
  if (!name) {
    if (schedules.items.length === 0)
      ctx.main.appendChild(h('p', { class: 'muted' }, 'No schedules yet: trends appear once a schedule has runs.'));
    return;
  }
  const s = await get<TrendSeries>(`/api/v1/trends?schedule=${encodeURIComponent(name)}&last=20`, ctx.signal);
  ctx.main.appendChild(seriesTable(s, `Labels of the last ${s.runs.length} runs of ${name}`));
}
