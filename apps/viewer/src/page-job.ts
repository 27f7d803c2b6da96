import { actionBar } from './actions.js';
import { ApiFailure, download, get, getPatiently } from './api.js';
import { h, num, pct, replace, routeHref, routeLink, when } from './dom.js';
import { liveRefresh } from './live.js';
import type { PageContext } from './main.js';
import { progress } from './page-jobs.js';
import { findingsTable } from './page-findings.js';
import {
  LABELS,
  type Analysis,
  type Finding,
  type JobDetail,
  type JobSummaryAnswer,
  type MatrixCell,
  type MatrixPage,
  type Page,
} from './types.js';

/** Height of a matrix row in pixels (the CSS's `.matrix-row`). */
export const ROW_HEIGHT = 28;
/**
 * Questions per matrix page read from the API. Small pages because the page's JSON is parsed on the main thread in
 * the frame it arrives: at 200 rows (about 1 MB at 20 columns) that frame took 50–65 ms; at 50 rows, scrolling 100,000
 * cells in `npm run bench:viewer` keeps p95 16.8 ms and p99 33.4 ms a frame (200 rows, 10 of overscan, new rows each
 * frame: p95 50–67 ms).
 */
const PAGE_ROWS = 50;
/** Rows drawn above and below the visible ones: few, as each costs its cells' style, layout and paint every frame. */
const OVERSCAN = 4;
/** Row elements kept out of the document for reuse. */
const SPARE_ROWS = 64;

/** What a matrix cell says in text: its majority label, else what its cells are doing. */
export function cellText(c: MatrixCell | null): string {
  if (!c) return '–';
  if (c.label) return c.responses > 1 && c.labels[c.label] < c.responses ? `${c.label} ${c.labels[c.label]}/${c.responses}` : c.label;
  if (c.running) return 'running';
  if (c.pending) return 'pending';
  if (c.failed) return 'failed';
  if (c.cancelled) return 'cancelled';
  return 'no label';
}

/**
 * The questions × (model, region) matrix as a virtual list: the API is read a page of questions at a time as they
 * scroll into view, and only the rows in view (plus a few) are in the document, so a job of 100,000 cells draws as
 * fast as one of 100. `refresh()` re-reads the pages in view (live progress).
 */
export class MatrixView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly head: HTMLElement;
  private readonly pages = new Map<number, MatrixPage | Promise<MatrixPage>>();
  /** The number of the newest request of each page (see `load`). */
  private readonly requested = new Map<number, number>();
  private columns: MatrixPage['columns'] = [];
  /** The rows in the document by row index. */
  private readonly drawn = new Map<number, HTMLElement>();
  /** Row elements out of the document, kept to be filled again (at most SPARE_ROWS). */
  private readonly spare: HTMLElement[] = [];
  /** Pages being read for a draw. */
  private readonly waiting = new Set<number>();
  private total = 0;
  private frame = 0;
  /**
   * The keyboard's cell (row index, column index): the one link of the matrix in the tab order (a roving tabindex), so
   * Tab enters the matrix once, the arrow keys move between cells and Enter opens the cell.
   */
  private active = { row: 0, col: 0 };
  /** A row the keyboard moved to before its page was read: focused once it is drawn. */
  private focusPending = false;

  constructor(
    private readonly jobId: string,
    private readonly signal: AbortSignal,
  ) {
    this.head = h('div', { class: 'matrix-head', role: 'row', 'aria-rowindex': 1 });
    this.body = h('div', { class: 'matrix-body', role: 'rowgroup' });
    this.element = h(
      'div',
      { class: 'matrix', id: 'matrix', role: 'table', 'aria-label': 'Labels by question, model and region', tabindex: 0 },
      h('div', { role: 'rowgroup' }, this.head),
      this.body,
    );
    this.element.addEventListener('scroll', () => this.schedule());
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    // A cell focused by a click (or a screen reader) becomes the keyboard's cell.
    this.element.addEventListener('focusin', (e) => {
      const link = e.target instanceof HTMLAnchorElement ? e.target : null;
      const rowEl = link?.closest<HTMLElement>('.matrix-row');
      if (!link || !rowEl) return;
      const row = Number(rowEl.getAttribute('aria-rowindex')) - 2;
      const col = Number(link.dataset.col);
      if (row === this.active.row && col === this.active.col) return;
      this.linkAt(this.active.row, this.active.col)?.setAttribute('tabindex', '-1');
      this.active = { row, col };
      link.setAttribute('tabindex', '0');
    });
  }

  /** Arrow keys, Home/End (first/last column), PageUp/PageDown and Ctrl+Home/End move the keyboard's cell. */
  private onKey(e: KeyboardEvent): void {
    if (this.total === 0 || this.columns.length === 0 || e.altKey || e.metaKey) return;
    const page = Math.max(1, Math.floor((this.element.clientHeight - this.body.offsetTop) / ROW_HEIGHT) - 1);
    let { row, col } = this.active;
    // From the scroll box itself, the first arrow key goes to the keyboard's cell where it is.
    if (e.target === this.element && e.key.startsWith('Arrow')) {
      e.preventDefault();
      this.moveTo(row, col);
      return;
    }
    switch (e.key) {
      case 'ArrowDown':
        row += 1;
        break;
      case 'ArrowUp':
        row -= 1;
        break;
      case 'ArrowRight':
        col += 1;
        break;
      case 'ArrowLeft':
        col -= 1;
        break;
      case 'PageDown':
        row += page;
        break;
      case 'PageUp':
        row -= page;
        break;
      case 'Home':
        if (e.ctrlKey) row = 0;
        col = 0;
        break;
      case 'End':
        if (e.ctrlKey) row = this.total - 1;
        col = this.columns.length - 1;
        break;
      default:
        return; // Enter is the focused link's own: it opens the cell.
    }
    e.preventDefault();
    this.moveTo(Math.min(this.total - 1, Math.max(0, row)), Math.min(this.columns.length - 1, Math.max(0, col)));
  }

  /** Makes (row, col) the keyboard's cell: scrolled into view below the sticky head, drawn, focused. */
  private moveTo(row: number, col: number): void {
    this.linkAt(this.active.row, this.active.col)?.setAttribute('tabindex', '-1');
    this.active = { row, col };
    const top = row * ROW_HEIGHT;
    const view = this.element.clientHeight - this.body.offsetTop;
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + ROW_HEIGHT > this.element.scrollTop + view) this.element.scrollTop = top + ROW_HEIGHT - view;
    this.focusPending = true;
    this.draw();
  }

  private linkAt(row: number, col: number): HTMLAnchorElement | null {
    const cell = this.drawn.get(row)?.children[col + 1];
    return cell?.querySelector('a') ?? null;
  }

  /** After a draw: the keyboard's cell is the tab stop, and focused if the keyboard just moved to it. */
  private settleFocus(): void {
    const link = this.linkAt(this.active.row, this.active.col);
    if (!link) return;
    link.setAttribute('tabindex', '0');
    if (this.focusPending) {
      this.focusPending = false;
      link.focus({ preventScroll: true });
    }
  }

  /** Reads the first page and draws. */
  async start(): Promise<void> {
    const first = await this.load(0);
    this.columns = first.columns;
    this.total = first.total;
    this.element.style.setProperty('--cols', String(this.columns.length));
    this.element.setAttribute('aria-rowcount', String(this.total + 1));
    this.element.setAttribute('aria-colcount', String(this.columns.length + 1));
    replace(
      this.head,
      h('div', { role: 'columnheader' }, 'Question'),
      ...this.columns.map((c) =>
        h(
          'div',
          { role: 'columnheader', title: `${c.modelId} / ${c.region}` },
          h('span', { class: 'model' }, c.modelId),
          h('span', {}, c.region),
        ),
      ),
    );
    this.body.style.height = `${this.total * ROW_HEIGHT}px`;
    // A small job gets a small box; a large one scrolls inside at most 640 pixels.
    this.element.style.height = `${Math.min(640, (Math.max(this.total, 1) + 3) * ROW_HEIGHT)}px`;
    this.draw();
  }

  /** Re-reads the pages in view, then draws (older pages are dropped, read again when scrolled to). */
  async refresh(): Promise<void> {
    const [a, b] = this.visiblePages();
    const keep = new Set<number>();
    for (let p = a; p <= b; p++) keep.add(p);
    for (const p of [...this.pages.keys()]) if (!keep.has(p)) this.pages.delete(p);
    await Promise.all([...keep].map((p) => this.load(p, true)));
    // The rows drawn are written again in place, so the keyboard's cell keeps the focus if it had it.
    for (const [i, el] of this.drawn) {
      const page = this.pages.get(Math.floor(i / PAGE_ROWS));
      const data = page && !(page instanceof Promise) ? page.rows[i - page.offset] : undefined;
      if (data && el.dataset.question !== undefined) this.fill(el, i, data);
    }
    this.draw();
  }

  private visibleRows(): [number, number] {
    const top = this.element.scrollTop;
    const height = this.element.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.total - 1, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
    return [first, last];
  }

  private visiblePages(): [number, number] {
    const [first, last] = this.visibleRows();
    return [Math.floor(first / PAGE_ROWS), Math.floor(Math.max(first, last) / PAGE_ROWS)];
  }

  private load(page: number, fresh = false): Promise<MatrixPage> {
    const have = this.pages.get(page);
    if (have && !fresh) return Promise.resolve(have);
    // Refreshes of one page overlap under a stream of events: only the answer to the newest request is kept, so an
    // earlier one arriving late never draws the cells as they were before.
    const mine = (this.requested.get(page) ?? 0) + 1;
    this.requested.set(page, mine);
    const newest = () => this.requested.get(page) === mine;
    const p = get<MatrixPage>(
      `/api/v1/jobs/${encodeURIComponent(this.jobId)}/matrix?offset=${page * PAGE_ROWS}&limit=${PAGE_ROWS}`,
      this.signal,
    ).then((m) => {
      if (newest()) this.pages.set(page, m);
      return m;
    });
    if (!have) this.pages.set(page, p);
    p.catch(() => {
      if (newest()) this.pages.delete(page);
    });
    return p;
  }

  /** Draws once in the next frame however many scroll events and page answers come before it. */
  private schedule(): void {
    if (!this.frame) this.frame = requestAnimationFrame(() => ((this.frame = 0), this.draw()));
  }

  /** Draws the rows in view from the pages read; pages not read yet are requested and drawn when they arrive. */
  draw(): void {
    if (this.total === 0) {
      replace(this.body, h('div', { role: 'row' }, h('div', { role: 'cell' }, 'No questions.')));
      return;
    }
    const [first, last] = this.visibleRows();
    // Rows already drawn from data stay in place; a scroll step only fills the rows that came into view, reusing the
    // elements of those that left it (their cells are rewritten, not made again), so a frame costs a few rows however
    // large the job. A row holding the focus is never reused: it leaves the document, as the focus would expect.
    const free: HTMLElement[] = [];
    for (const [i, el] of this.drawn) {
      if (i >= first && i <= last) continue;
      this.drawn.delete(i);
      if (el.dataset.question !== undefined && !el.contains(document.activeElement)) free.push(el);
      else el.remove();
    }
    let missing: number | null = null;
    for (let i = first; i <= last; i++) {
      const have = this.drawn.get(i);
      if (have && have.dataset.question !== undefined) continue;
      const page = this.pages.get(Math.floor(i / PAGE_ROWS));
      const data = page && !(page instanceof Promise) ? page.rows[i - page.offset] : undefined;
      // A row still without its page asks for it, even if its placeholder is drawn already: the view may span two
      // pages, and the second is read once the first has arrived.
      if (!data && (!page || page instanceof Promise)) missing ??= Math.floor(i / PAGE_ROWS);
      if (have && !data) continue;
      let el: HTMLElement;
      if (data) {
        const reused = free.pop() ?? this.spare.pop();
        el = this.fill(reused ?? this.emptyRow(), i, data);
        if (!reused?.isConnected) this.body.appendChild(el);
        if (have) have.remove();
      } else {
        el = this.placeholder(i);
        if (have) have.replaceWith(el);
        else this.body.appendChild(el);
      }
      this.drawn.set(i, el);
    }
    // Rows not reused this frame leave the document; a few are kept for the next frames.
    for (const el of free) {
      el.remove();
      if (this.spare.length < SPARE_ROWS) this.spare.push(el);
    }
    this.settleFocus();
    if (missing !== null && !this.waiting.has(missing)) {
      this.waiting.add(missing);
      void this.load(missing)
        .then(
          () => this.schedule(),
          () => undefined,
        )
        .finally(() => this.waiting.delete(missing));
    }
  }

  private placeholder(i: number): HTMLElement {
    const el = h('div', { class: 'matrix-row', role: 'row', 'aria-rowindex': i + 2 }, h('div', { role: 'rowheader' }, '…'));
    el.style.top = `${i * ROW_HEIGHT}px`;
    return el;
  }

  /** A row element with its header and one cell per column, to be filled by `fill`. */
  private emptyRow(): HTMLElement {
    return h(
      'div',
      { class: 'matrix-row', role: 'row' },
      h('div', { role: 'rowheader' }),
      ...this.columns.map((col) => h('div', { role: 'cell', 'data-model': col.modelId, 'data-region': col.region })),
    );
  }

  /** Writes question row `i` into a row element made by `emptyRow` (new or reused): its header, cells and place. */
  private fill(el: HTMLElement, i: number, row: MatrixPage['rows'][number]): HTMLElement {
    el.setAttribute('aria-rowindex', String(i + 2));
    el.dataset.question = row.questionId;
    el.style.top = `${i * ROW_HEIGHT}px`;
    const header = el.firstElementChild as HTMLElement;
    header.title = row.text;
    header.textContent = row.questionId;
    for (let k = 0; k < this.columns.length; k++) {
      const cellEl = el.children[k + 1] as HTMLElement;
      const c = row.cells[k] ?? null;
      const col = this.columns[k]!;
      const text = cellText(c);
      cellEl.className = `cell label-${c?.label ?? 'none'}`;
      cellEl.dataset.label = c?.label ?? '';
      if (!c) {
        cellEl.textContent = text;
        continue;
      }
      let link = cellEl.firstElementChild as HTMLAnchorElement | null;
      if (!link) {
        link = h('a', { tabindex: -1, 'data-col': k });
        cellEl.textContent = '';
        cellEl.appendChild(link);
      } else link.setAttribute('tabindex', '-1');
      link.setAttribute('href', routeHref(['jobs', this.jobId, 'cells', c.firstExecutionId]));
      link.setAttribute('aria-label', `${row.questionId}, ${col.modelId}, ${col.region}: ${text}`);
      link.textContent = text;
    }
    return el;
  }
}

function legend(): HTMLElement {
  return h(
    'div',
    { class: 'legend', 'aria-label': 'Label colours' },
    ...LABELS.map((l) => h('span', { class: `label-${l}` }, l)),
    h('span', { class: 'label-none' }, 'no response yet'),
  );
}

function facts(job: JobDetail): HTMLElement {
  const dl = h('dl', { class: 'facts' });
  const add = (k: string, v: Node | string) => dl.append(h('dt', {}, k), h('dd', {}, v));
  add(
    'Status',
    h(
      'span',
      { id: 'job-status' },
      job.status + (job.cancelRequestedAt && job.status === 'running' ? ' (cancelling)' : job.pausedAt ? ' (paused)' : ''),
    ),
  );
  add('Benchmark', job.benchmark);
  add('Progress', h('span', { id: 'job-progress' }, progress(job)));
  const s = job.cells.byState;
  add(
    'Cells',
    `${s.succeeded ?? 0} succeeded, ${s.failed ?? 0} failed, ${s.running ?? 0} running, ${s.pending ?? 0} pending, ${s.cancelled ?? 0} cancelled`,
  );
  add('Submitter', job.submitter ?? '–');
  add('Created', when(job.createdAt));
  add('Finished', when(job.finishedAt));
  add(
    'Cost',
    job.cost.usd === null
      ? 'unknown'
      : `$${job.cost.usd.toFixed(4)}${job.cost.unknownCalls ? ` (+${job.cost.unknownCalls} calls unpriced)` : ''}`,
  );
  return dl;
}

function refusalTable(refusals: JobSummaryAnswer['refusals']): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { id: 'refusals' },
      h('caption', { class: 'muted' }, 'Refusal rate by model and region, with its 95 % Wilson interval'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Model'),
          h('th', { scope: 'col' }, 'Region'),
          h('th', { scope: 'col', class: 'num' }, 'Refused'),
          h('th', { scope: 'col', class: 'num' }, 'Rate'),
          h('th', { scope: 'col', class: 'num' }, '95 % interval'),
        ),
      ),
      h(
        'tbody',
        {},
        ...refusals.map((c) =>
          h(
            'tr',
            { 'data-model': c.modelId, 'data-region': c.region },
            h('td', {}, c.modelId),
            h('td', {}, c.region),
            h('td', { class: 'num' }, `${c.refusal.count}/${c.refusal.of}`),
            h('td', { class: 'num' }, pct(c.refusal.rate)),
            h('td', { class: 'num' }, c.refusal.low === null ? '–' : `${pct(c.refusal.low)}–${pct(c.refusal.high)}`),
          ),
        ),
      ),
    ),
  );
}

function fullDivergenceTable(jobId: string, a: Analysis, limit: number): HTMLElement {
  const pairs = a.pairs.slice(0, limit);
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'muted' },
      `Noise floor (highest divergence of the control questions): ${num(a.noiseFloor.overall)}. `,
      a.pairs.length > limit ? `The ${limit} most divergent of ${a.pairs.length} pairs.` : '',
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'divergence-full' },
        h('caption', { class: 'muted' }, 'Divergence between regions per question and model, most divergent first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Question'),
            h('th', { scope: 'col' }, 'Model'),
            h('th', { scope: 'col', class: 'num' }, 'Divergence'),
            h('th', { scope: 'col', class: 'num' }, 'Band'),
            h('th', { scope: 'col', class: 'num' }, 'Noise floor'),
            h('th', { scope: 'col' }, 'Above noise'),
            h('th', { scope: 'col' }, 'Pattern'),
          ),
        ),
        h(
          'tbody',
          {},
          ...pairs.map((p) =>
            h(
              'tr',
              { 'data-question': p.questionId, 'data-model': p.modelId },
              h('td', {}, routeLink(['jobs', jobId], p.questionId), p.isControl ? ' (control)' : ''),
              h('td', {}, p.modelId),
              h('td', { class: 'num' }, num(p.divergence)),
              h('td', { class: 'num' }, p.band ? `${num(p.band.low)}–${num(p.band.high)}` : '–'),
              h('td', { class: 'num' }, num(p.noiseFloor)),
              h('td', {}, p.exceedsNoise === null ? '–' : p.exceedsNoise ? 'yes' : 'no'),
              h('td', {}, p.pattern),
            ),
          ),
        ),
      ),
    ),
  );
}

/** Rows of label divergence per page of the summary. */
const DIVERGENCE_ROWS = 50;

/**
 * Label divergence per (question, model) from the job's summary, a page at a time: how often two responses from two
 * regions carry different labels, against the same measure on the control questions.
 */
function labelDivergenceTable(jobId: string, d: JobSummaryAnswer['divergence'], go: (offset: number) => void): HTMLElement {
  const last = Math.min(d.offset + d.items.length, d.total);
  const prev = h('button', { type: 'button', class: 'secondary', 'data-page': 'prev', disabled: d.offset === 0 }, 'Previous');
  const next = h('button', { type: 'button', class: 'secondary', 'data-page': 'next', disabled: last >= d.total }, 'Next');
  prev.addEventListener('click', () => go(Math.max(0, d.offset - d.limit)));
  next.addEventListener('click', () => go(d.offset + d.limit));
  return h(
    'div',
    { id: 'divergence-box' },
    h(
      'p',
      { class: 'muted', id: 'divergence-facts' },
      `Noise floor (highest label divergence of the control questions): ${num(d.noiseFloor.overall)}. `,
      `${d.aboveNoise} of ${d.compared} compared pairs above their noise floor. `,
      d.total ? `Pairs ${d.offset + 1}–${last} of ${d.total}, most divergent first.` : 'No pairs yet.',
    ),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { id: 'divergence' },
        h(
          'caption',
          { class: 'muted' },
          'Label divergence between regions per question and model: the share of two responses from two regions with different labels',
        ),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Question'),
            h('th', { scope: 'col' }, 'Model'),
            h('th', { scope: 'col', class: 'num' }, 'Label divergence'),
            h('th', { scope: 'col', class: 'num' }, 'Regions'),
            h('th', { scope: 'col', class: 'num' }, 'Noise floor'),
            h('th', { scope: 'col' }, 'Above noise'),
          ),
        ),
        h(
          'tbody',
          {},
          ...d.items.map((p) =>
            h(
              'tr',
              { 'data-question': p.questionId, 'data-model': p.modelId, 'data-variant': p.variant },
              h('td', {}, routeLink(['jobs', jobId], p.questionId), p.isControl ? ' (control)' : '', p.variant ? ` [${p.variant}]` : ''),
              h('td', {}, p.modelId),
              h('td', { class: 'num' }, num(p.disagreement)),
              h('td', { class: 'num' }, p.regions),
              h('td', { class: 'num' }, num(p.noiseFloor)),
              h('td', {}, p.aboveNoise === null ? '–' : p.aboveNoise ? 'yes' : 'no'),
            ),
          ),
        ),
      ),
    ),
    h('div', { class: 'pager', role: 'group', 'aria-label': 'Divergence pages' }, prev, next),
  );
}

/** The downloads of a job: its report in each format, and its evidence bundle (what `beacon verify` checks). */
const DOWNLOADS = [
  { key: 'md', label: 'Report (Markdown)', path: (id: string) => `/api/v1/jobs/${id}/report?format=md`, ext: 'md' },
  { key: 'json', label: 'Report (JSON)', path: (id: string) => `/api/v1/jobs/${id}/report?format=json`, ext: 'json' },
  { key: 'csv', label: 'Report (CSV)', path: (id: string) => `/api/v1/jobs/${id}/report?format=csv`, ext: 'csv' },
  { key: 'html', label: 'Report (HTML)', path: (id: string) => `/api/v1/jobs/${id}/report?format=html`, ext: 'html' },
  { key: 'bundle', label: 'Evidence bundle', path: (id: string) => `/api/v1/jobs/${id}/bundle`, ext: 'bundle.json' },
] as const;

function downloads(ctx: PageContext, jobId: string): HTMLElement {
  const bar = h('div', { class: 'downloads', role: 'group', 'aria-label': 'Downloads' });
  for (const d of DOWNLOADS) {
    const b = h('button', { type: 'button', class: 'secondary', 'data-download': d.key }, d.label);
    b.addEventListener('click', () => {
      ctx.say(`Preparing the ${d.label}…`);
      download(d.path(encodeURIComponent(jobId)), `${jobId.replace(/[^A-Za-z0-9_.-]/g, '_')}.${d.ext}`).then(
        () => ctx.say(`${d.label} downloaded`),
        (err: unknown) => ctx.say(`Download failed: ${err instanceof Error ? err.message : String(err)}`),
      );
    });
    bar.appendChild(b);
  }
  return bar;
}

/** `#/jobs/ID`: the job's facts, actions, matrix, refusal rates, divergence, findings and downloads. */
export async function jobPage(ctx: PageContext, jobId: string): Promise<void> {
  const path = `/api/v1/jobs/${encodeURIComponent(jobId)}`;
  let job = await get<JobDetail>(path, ctx.signal);
  const factsBox = h('div', { id: 'job-facts' }, facts(job));
  const actionsBox = h('div', { id: 'job-actions' });
  const drawActions = () =>
    replace(
      actionsBox,
      actionBar(ctx.me, job, ctx.say, () => void reload()),
    );
  drawActions();
  const matrix = new MatrixView(jobId, ctx.signal);
  const analysisBox = h('div', { id: 'analysis' }, h('p', { class: 'loading' }, 'Reading the summary…'));
  const findingsBox = h('div', { id: 'job-findings' });
  replace(
    ctx.main,
    h('h1', {}, 'Job ', h('span', { class: 'id' }, job.id)),
    factsBox,
    actionsBox,
    downloads(ctx, jobId),
    h('p', {}, routeLink(['compare'], 'Compare with another job', {}), ' · ', routeLink(['findings'], 'All findings')),
    h('h2', { id: 'matrix-title' }, 'Matrix'),
    legend(),
    matrix.element,
    h('h2', {}, 'Refusal rates'),
    analysisBox,
    h('h2', {}, 'Findings of the reconciler'),
    findingsBox,
  );
  matrix.element.setAttribute('aria-describedby', 'matrix-title');

  // The first view of the results is the job's summary (a few kilobytes, aggregated by the database); the full
  // analysis, with text divergence and bootstrap bands, is computed only when asked for (or downloaded as a report).
  let divergenceOffset = 0;
  const drawSummary = async () => {
    try {
      const s = await get<JobSummaryAnswer>(`${path}/summary?offset=${divergenceOffset}&limit=${DIVERGENCE_ROWS}`, ctx.signal);
      const goTo = (offset: number) => {
        divergenceOffset = offset;
        void drawSummary();
      };
      replace(
        analysisBox,
        refusalTable(s.refusals),
        h('h2', {}, 'Divergence per question'),
        labelDivergenceTable(jobId, s.divergence, goTo),
        h(
          'p',
          { id: 'findings-count' },
          `${s.findings.open} open finding${s.findings.open === 1 ? '' : 's'}`,
          s.findings.open ? ` (${['critical', 'warning', 'info'].map((k) => `${s.findings.bySeverity[k] ?? 0} ${k}`).join(', ')})` : '',
        ),
        fullBox,
      );
    } catch (err) {
      if (ctx.signal.aborted) return;
      replace(
        analysisBox,
        h('p', { class: 'muted' }, err instanceof ApiFailure ? `The summary is not available: ${err.message}` : String(err)),
      );
    }
  };
  const fullButton = h('button', { type: 'button', class: 'secondary', id: 'full-analysis' }, 'Compute the full analysis');
  const fullBox = h(
    'div',
    { id: 'analysis-full' },
    h('p', { class: 'muted' }, 'Text divergence with bootstrap bands: computed on demand, which takes a while on a large job. '),
    fullButton,
  );
  fullButton.addEventListener('click', () => {
    replace(fullBox, h('p', { class: 'loading' }, 'Computing the full analysis…'));
    void getPatiently<Analysis>(`${path}/analysis`, ctx.signal).then(
      (a) => replace(fullBox, h('h2', {}, 'Text divergence per question'), fullDivergenceTable(jobId, a, 200)),
      (err: unknown) => {
        if (ctx.signal.aborted) return;
        replace(
          fullBox,
          h('p', { class: 'muted' }, err instanceof ApiFailure ? `The analysis is not available: ${err.message}` : String(err)),
        );
      },
    );
  });
  const drawFindings = async () => {
    const page = await get<Page<Finding>>(`/api/v1/findings?job=${encodeURIComponent(jobId)}&state=all&limit=200`, ctx.signal);
    replace(findingsBox, page.items.length ? findingsTable(page.items) : h('p', { class: 'muted' }, 'No findings for this job.'));
  };
  // Asked for together: the matrix's first page and the summary are each a small answer.
  void drawSummary();
  void drawFindings().catch(() => undefined);
  await matrix.start();

  // Reloads overlap (a live event's and an action's): an answer to an earlier request that arrives after a later one
  // is older than what is drawn, so it is dropped. Without this, the job read just before a pause, answered late,
  // drew the page unpaused again, offering pause instead of resume until the next event.
  let reloads = 0;
  const reload = async () => {
    const mine = ++reloads;
    const fresh = await get<JobDetail>(path, ctx.signal);
    if (mine !== reloads) return;
    job = fresh;
    replace(factsBox, facts(job));
    drawActions();
    await matrix.refresh();
  };
  let wasActive = job.status === 'queued' || job.status === 'running';
  liveRefresh(
    `job=${encodeURIComponent(jobId)}&kind=execution_state,job_state`,
    async () => {
      await reload();
      const active = job.status === 'queued' || job.status === 'running';
      if (wasActive && !active) {
        void drawSummary();
        void drawFindings().catch(() => undefined);
      }
      wasActive = active;
    },
    ctx.signal,
  );
}
