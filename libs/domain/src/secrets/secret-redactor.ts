/** What a secret is replaced with wherever text leaves Beacon (rows, logs, spans, API answers, live events, reports). */
export const REDACTED = '[REDACTED]';

/**
 * Values shorter than this are not redacted by value: a short "key" (`test`, `abc`) would turn every occurrence of a
 * common word into the marker and make every output unreadable, while hiding nothing worth hiding.
 */
export const MIN_SECRET_CHARS = 8;

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** A range of text to hide, or null when a candidate turned out not to be a credential. */
type Hide = (m: RegExpExecArray, text: string) => [number, number] | null;

/** One credential shape: a regex that starts with a literal (so V8 scans for it fast) and a check of the context. */
interface Scanner {
  re: RegExp;
  hide: Hide;
}

const WORD = /[A-Za-z0-9_]/;
const TOKENISH = /[A-Za-z0-9_-]/;

/** The whole match, unless the character before it continues a word (`task-…` is not an `sk-…` key). */
const bounded = (word: RegExp): Hide => (m, text) => (m.index > 0 && word.test(text[m.index - 1]!) ? null : [m.index, m.index + m[0].length]);

/** The value of the last capture group only (the label before it stays readable). */
function lastGroup(m: RegExpExecArray): [number, number] {
  const value = m[m.length - 1]!;
  const end = m.index + m[0].length;
  return [end - value.length, end];
}

/** Prefixes of `prefix_…` tokens (GitHub, Hugging Face, Groq, Replicate, Stripe, Beacon's own `bct_`). */
const UNDERSCORE_TOKENS: Record<string, string> = {
  ghp: '', gho: '', ghu: '', ghs: '', ghr: '', hf: '', gsk: '', r8: '', bct: '', github: '_pat_', sk: '_live_', rk: '_live_',
};

/** Names whose `name=value` (query strings, libpq key-value strings) hides the value. */
const SECRET_PARAMS = new Set(['password', 'passwd', 'pwd', 'key', 'api_key', 'apikey', 'token', 'access_token', 'secret', 'client_secret', 'sig']);

/**
 * Shapes of well-known credentials, redacted even when nobody configured them (a key in another variable, a key an
 * upstream invented in its error text). Each starts on a distinctive literal and its context is checked, so that
 * ordinary prose, ids, hashes and trace ids never match. Separate regexes, because V8 scans one literal fast but a
 * long alternation of short ones slowly (measured: ~1 ms/MiB each against ~40 ms/MiB combined).
 */
const SCANNERS: readonly Scanner[] = [
  // No value class takes `\` or `"`, so redacting JSON text never cuts an escape sequence or a string in two.
  // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-api03-), DeepSeek and other sk- keys.
  { re: /sk-[A-Za-z0-9_-]{16,}/g, hide: bounded(TOKENISH) },
  // Google API keys; AWS access key ids.
  { re: /AIza[0-9A-Za-z_-]{30,}/g, hide: bounded(TOKENISH) },
  { re: /A[KS]IA[0-9A-Z]{16}/g, hide: bounded(/[A-Za-z0-9]/) },
  // xAI keys.
  { re: /xai-[A-Za-z0-9]{20,}/g, hide: bounded(TOKENISH) },
  // `prefix_…` tokens: found by their underscore, then the word before it is checked.
  {
    re: /_[A-Za-z0-9_-]{16,}/g,
    hide(m, text) {
      const before = /[A-Za-z0-9]{1,6}$/.exec(text.slice(Math.max(0, m.index - 6), m.index))?.[0];
      if (!before) return null;
      const start = m.index - before.length;
      if (start > 0 && WORD.test(text[start - 1]!)) return null;
      const rest = UNDERSCORE_TOKENS[before];
      if (rest === undefined || !m[0].startsWith(rest)) return null;
      return [start, m.index + m[0].length];
    },
  },
  // JSON Web Tokens (header and payload are base64 JSON objects, so both start with eyJ).
  { re: /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, hide: bounded(TOKENISH) },
  // PEM private keys.
  { re: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, hide: (m) => [m.index, m.index + m[0].length] },
  // Authorization values: `Bearer …`, `Basic …` (the scheme stays). A credential has a digit or is long; the prose
  // after the word ("basic understanding") is neither.
  {
    re: /(?:earer|EARER|asic|ASIC)[ \t]+([A-Za-z0-9._~+/=-]*[A-Za-z0-9_~+/=-])/g,
    hide(m, text) {
      const b = m.index - 1;
      if (b < 0 || (text[b] !== 'B' && text[b] !== 'b') || (b > 0 && WORD.test(text[b - 1]!))) return null;
      const value = m[1]!;
      return value.length >= 8 && (/[0-9]/.test(value) || value.length >= 20) ? lastGroup(m) : null;
    },
  },
  // API-key headers echoed as `x-api-key: …`, `"api-key": "…"`, `x-goog-api-key: …`.
  {
    re: /[kK][eE][yY]["']?[ \t]*:[ \t]*["']?([^\s"',;&\\]{7,}[^\s"',;&\\.:)\]])/g,
    hide: (m, text) => (/(?:^|[^A-Za-z0-9])api[-_]?$/i.test(text.slice(Math.max(0, m.index - 5), m.index)) ? lastGroup(m) : null),
  },
  // `name=value` with a secret name, in query strings and key=value connection strings (`?password=`, `key=`).
  {
    re: /=([^&\s#'"\\]*[^&\s#'"\\.:,;)\]])/g,
    hide(m, text) {
      const name = /[A-Za-z_]{1,16}$/.exec(text.slice(Math.max(0, m.index - 16), m.index))?.[0];
      if (!name || !SECRET_PARAMS.has(name.toLowerCase())) return null;
      const start = m.index - name.length;
      return start > 0 && !/[?&;\s,{("']/.test(text[start - 1]!) ? null : lastGroup(m);
    },
  },
  // The password of a URL's user info, also one holding an unencoded `@` (`postgres://u:p@ss@host/db`).
  {
    re: /:\/\/[^\s/?#:@'"\\]*:([^\s'"/?#\\]*)@/g,
    hide: (m) => {
      const end = m.index + m[0].length - 1;
      return m[1] ? [end - m[1].length, end] : null;
    },
  },
];

/** The forms in which an echo may carry a secret: as sent, JSON-escaped, URL-encoded, and inside base64 text. */
function variants(secret: string): string[] {
  const out = new Set<string>([secret]);
  out.add(JSON.stringify(secret).slice(1, -1));
  try {
    out.add(encodeURIComponent(secret));
  } catch { /* a lone surrogate cannot be URL-encoded, nor sent in a header */ }
  // base64 of a text holding the secret at any offset: the three alignments, minus the edge characters that also
  // encode neighbouring bytes, so the core is found wherever the secret sat (e.g. `Basic base64(user:key)`).
  const bytes = Buffer.from(secret, 'utf8');
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    const fullGroups = Math.floor((pad + bytes.length) / 3);
    const core = b64.slice(pad === 0 ? 0 : 4, fullGroups * 4);
    if (core.length >= MIN_SECRET_CHARS) {
      out.add(core);
      out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
    }
  }
  return [...out].filter((v) => v.length >= MIN_SECRET_CHARS);
}

/**
 * Replaces secrets in text with {@link REDACTED}: every registered value (in its plain, JSON-escaped, URL-encoded and
 * base64 forms) and the shapes of well-known credentials. Everything is one precompiled regular expression, rebuilt
 * only when a new value is registered, so one pass over a response body costs about what reading it did.
 *
 * A text cut short (a capped body, a clipped message) may end in the first part of a registered value, and a text
 * read from the middle may start with its last part: such a fragment of at least {@link MIN_SECRET_CHARS} characters
 * at either edge is redacted too.
 */
export class SecretRedactor {
  private readonly values = new Set<string>();
  private readonly plain = new Set<string>();
  private pattern: RegExp | null = null;

  constructor(values: Iterable<string | null | undefined> = []) {
    this.add(...values);
  }

  /** Registers secret values (null, short and repeated ones are ignored); returns how many were new. */
  add(...values: (string | null | undefined)[]): number {
    let added = 0;
    for (const value of values) {
      if (typeof value !== 'string') continue;
      // Too short to hide by value without hiding ordinary words (see MIN_SECRET_CHARS).
      const trimmed = value.trim();
      if (trimmed.length < MIN_SECRET_CHARS || this.plain.has(trimmed)) continue;
      this.plain.add(trimmed);
      for (const v of variants(trimmed)) this.values.add(v);
      added++;
    }
    if (added > 0) this.pattern = null;
    return added;
  }

  /** How many secret values are registered. */
  get size(): number {
    return this.plain.size;
  }

  /** True when `text` holds something {@link redact} would hide. */
  contains(text: string): boolean {
    return this.redact(text) !== text;
  }

  /** `text` with every secret replaced by {@link REDACTED}. */
  redact(text: string): string {
    if (text.length < MIN_SECRET_CHARS) return text;
    const ranges: [number, number][] = [];
    const values = this.compiled();
    if (values) {
      values.lastIndex = 0;
      for (let m = values.exec(text); m; m = values.exec(text)) ranges.push([m.index, m.index + m[0].length]);
    }
    for (const { re, hide } of SCANNERS) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        const range = hide(m, text);
        if (range) ranges.push(range);
        else re.lastIndex = m.index + 1; // a rejected candidate may hide a real one inside it
      }
    }
    let out = ranges.length === 0 ? text : replaceRanges(text, ranges);
    if (this.plain.size > 0) out = this.redactEdges(out);
    return out;
  }

  /**
   * A copy of `value` with every string in it (keys too) redacted; objects and arrays are rebuilt only where something
   * changed, so a clean answer costs no allocation.
   */
  redactDeep<T>(value: T): T {
    return this.deep(value, 0) as T;
  }

  private deep(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.redact(value);
    if (value === null || typeof value !== 'object' || depth > 64) return value;
    if (value instanceof Date || Buffer.isBuffer(value)) return value;
    if (Array.isArray(value)) {
      let copy: unknown[] | null = null;
      for (let i = 0; i < value.length; i++) {
        const v = this.deep(value[i], depth + 1);
        if (v !== value[i]) (copy ??= value.slice())[i] = v;
      }
      return copy ?? value;
    }
    if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
      // A class instance (an Error, a Map): its enumerable own fields, as JSON would show them.
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return this.deep((value as { toJSON(): unknown }).toJSON(), depth + 1);
    }
    let copy: Record<string, unknown> | null = null;
    for (const [k, v] of Object.entries(value)) {
      const key = this.redact(k);
      const next = this.deep(v, depth + 1);
      if (next !== v || key !== k) {
        copy ??= { ...(value as Record<string, unknown>) };
        if (key !== k) delete copy[k];
        copy[key] = next;
      }
    }
    return copy ?? value;
  }

  /** A registered value's first part at the end of `text`, or its last part at the start. */
  private redactEdges(text: string): string {
    let out = text;
    for (const secret of this.plain) {
      // Tail: a position in the last `secret.length - 1` characters where the secret's beginning starts and runs to
      // the end of the text.
      const head = secret.slice(0, MIN_SECRET_CHARS);
      for (let p = out.indexOf(head, Math.max(0, out.length - secret.length + 1)); p !== -1; p = out.indexOf(head, p + 1)) {
        if (secret.startsWith(out.slice(p))) {
          out = out.slice(0, p) + REDACTED;
          break;
        }
      }
      // Head: the text starts with the secret's end.
      const start = out.slice(0, MIN_SECRET_CHARS);
      if (start.length < MIN_SECRET_CHARS) continue;
      for (let i = secret.indexOf(start, 1); i !== -1; i = secret.indexOf(start, i + 1)) {
        if (out.startsWith(secret.slice(i))) {
          out = REDACTED + out.slice(secret.length - i);
          break;
        }
      }
    }
    return out;
  }

  /** One alternation of every registered value's forms, longest first (so a value holding another is hidden whole). */
  private compiled(): RegExp | null {
    if (this.pattern || this.values.size === 0) return this.pattern;
    this.pattern = new RegExp([...this.values].sort((a, b) => b.length - a.length).map(escapeRegex).join('|'), 'g');
    return this.pattern;
  }
}

/** `text` with the given ranges (in any order, possibly overlapping) replaced by one marker each. */
function replaceRanges(text: string, ranges: [number, number][]): string {
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    if (end <= at) continue;
    if (start >= at) {
      out += text.slice(at, start) + REDACTED;
    }
    at = end;
  }
  return out + text.slice(at);
}
