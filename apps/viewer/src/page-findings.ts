import { get } from './api.js';
import { asText, h, replace, routeHref, routeLink, when } from './dom.js';
import type { PageContext } from './main.js';
import type { Finding, Page } from './types.js';

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

/** An evidence value: execution ids become links to their cells, everything else text. */
function evidence(f: Finding): HTMLElement {
  const list = h('ul', { class: 'evidence' });
  for (const [key, value] of Object.entries(f.evidence)) {
    const ids = Array.isArray(value) ? value : [value];
    const linkable = f.jobId !== null && /execution/i.test(key) && ids.every((v) => typeof v === 'string' || typeof v === 'number');
    list.appendChild(
      h(
        'li',
        {},
        `${key}: `,
        ...(linkable
          ? ids.flatMap((v, i) => {
              const id = String(v);
              return [i ? ', ' : '', /^[1-9]\d{0,17}$/.test(id) ? h('a', { href: routeHref(['jobs', f.jobId!, 'cells', id]) }, id) : id];
            })
          : [asText(value)]),
      ),
    );
  }
  return list;
}

/** Findings as a table: severity, rule, job, explanation and evidence. */
export function findingsTable(items: Finding[]): HTMLElement {
  const sorted = [...items].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'findings' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Severity'),
          h('th', { scope: 'col' }, 'Rule'),
          h('th', { scope: 'col' }, 'Job'),
          h('th', { scope: 'col' }, 'What it means'),
          h('th', { scope: 'col' }, 'Evidence'),
          h('th', { scope: 'col' }, 'Last seen'),
        ),
      ),
      h(
        'tbody',
        {},
        ...sorted.map((f) =>
          h(
            'tr',
            { 'data-finding': f.id, 'data-severity': f.severity },
            h('td', {}, h('span', { class: `badge sev-${f.severity}` }, f.severity)),
            h('td', {}, f.ruleId),
            h('td', {}, f.jobId ? routeLink(['jobs', f.jobId], f.jobId) : '–'),
            h('td', {}, f.summary, f.resolvedAt ? ` (resolved ${when(f.resolvedAt)})` : ''),
            h('td', {}, evidence(f)),
            h('td', {}, when(f.lastSeenAt), f.occurrences > 1 ? ` (${f.occurrences}×)` : ''),
          ),
        ),
      ),
    ),
  );
}

/** `#/findings?severity=&state=`: the reconciler's findings across jobs, most severe first. */
export async function findingsPage(ctx: PageContext): Promise<void> {
  const severity = ctx.params.get('severity') ?? '';
  const state = ctx.params.get('state') ?? 'open';
  const sev = h('select', { id: 'f-severity', name: 'severity' }, h('option', { value: '' }, 'any'));
  for (const s of ['critical', 'warning', 'info']) sev.appendChild(h('option', { value: s, selected: s === severity }, s));
  const st = h('select', { id: 'f-state', name: 'state' });
  for (const s of ['open', 'resolved', 'all']) st.appendChild(h('option', { value: s, selected: s === state }, s));
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter findings' },
    h('label', { for: 'f-severity' }, 'Severity', sev),
    h('label', { for: 'f-state' }, 'State', st),
    h('button', { type: 'submit' }, 'Filter'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = routeHref(['findings'], { severity: sev.value, state: st.value });
  });
  const params = new URLSearchParams({ state, limit: '500' });
  if (severity) params.set('severity', severity);
  const page = await get<Page<Finding>>(`/api/v1/findings?${params.toString()}`, ctx.signal);
  replace(
    ctx.main,
    h('h1', {}, 'Findings'),
    form,
    page.items.length ? findingsTable(page.items) : h('p', { class: 'muted' }, 'No findings.'),
  );
}
