import { get } from './api.js';
import { asText, h, replace, routeHref, routeLink, safeUrl, when } from './dom.js';
import type { PageContext } from './main.js';
import type { Attempt, Diff, Execution, ExecutionDetail, Page } from './types.js';

function text(value: string | null | undefined, attrs: Record<string, string> = {}): HTMLElement {
  return h('pre', { class: 'text', ...attrs }, value ?? '');
}

/** The trace link of an attempt from the daemon's `BEACON_TRACE_URL` template, if one is set. */
function traceLink(template: string | null, traceId: string): HTMLElement | null {
  if (!template) return null;
  const url = template.replaceAll('{traceId}', encodeURIComponent(traceId));
  if (!safeUrl(url) || url.startsWith('#')) return null;
  return h('a', { href: url, rel: 'noopener noreferrer', target: '_blank', 'data-trace': traceId }, 'Open trace');
}

function attemptItem(a: Attempt, cellRegion: string, template: string | null): HTMLElement {
  const facts = h('dl', { class: 'facts' });
  const add = (k: string, v: Node | string) => facts.append(h('dt', {}, k), h('dd', {}, v));
  add('Outcome', a.outcome ?? 'in flight');
  add('HTTP status', a.httpStatus === null ? '–' : String(a.httpStatus));
  add('Latency', a.latencyMs === null ? '–' : `${a.latencyMs} ms`);
  add('Tokens', `${a.inputTokens ?? '–'} in, ${a.outputTokens ?? '–'} out`);
  add('Runner', a.runnerId);
  add(
    'Served in',
    `${a.servedRegion ?? cellRegion}${a.servedRegion && a.servedRegion !== cellRegion ? ' (fallback)' : ''}${a.regionObserved ? `, provider reports ${a.regionObserved}` : ''}`,
  );
  add('Started', when(a.startedAt));
  add('Ended', when(a.endedAt));
  add('Trace', h('span', {}, a.traceId, ' ', traceLink(template, a.traceId)));
  return h(
    'li',
    { class: 'attempt', 'data-attempt': a.attempt, 'data-outcome': a.outcome ?? '' },
    h('h3', {}, `Attempt ${a.attempt}`),
    facts,
    a.error ? h('div', {}, h('h4', {}, 'Error'), text(asText(a.error), { class: 'text error-text' })) : null,
    h(
      'details',
      {},
      h('summary', {}, 'Prompts and parameters'),
      h('h4', {}, 'System prompt'),
      text(a.systemPrompt, { 'data-part': 'system-prompt' }),
      h('h4', {}, 'User prompt'),
      text(a.userPrompt, { 'data-part': 'user-prompt' }),
      h('h4', {}, 'Parameters'),
      text(asText(a.parameters), { 'data-part': 'parameters' }),
    ),
    a.response !== null ? h('div', {}, h('h4', {}, 'Response'), text(a.response, { class: 'text attempt-response' })) : null,
  );
}

function diffView(d: Diff): HTMLElement {
  return h(
    'div',
    { class: 'diff', id: 'diff' },
    ...d.fields.map((f) =>
      h(
        'section',
        { 'data-field': f.field },
        h('h3', {}, f.field, f.equal ? ' (same)' : ''),
        f.equal
          ? text(f.a)
          : h(
              'pre',
              { class: 'text' },
              ...f.changes.map((c) => (c.op === 'equal' ? c.text : h(c.op === 'added' ? 'ins' : 'del', {}, c.text))),
            ),
      ),
    ),
  );
}

/** `#/jobs/J/cells/E?diff=F`: one cell, its attempts, the exact prompts and response, and a diff with another cell. */
export async function cellPage(ctx: PageContext, jobId: string, executionId: string): Promise<void> {
  if (!/^[1-9]\d{0,17}$/.test(executionId)) throw new Error(`not an execution id: ${executionId}`);
  const e = await get<ExecutionDetail>(`/api/v1/executions/${executionId}`, ctx.signal);
  const q = (params: Record<string, string>) => new URLSearchParams({ limit: '200', ...params }).toString();
  const [replicates, regions] = await Promise.all([
    get<Page<Execution>>(
      `/api/v1/executions?${q({ job: e.jobId, question: e.questionId, model: e.modelId, region: e.region })}`,
      ctx.signal,
    ),
    get<Page<Execution>>(`/api/v1/executions?${q({ job: e.jobId, question: e.questionId, model: e.modelId })}`, ctx.signal),
  ]);
  const facts = h('dl', { class: 'facts' });
  const add = (k: string, v: Node | string) => facts.append(h('dt', {}, k), h('dd', {}, v));
  add('Job', routeLink(['jobs', e.jobId], e.jobId));
  add('Question', e.questionId);
  add('Model', e.modelId);
  add('Region', e.region);
  add('Replicate', String(e.replicate));
  add('State', e.state);
  add('Label', h('span', { class: `badge label-${e.classification ?? 'none'}`, id: 'cell-label' }, e.classification ?? 'none'));

  const others = regions.items.filter((x) => x.id !== e.id && x.replicate === e.replicate);
  const chooser = h('select', { id: 'diff-with', name: 'diff' }, h('option', { value: '' }, 'choose a cell'));
  for (const o of others)
    chooser.appendChild(h('option', { value: o.id, selected: ctx.params.get('diff') === o.id }, `${o.region} (replicate ${o.replicate})`));
  for (const o of replicates.items.filter((x) => x.id !== e.id))
    chooser.appendChild(h('option', { value: o.id, selected: ctx.params.get('diff') === o.id }, `${o.region} replicate ${o.replicate}`));
  const otherJob = h('input', { id: 'diff-job', name: 'job', type: 'text', value: ctx.params.get('run') ?? '', placeholder: 'job id' });
  const form = h(
    'form',
    { class: 'filters', 'aria-label': 'Compare this cell' },
    h('label', { for: 'diff-with' }, 'Same question in another region', chooser),
    h('label', { for: 'diff-job' }, 'or the same cell in another run', otherJob),
    h('button', { type: 'submit' }, 'Show the diff'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    location.hash = routeHref(['jobs', jobId, 'cells', e.id], {
      diff: chooser.value || undefined,
      run: chooser.value ? undefined : otherJob.value.trim(),
    });
  });
  const diffBox = h('div', { id: 'diff-box' });

  replace(
    ctx.main,
    h('h1', {}, `Cell ${e.questionId} · ${e.modelId} · ${e.region}`),
    facts,
    replicates.items.length > 1
      ? h(
          'p',
          {},
          'Replicates: ',
          ...replicates.items.flatMap((r, i) => [
            i ? ', ' : '',
            r.id === e.id ? `#${r.replicate}` : routeLink(['jobs', jobId, 'cells', r.id], `#${r.replicate}`),
          ]),
        )
      : null,
    h('h2', {}, 'Response'),
    text(e.response, { id: 'cell-response' }),
    h('h2', {}, `Attempts (${e.attemptsLog.length})`),
    h('ol', { class: 'timeline', id: 'attempts' }, ...e.attemptsLog.map((a) => attemptItem(a, e.region, ctx.me.traceUrl))),
    h('h2', {}, 'Diff'),
    form,
    diffBox,
  );

  let other = ctx.params.get('diff');
  const run = ctx.params.get('run');
  if (!other && run) {
    const same = await get<Page<Execution>>(
      `/api/v1/executions?${q({ job: run, question: e.questionId, model: e.modelId, region: e.region })}`,
      ctx.signal,
    );
    const match = same.items.find((x) => x.replicate === e.replicate) ?? same.items[0];
    if (!match) replace(diffBox, h('p', { class: 'muted' }, `Job ${run} has no cell ${e.questionId} · ${e.modelId} · ${e.region}.`));
    other = match?.id ?? null;
  }
  if (other && /^[1-9]\d{0,17}$/.test(other)) {
    const d = await get<Diff>(`/api/v1/diff?a=${e.id}&b=${other}`, ctx.signal);
    replace(diffBox, h('p', { class: 'muted' }, `This cell (removed) against cell ${other} (added).`), diffView(d));
  }
}
