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

/**
 * One credential shape. Every condition on a candidate (the word boundary before it, the label or parameter name in
 * front of it, the length and content of its value) is written into the regex itself, as lookbehinds and lookaheads,
 * so that a scan is a single pass: a match is always hidden, and a candidate that fails costs only the few characters
 * the failing check reads. (A check made after the match, followed by a rescan from the next character, costs a whole
 * token run per rejected candidate: quadratic time on text such as `a_a_a_…` or `key:key:…`, which an upstream body of
 * a few MiB could use to stall the event loop for minutes.) Each regex starts on a distinctive literal, so V8 finds
 * candidates with a fast scan; a boundary lookbehind comes right after that literal and looks back over it.
 */
interface Scanner {
  re: RegExp;
  /** The range to hide, when it is not the whole match. */
  range?: (m: RegExpExecArray) => [number, number];
}

/** The value of the last capture group only (the label before it stays readable). */
function lastGroup(m: RegExpExecArray): [number, number] {
  const value = m[m.length - 1]!;
  const end = m.index + m[0].length;
  return [end - value.length, end];
}

/** The match, extended back over the letters and digits of the prefix its lookbehind checked (`ghp` of `ghp_…`). */
function withPrefix(m: RegExpExecArray): [number, number] {
  let start = m.index;
  while (start > 0 && /[A-Za-z0-9]/.test(m.input[start - 1]!)) start--;
  return [start, m.index + m[0].length];
}

/** Longest PEM body (base64 and headers) a private key can have; an RSA key of 16384 bits is about 13,000 characters. */
const PEM_BODY_MAX = 32 * 1024;

/**
 * Shapes of well-known credentials, redacted even when nobody configured them (a key in another variable, a key an
 * upstream invented in its error text). Each starts on a distinctive literal and its context is checked, so that
 * ordinary prose, ids, hashes and trace ids never match. Separate regexes, because V8 scans one literal fast but a
 * long alternation of short ones slowly (measured: ~1 ms/MiB each against ~40 ms/MiB combined).
 */
const SCANNERS: readonly Scanner[] = [
  // No value class takes `\` or `"`, so redacting JSON text never cuts an escape sequence or a string in two.
  // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-api03-), DeepSeek and other sk- keys; not `task-…`.
  { re: /sk-(?<![A-Za-z0-9_-]sk-)[A-Za-z0-9_-]{16,}/g },
  // Google API keys; AWS access key ids.
  { re: /AIza(?<![A-Za-z0-9_-]AIza)[0-9A-Za-z_-]{30,}/g },
  { re: /A[KS]IA(?<![A-Za-z0-9]A[KS]IA)[0-9A-Z]{16}/g },
  // xAI keys.
  { re: /xai-(?<![A-Za-z0-9_-]xai-)[A-Za-z0-9]{20,}/g },
  // `prefix_…` tokens (GitHub, Hugging Face, Groq, Replicate, Stripe, Beacon's own `bct_`): found by their underscore,
  // the whole word before it being one of the prefixes; `github_pat_`, `sk_live_` and `rk_live_` need their second part.
  {
    re: /_(?:(?<=(?<![A-Za-z0-9_])(?:gh[pousr]|hf|gsk|r8|bct)_)[A-Za-z0-9_-]{16,}|(?<=(?<![A-Za-z0-9_])github_)pat_[A-Za-z0-9_-]{12,}|(?<=(?<![A-Za-z0-9_])[sr]k_)live_[A-Za-z0-9_-]{11,})/g,
    range: withPrefix,
  },
  // JSON Web Tokens (header and payload are base64 JSON objects, so both start with eyJ). A segment's class has no
  // `.`, so each one ends at the first dot and nothing is tried twice.
  { re: /eyJ(?<![A-Za-z0-9_-]eyJ)[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  // PEM private keys. The body stops at the next `-----` (so a BEGIN without its END costs only the text up to the
  // next marker, not the rest of the input) and at `"` or a backslash that is not a JSON escape of a line break or a
  // slash (so a key written into a JSON string is hidden whole, and one string's BEGIN never reaches another's END).
  {
    re: new RegExp(
      `-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----(?:[^"\\\\-]|-(?!----)|\\\\[nrt/]){0,${PEM_BODY_MAX}}-----END [A-Z ]{0,40}PRIVATE KEY-----`,
      'g',
    ),
  },
  // Authorization values: `Bearer …`, `Basic …` (the scheme stays). A credential has a digit or is long (20+); the prose
  // after the word ("basic understanding") is neither. The value may not end in a dot (the end of a sentence).
  {
    re: /(?:earer|EARER|asic|ASIC)(?<=(?<![A-Za-z0-9_])[Bb](?:earer|EARER|asic|ASIC))[ \t]+((?=[A-Za-z._~+/=-]*[0-9])[A-Za-z0-9._~+/=-]{7,}[A-Za-z0-9_~+/=-]|[A-Za-z0-9._~+/=-]{19,}[A-Za-z0-9_~+/=-])/g,
    range: lastGroup,
  },
  // API-key headers echoed as `x-api-key: …`, `"api-key": "…"`, `x-goog-api-key: …`.
  {
    re: /[kK][eE][yY](?<=(?<![A-Za-z0-9])[aA][pP][iI][-_]?[kK][eE][yY])["']?[ \t]*:[ \t]*["']?([^\s"',;&\\]{7,}[^\s"',;&\\.:)\]])/g,
    range: lastGroup,
  },
  // `name=value` with a secret name, in query strings and key=value connection strings (`?password=`, `key=`): the
  // name is the whole word before `=`, at the start of the text or after a separator. (Case-insensitive: the other
  // classes hold no letters.)
  {
    re: /=(?<=(?:^|[?&;\s,{("'])(?:password|passwd|pwd|key|api_key|apikey|token|access_token|secret|client_secret|sig)=)([^&\s#'"\\]*[^&\s#'"\\.:,;)\]])/gi,
    range: lastGroup,
  },
  // The password of a URL's user info, also one holding an unencoded `@` (`postgres://u:p@ss@host/db`). Neither part
  // takes `/`, so a scan never runs past the next `://`.
  {
    re: /:\/\/[^\s/?#:@'"\\]*:([^\s'"/?#\\]+)@/g,
    range: (m) => {
      const end = m.index + m[0].length - 1;
      return [end - m[1]!.length, end];
    },
  },
];

/** The forms in which an echo may carry a secret: as sent, JSON-escaped, URL-encoded, and inside base64 text. */
function variants(secret: string): string[] {
  const out = new Set<string>([secret]);
  out.add(JSON.stringify(secret).slice(1, -1));
  try {
    out.add(encodeURIComponent(secret));
  } catch {
    /* a lone surrogate cannot be URL-encoded, nor sent in a header */
  }
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

  /** The registered values as given (their other forms are derived), e.g. to build the same redactor in a worker. */
  get registered(): string[] {
    return [...this.plain];
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
    // One pass per scanner: every match is hidden and the scan goes on after it (see Scanner).
    for (const { re, range } of SCANNERS) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) ranges.push(range ? range(m) : [m.index, m.index + m[0].length]);
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
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
        return this.deep((value as { toJSON(): unknown }).toJSON(), depth + 1);
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
    this.pattern = new RegExp(
      [...this.values]
        .sort((a, b) => b.length - a.length)
        .map(escapeRegex)
        .join('|'),
      'g',
    );
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
