/**
 * The only way the viewer puts anything on the page: elements made with createElement, text set as text nodes. No
 * HTML string is ever parsed, so a stored prompt, response, error or id shows as the characters it holds, whatever
 * markup they spell.
 */

export type Child = Node | string | number | null | undefined | false;

/** Attributes an element may be given; `href` only as a route of this page or a path of this origin's API. */
export type Attrs = Record<string, string | number | boolean | null | undefined>;

/** An element with attributes and children (strings become text nodes). Event handler attributes are refused. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`event handler attributes are not set from data: ${name}`);
    if ((name === 'href' || name === 'src') && !safeUrl(String(value))) throw new Error(`refused URL for ${name}`);
    el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, ...children);
  return el;
}

/** Appends children, strings as text. */
export function append(el: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces every child of `el`. */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  append(el, ...children);
}

/** A link to a route of this page (`#/jobs/…`), with each segment encoded. */
export function routeLink(segments: readonly string[], text: Child, attrs: Attrs = {}): HTMLAnchorElement {
  return h('a', { ...attrs, href: routeHref(segments) }, text);
}

/** `#/a/b` from segments, each percent-encoded. */
export function routeHref(segments: readonly string[], query?: Record<string, string | undefined>): string {
  const q = query
    ? Object.entries(query)
        .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join('&')
    : '';
  return `#/${segments.map(encodeURIComponent).join('/')}${q ? `?${q}` : ''}`;
}

/**
 * URLs the viewer itself writes: a route of this page, a path on this origin, or http(s) (a trace link from the
 * configured template). Never `javascript:` or `data:`.
 */
export function safeUrl(url: string): boolean {
  if (url.startsWith('#') || (url.startsWith('/') && !url.startsWith('//'))) return true;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' || u.protocol === 'blob:';
  } catch {
    return false;
  }
}

/** A number as a percentage with no decimals (`–` for null). */
export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? '–' : `${Math.round(x * 100)}%`;
}

/** A number with `digits` decimals (`–` for null). */
export function num(x: number | null | undefined, digits = 2): string {
  return x === null || x === undefined ? '–' : x.toFixed(digits);
}

/** A time as the local date and time, to the second (`–` for null). */
export function when(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { hour12: false });
}

/** Any value as readable text (objects as indented JSON). */
export function asText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v, null, 2);
}
