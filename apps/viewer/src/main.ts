import { ApiFailure, get, setToken, token } from './api.js';
import { h, replace, routeLink } from './dom.js';
import { cellPage } from './page-cell.js';
import { comparePage, trendsPage } from './page-compare.js';
import { findingsPage } from './page-findings.js';
import { jobPage } from './page-job.js';
import { jobsPage } from './page-jobs.js';
import type { Whoami } from './types.js';

/** What every page is given: where to draw, who is looking, the route's query, and a signal that ends with the page. */
export interface PageContext {
  main: HTMLElement;
  me: Whoami;
  params: URLSearchParams;
  signal: AbortSignal;
  /** Announces a line to screen readers and shows it in the status bar. */
  say: (text: string) => void;
}

const THEME_KEY = 'beacon.theme';

/** The route of a hash: its path segments (decoded) and its query. */
export function parseRoute(hash: string): { segments: string[]; params: URLSearchParams } {
  const raw = hash.replace(/^#\/?/, '');
  const [path = '', q = ''] = raw.split('?', 2);
  const segments = path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { segments, params: new URLSearchParams(q) };
}

let current: AbortController | null = null;
let me: Whoami | null = null;

function shell(): { main: HTMLElement; status: HTMLElement; who: HTMLElement } {
  const main = document.getElementById('main')!;
  const status = document.getElementById('status')!;
  const who = document.getElementById('who')!;
  return { main, status, who };
}

function applyTheme(theme: string | null): void {
  const t = theme === 'dark' || theme === 'light' ? theme : null;
  if (t) document.documentElement.setAttribute('data-theme', t);
  else document.documentElement.removeAttribute('data-theme');
  const button = document.getElementById('theme');
  if (button) {
    const dark = t === 'dark' || (t === null && matchMedia('(prefers-color-scheme: dark)').matches);
    button.setAttribute('aria-pressed', String(dark));
    button.textContent = dark ? 'Light theme' : 'Dark theme';
  }
}

function tokenForm(main: HTMLElement, message: string): void {
  const input = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h(
    'form',
    { class: 'token-form', 'aria-labelledby': 'token-title' },
    h('h1', { id: 'token-title' }, 'Sign in'),
    h('p', {}, message),
    h('label', { for: 'token' }, 'API token'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    h('p', { class: 'hint' }, 'The token is kept for this tab only and sent as an Authorization header, never in a link.'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value.trim());
    me = null;
    void route();
  });
  replace(main, form);
  input.focus();
}

async function whoami(): Promise<Whoami> {
  me ??= await get<Whoami>('/api/v1/whoami');
  return me;
}

function renderWho(who: HTMLElement, main: HTMLElement): void {
  if (!me) return replace(who);
  const out = h('button', { type: 'button', class: 'secondary', id: 'sign-out' }, 'Sign out');
  out.addEventListener('click', () => {
    setToken(null);
    me = null;
    renderWho(who, main);
    tokenForm(main, 'Signed out.');
  });
  replace(who, h('span', { 'data-role': me.role }, `${me.name} (${me.role})`), me.kind === 'token' ? out : null);
}

/** Draws the page of the current hash. */
export async function route(): Promise<void> {
  current?.abort();
  const ac = new AbortController();
  current = ac;
  const { main, status, who } = shell();
  const say = (text: string) => {
    status.textContent = text;
  };
  const { segments, params } = parseRoute(location.hash);
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    const active = a.getAttribute('href')?.replace(/^#\//, '').split('?')[0] === (segments[0] ?? 'jobs');
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  let user: Whoami;
  try {
    user = await whoami();
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) {
      renderWho(who, main);
      tokenForm(main, token() ? 'That token was not accepted. Enter another.' : 'This daemon needs an API token.');
      return;
    }
    replace(
      main,
      h('h1', {}, 'Beacon'),
      h('p', { class: 'error', role: 'alert' }, `Cannot reach the daemon: ${String((err as Error).message)}`),
    );
    return;
  }
  renderWho(who, main);
  const ctx: PageContext = { main, me: user, params, signal: ac.signal, say };
  replace(main, h('p', { class: 'loading' }, 'Loading…'));
  try {
    const [first, second, third, fourth] = segments;
    if (first === undefined || (first === 'jobs' && second === undefined)) await jobsPage(ctx);
    else if (first === 'jobs' && second !== undefined && third === undefined) await jobPage(ctx, second);
    else if (first === 'jobs' && second !== undefined && third === 'cells' && fourth !== undefined) await cellPage(ctx, second, fourth);
    else if (first === 'findings') await findingsPage(ctx);
    else if (first === 'compare') await comparePage(ctx);
    else if (first === 'trends') await trendsPage(ctx);
    else replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page here. '), routeLink(['jobs'], 'See the jobs'));
  } catch (err) {
    if (ac.signal.aborted) return;
    if (err instanceof ApiFailure && err.status === 401) {
      me = null;
      tokenForm(main, 'Your token is no longer accepted. Enter another.');
      return;
    }
    replace(
      main,
      h('h1', {}, 'Something went wrong'),
      h('p', { class: 'error', role: 'alert' }, err instanceof Error ? err.message : String(err)),
    );
  }
  if (!ac.signal.aborted && document.activeElement === document.body) main.focus({ preventScroll: true });
}

function start(): void {
  applyTheme(localStorage.getItem(THEME_KEY));
  document.getElementById('theme')?.addEventListener('click', () => {
    const dark = document.getElementById('theme')?.getAttribute('aria-pressed') === 'true';
    const next = dark ? 'light' : 'dark';
    localStorage.setItem(THEME_KEY, next);
    applyTheme(next);
  });
  window.addEventListener('hashchange', () => void route());
  if (!location.hash) history.replaceState(null, '', '#/jobs');
  void route();
}

start();
