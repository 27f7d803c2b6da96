import { jsonChildPath } from './zod-issue.mapper.js';

/** Object keys refused anywhere in received JSON: harmless to `JSON.parse` itself, dangerous to code that merges objects. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Deepest nesting of arrays and objects accepted. */
export const MAX_JSON_DEPTH = 64;

/** Why a text was refused: a code, a message, and the JSON path or position where it happened. */
export interface StrictJsonError {
  code: 'malformed_json' | 'duplicate_key' | 'forbidden_key' | 'too_deep';
  message: string;
  path: string;
}

/** The parsed value, or the first reason the text is not acceptable. */
export type StrictJsonResult = { ok: true; value: unknown } | { ok: false; error: StrictJsonError };

class Refusal extends Error {
  constructor(readonly detail: StrictJsonError) {
    super(detail.message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const PLAIN_STRING = /[^"\\\u0000-\u001f]*/y;

/**
 * A JSON parser (RFC 8259) that also refuses what `JSON.parse` lets through silently: a key given twice in one object
 * (which value wins differs between parsers, so a signature could cover one and Beacon act on the other), the keys
 * `__proto__`, `constructor` and `prototype`, and nesting deeper than {@link MAX_JSON_DEPTH}. Each refusal names
 * the JSON path.
 */
export function parseStrictJson(text: string, maxDepth = MAX_JSON_DEPTH): StrictJsonResult {
  const p = new Parser(text, maxDepth);
  try {
    p.ws();
    const value = p.value('$', 0);
    p.ws();
    if (p.i < text.length) p.fail(`unexpected ${p.describe()} after the end of the JSON value`);
    return { ok: true, value };
  } catch (err) {
    if (err instanceof Refusal) return { ok: false, error: err.detail };
    throw err;
  }
}

class Parser {
  i = 0;

  constructor(
    private readonly s: string,
    private readonly maxDepth: number,
  ) {}

  ws(): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s.charCodeAt(this.i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.i++;
    }
  }

  position(): string {
    const before = this.s.slice(0, this.i);
    const line = before.split('\n').length;
    const column = this.i - before.lastIndexOf('\n');
    return `line ${line}, column ${column}`;
  }

  describe(): string {
    if (this.i >= this.s.length) return 'end of input';
    const c = this.s.codePointAt(this.i)!;
    return c < 0x20 || (c >= 0x7f && c <= 0x9f)
      ? `character U+${c.toString(16).toUpperCase().padStart(4, '0')}`
      : `character ${JSON.stringify(String.fromCodePoint(c))}`;
  }

  fail(message: string, code: StrictJsonError['code'] = 'malformed_json', path = '$'): never {
    throw new Refusal({ code, message: code === 'malformed_json' ? `${message} at ${this.position()}` : message, path });
  }

  value(path: string, depth: number): unknown {
    const c = this.s[this.i];
    if (c === '{' || c === '[') {
      if (depth >= this.maxDepth) this.fail(`nested more than ${this.maxDepth} levels deep`, 'too_deep', path);
      return c === '{' ? this.object(path, depth + 1) : this.array(path, depth + 1);
    }
    if (c === '"') return this.string();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return value;
      }
    }
    return this.fail(`expected a JSON value but found ${this.describe()}`);
  }

  object(path: string, depth: number): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.s[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      if (this.s[this.i] !== '"') this.fail(`expected a quoted key but found ${this.describe()}`);
      const key = this.string();
      const at = jsonChildPath(path, key);
      if (FORBIDDEN_KEYS.has(key)) this.fail(`key "${key}" is not accepted in JSON input`, 'forbidden_key', at);
      if (Object.hasOwn(out, key)) this.fail(`duplicate key "${key}": each key may appear once per object`, 'duplicate_key', at);
      this.ws();
      if (this.s[this.i] !== ':') this.fail(`expected ':' after a key but found ${this.describe()}`);
      this.i++;
      this.ws();
      out[key] = this.value(at, depth);
      this.ws();
      const next = this.s[this.i];
      this.i++;
      if (next === '}') return out;
      if (next !== ',') {
        this.i--;
        this.fail(`expected ',' or '}' but found ${this.describe()}`);
      }
      this.ws();
    }
  }

  array(path: string, depth: number): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.ws();
    if (this.s[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value(jsonChildPath(path, out.length), depth));
      this.ws();
      const next = this.s[this.i];
      this.i++;
      if (next === ']') return out;
      if (next !== ',') {
        this.i--;
        this.fail(`expected ',' or ']' but found ${this.describe()}`);
      }
      this.ws();
    }
  }

  string(): string {
    const start = this.i;
    this.i++;
    PLAIN_STRING.lastIndex = this.i;
    PLAIN_STRING.exec(this.s);
    this.i = PLAIN_STRING.lastIndex;
    if (this.s[this.i] === '"') {
      this.i++;
      return this.s.slice(start + 1, this.i - 1);
    }
    // Escapes (or an error): find the closing quote, then let JSON.parse decode and check the escapes.
    for (;;) {
      const c = this.s.charCodeAt(this.i);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c < 0x20) this.fail(`unescaped control ${this.describe()} in a string`);
      if (c === 0x5c) this.i += 2;
      else if (c === 0x22) break;
      else this.i++;
    }
    this.i++;
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string;
    } catch {
      this.i = start;
      return this.fail('invalid escape sequence in a string');
    }
  }

  number(): number {
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(this.s);
    if (!m) this.fail(`invalid number`);
    this.i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) {
      this.i -= m[0].length;
      this.fail('number out of range');
    }
    return n;
  }
}
