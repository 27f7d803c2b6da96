import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { CsvError, Info } from 'csv-parse/sync';
import { ID_PATTERN, LANGUAGE_TAG_PATTERN, MAX_QUESTION_TEXT } from '../json/common.schema.js';
import { describeValue } from '../json/zod-issue.mapper.js';
import { textProblem } from '../job-spec/spec-text.checks.js';
import { escapeControlChars } from '../text/control-chars.js';
import type { Problem } from '../problems/problem.js';
import { buildQuestionBank } from './config.checks.js';
import type { QuestionDef } from './config.types.js';
import { parseQuestionsJson, QUESTIONS_FILE_MAX_BYTES, sizeText } from './questions-file.reader.js';

export { QUESTIONS_FILE_MAX_BYTES };

/**
 * The formats a question set may be written in: the JSON bank (`{"questions": [...]}` or a bare list), CSV with a
 * header row, and JSON Lines (one object per line).
 */
export const QUESTIONS_FILE_FORMATS = ['json', 'csv', 'jsonl'] as const;
export type QuestionsFileFormat = (typeof QUESTIONS_FILE_FORMATS)[number];

/**
 * The columns of a CSV and the fields of a JSON Lines question; `id` and `text` are required. Translations are CSV
 * columns `text_<language>` (`text_zh-Hans`) and a JSON Lines object `translations: {"<language>": "…"}`.
 */
export const QUESTION_FIELDS = ['id', 'text', 'category', 'language'] as const;
type QuestionField = (typeof QUESTION_FIELDS)[number] | `text_${string}` | 'translations';

/** The language of a CSV translation column `text_<language>`, or null when the name is not one. */
function translationColumn(name: string): string | null {
  const tag = /^text_(.+)$/.exec(name)?.[1];
  return tag !== undefined && LANGUAGE_TAG_PATTERN.test(tag) ? tag : null;
}

/** Longest category accepted: what a job spec's inline question allows, so a loaded set can always be submitted. */
const MAX_CATEGORY = 200;

/** One problem of a questions file, located as an editor shows it: `row 7, column text` (CSV), `line 7, field text`. */
export interface QuestionsFileProblem {
  /** 1-based line the row starts on, or null for the file as a whole (JSON bank problems have none either). */
  row: number | null;
  /** Where, in words: `row 7, column text`, `line 3, field id`, `questions[2].text`; empty for the whole file. */
  at: string;
  message: string;
}

/** The questions of a file in file order, or every problem found (then no question is given: nothing half-way). */
export type QuestionsFileResult = { ok: true; questions: QuestionDef[] } | { ok: false; problems: QuestionsFileProblem[] };

/** The format a file name implies: `.csv`, `.jsonl` / `.ndjson`, `.json`; null for any other extension. */
export function questionsFileFormatOf(file: string): QuestionsFileFormat | null {
  const ext = extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.json') return 'json';
  return null;
}

/** `questions.csv: row 7, column text: must not be empty`; `name` is what the user called the file. */
export function formatQuestionsFileProblem(name: string, problem: QuestionsFileProblem): string {
  return problem.at === '' ? `${name}: ${problem.message}` : `${name}: ${problem.at}: ${problem.message}`;
}

/** Reads and checks a questions file of the given format (default: from its extension, JSON for any other). */
export function loadQuestionsFile(
  file: string,
  options: { format?: QuestionsFileFormat; maxBytes?: number; languages?: readonly string[] } = {},
): QuestionsFileResult {
  const maxBytes = options.maxBytes ?? QUESTIONS_FILE_MAX_BYTES;
  const fail = (message: string): QuestionsFileResult => ({ ok: false, problems: [{ row: null, at: '', message }] });
  let bytes: Buffer;
  try {
    // Checked before reading, so a huge file (or a device) is refused without being held in memory.
    const { size } = statSync(file);
    if (size > maxBytes) return fail(`is ${sizeText(size)}, over the ${sizeText(maxBytes)} a questions file may be`);
    bytes = readFileSync(file);
  } catch (error) {
    return fail(`cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (bytes.length > maxBytes) return fail(`is ${sizeText(bytes.length)}, over the ${sizeText(maxBytes)} a questions file may be`);
  const format = options.format ?? questionsFileFormatOf(file) ?? 'json';
  return format === 'json' ? parseJsonBank(bytes.toString('utf8'), file) : parseQuestionsText(bytes, format, options.languages);
}

/** The JSON bank, checked as the configuration's `questionsFile` always was; problem paths lose that prefix. */
function parseJsonBank(text: string, file: string): QuestionsFileResult {
  const problems: Problem[] = [];
  const content = parseQuestionsJson(text, file, problems);
  const bank = content ? buildQuestionBank(content.entries, content.listPath, problems) : {};
  if (problems.length > 0) {
    return {
      ok: false,
      problems: problems.map((p) => ({
        row: null,
        at: p.path.replace(/^questionsFile\.?/, ''),
        message: p.message.replace(`cannot read questions from ${file}: `, 'not valid JSON: '),
      })),
    };
  }
  return { ok: true, questions: Object.values(bank) };
}

/** Parses CSV (header row required) or JSON Lines text; the JSON bank goes through {@link loadQuestionsFile}. */
export function parseQuestionsText(
  input: Buffer | string,
  format: Exclude<QuestionsFileFormat, 'json'>,
  languages: readonly string[] = [],
): QuestionsFileResult {
  const checker = new QuestionChecker(format === 'csv' ? 'row' : 'line', format === 'csv' ? 'column' : 'field', languages);
  if (format === 'csv') readCsvRows(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, checker);
  else readJsonLines(typeof input === 'string' ? input : input.toString('utf8'), checker);
  return checker.result();
}

/** Collects problems and questions row by row; duplicate ids are named with both rows. */
class QuestionChecker {
  readonly problems: QuestionsFileProblem[] = [];
  private readonly questions: QuestionDef[] = [];
  private readonly firstRow = new Map<string, number>();

  constructor(
    private readonly rowWord: 'row' | 'line',
    private readonly fieldWord: 'column' | 'field',
    /** The languages a job asks: a row without a text in one of them is a problem at its translation column. */
    private readonly languages: readonly string[] = [],
  ) {}

  /** Column names and parser messages come from the file: their control characters are escaped for the terminal. */
  problem(row: number | null, field: string | null, message: string): void {
    const parts = [
      row === null ? null : `${this.rowWord} ${row}`,
      field === null ? null : `${this.fieldWord} ${escapeControlChars(field)}`,
    ];
    this.problems.push({ row, at: parts.filter((part) => part !== null).join(', '), message: escapeControlChars(message) });
  }

  /** Checks one row's values (strings from CSV; any JSON value from JSON Lines) and keeps the question if sound. */
  add(row: number, values: Partial<Record<QuestionField, unknown>>): void {
    const before = this.problems.length;
    const id = this.string(row, 'id', values.id, { required: true, prose: false, trim: true });
    const text = this.string(row, 'text', values.text, { required: true, prose: true, trim: false });
    const category = this.string(row, 'category', values.category, { required: false, prose: false, trim: true });
    const language = this.string(row, 'language', values.language, { required: false, prose: false, trim: true });
    if (id !== null && !ID_PATTERN.test(id)) this.problem(row, 'id', `must match ${ID_PATTERN.source}`);
    if (text !== null && text.trim() === '') this.problem(row, 'text', 'must not be blank');
    if (text !== null && text.length > MAX_QUESTION_TEXT) this.problem(row, 'text', `must be at most ${MAX_QUESTION_TEXT} characters`);
    if (category !== null && category.length > MAX_CATEGORY) this.problem(row, 'category', `must be at most ${MAX_CATEGORY} characters`);
    if (language !== null && !LANGUAGE_TAG_PATTERN.test(language)) {
      this.problem(row, 'language', `must be a BCP-47 language tag such as en or zh-Hans, not ${JSON.stringify(language)}`);
    }
    if (id !== null) {
      const first = this.firstRow.get(id);
      if (first === undefined) this.firstRow.set(id, row);
      else this.problem(row, 'id', `duplicate id "${id}" (also at ${this.rowWord} ${first})`);
    }
    const translations = this.translations(row, values);
    for (const asked of this.languages) {
      if (asked === language || Object.hasOwn(translations, asked)) continue;
      const where = this.fieldWord === 'column' ? `text_${asked}` : 'translations';
      this.problem(row, where, `has no text in ${asked}, which the job asks for (languages)`);
    }
    if (this.problems.length > before || id === null || text === null) return;
    const kept = Object.keys(translations).length > 0 ? { translations } : {};
    this.questions.push({ id, text, category, ...(language === null ? {} : { language }), ...kept });
  }

  /** The row's translations: CSV columns `text_<language>` (empty: none), or a JSON Lines `translations` object. */
  private translations(row: number, values: Partial<Record<QuestionField, unknown>>): Record<string, string> {
    const out: Record<string, string> = {};
    const take = (language: string, field: QuestionField, value: unknown) => {
      const text = this.string(row, field, value, { required: false, prose: true, trim: false });
      if (text === null) return;
      if (text.trim() === '') this.problem(row, field, 'must not be blank');
      else if (text.length > MAX_QUESTION_TEXT) this.problem(row, field, `must be at most ${MAX_QUESTION_TEXT} characters`);
      else out[language] = text;
    };
    for (const [name, value] of Object.entries(values)) {
      const language = translationColumn(name);
      if (language !== null) take(language, name as QuestionField, value);
    }
    const given = values.translations;
    if (given === undefined || given === null) return out;
    if (typeof given !== 'object' || Array.isArray(given)) {
      this.problem(row, 'translations', `must be an object {"<language>": "text"}, not ${describeValue(given)}`);
      return out;
    }
    for (const [language, value] of Object.entries(given as Record<string, unknown>)) {
      if (!LANGUAGE_TAG_PATTERN.test(language)) {
        this.problem(row, 'translations', `${JSON.stringify(language)} is not a BCP-47 language tag such as en or zh-Hans`);
        continue;
      }
      take(language, 'translations', value);
    }
    return out;
  }

  /**
   * A string field: null when left out or empty (a problem if required). Checked as a job spec checks its strings, so
   * a loaded set is never refused by the daemon: prose (question text) may hold tabs and line breaks, its CRLF and CR
   * breaks read as LF (a spreadsheet on Windows writes CRLF inside quoted cells; the spec allows LF only); other
   * fields hold no control characters at all.
   */
  private string(
    row: number,
    field: QuestionField,
    value: unknown,
    rules: { required: boolean; prose: boolean; trim: boolean },
  ): string | null {
    if (value === undefined || value === null || value === '') {
      if (rules.required) this.problem(row, field, value === '' ? 'must not be empty' : 'is required');
      return null;
    }
    if (typeof value !== 'string') {
      this.problem(row, field, `must be a string, not ${describeValue(value)}`);
      return null;
    }
    const normalised = rules.prose ? value.replace(/\r\n?/g, '\n') : value;
    const problem = textProblem(normalised, rules.prose);
    if (problem !== null) {
      this.problem(row, field, problem);
      return null;
    }
    const text = rules.trim ? normalised.trim() : normalised;
    if (text === '') {
      if (rules.required) this.problem(row, field, 'must not be empty');
      return null;
    }
    return text;
  }

  result(): QuestionsFileResult {
    if (this.problems.length > 0) return { ok: false, problems: this.problems.sort((a, b) => (a.row ?? 0) - (b.row ?? 0)) };
    return { ok: true, questions: this.questions };
  }
}

/** Offsets of every LF in `bytes`, ascending: a byte offset's line is 1 + the LFs before it. */
function lineBreaks(bytes: Buffer): number[] {
  const breaks: number[] = [];
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) breaks.push(at);
  return breaks;
}

function lineOf(breaks: readonly number[], offset: number): number {
  let low = 0;
  let high = breaks.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (breaks[mid]! < offset) low = mid + 1;
    else high = mid;
  }
  return low + 1;
}

/** A record's first line: csv-parse reports the bytes read through its line break, the fields hold its inner breaks. */
function startLine(breaks: readonly number[], record: readonly string[], info: Info): number {
  const lastLine = lineOf(breaks, info.bytes - 1);
  const inner = record.reduce((count, field) => count + (field.match(/\n/g)?.length ?? 0), 0);
  return lastLine - inner;
}

/** A record of csv-parse with `info: true`. */
interface CsvRecord {
  record: string[];
  info: Info;
}

const CSV_ERRORS: Partial<Record<string, string>> = {
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the whole field and double inner quotes: "say ""hi""")',
  CSV_INVALID_CLOSING_QUOTE: 'text after a closing quote (double a quote inside a quoted field: "say ""hi""")',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed before the end of the file',
};

/**
 * CSV through csv-parse: a UTF-8 byte-order mark is dropped, LF and CRLF both end records, quoted fields may hold
 * commas, quotes and line breaks, and blank lines are skipped. The header row is required and names the columns in
 * any order; an unknown column is refused rather than ignored, since a misspelt `catgory` would otherwise drop every
 * category silently. Malformed records are reported and skipped, so the rows after them are still checked.
 */
function readCsvRows(bytes: Buffer, checker: QuestionChecker): void {
  const breaks = lineBreaks(bytes);
  const malformed: CsvError[] = [];
  const parsed = parseCsv(bytes, {
    bom: true,
    info: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error) malformed.push(error);
      return undefined;
    },
    // The typings do not follow `info: true`, which makes every record `{ record, info }`.
  }) as unknown as CsvRecord[];
  const records = parsed.filter(({ record }) => record.some((field) => field.trim() !== ''));

  const headerBroken = malformed.some((error) => error.records === 0);
  const [header, ...rows] = records;
  // csv-parse may report one broken record more than once (each stray quote): one problem per row and kind.
  const reported = new Set<string>();
  for (const error of malformed) {
    const row = typeof error.lines === 'number' ? error.lines : null;
    const message = `malformed CSV: ${CSV_ERRORS[error.code] ?? error.message}`;
    if (reported.has(`${row} ${message}`)) continue;
    reported.add(`${row} ${message}`);
    checker.problem(row, null, message);
  }
  if (!header || headerBroken) {
    if (!header && malformed.length === 0) checker.problem(null, null, `is empty: a header row is required (${QUESTION_FIELDS.join(',')})`);
    return;
  }
  const headerRow = startLine(breaks, header.record, header.info);
  const columns = header.record.map((name) => name.trim());
  let headerSound = true;
  columns.forEach((name, index) => {
    if (!(QUESTION_FIELDS as readonly string[]).includes(name) && translationColumn(name) === null) {
      headerSound = false;
      const known = `known columns: ${QUESTION_FIELDS.join(', ')}, text_<language>`;
      checker.problem(headerRow, name || `${index + 1}`, name === '' ? `has no name (${known})` : `unknown column (${known})`);
    } else if (columns.indexOf(name) !== index) {
      headerSound = false;
      checker.problem(headerRow, name, 'appears twice in the header');
    }
  });
  for (const required of ['id', 'text'] as const) {
    if (!columns.includes(required)) {
      headerSound = false;
      checker.problem(headerRow, required, 'is missing from the header row (a header row is required: id,text,category,language)');
    }
  }
  if (!headerSound) return;
  for (const { record, info } of rows) {
    const row = startLine(breaks, record, info);
    if (record.length !== columns.length) {
      checker.problem(row, null, `has ${record.length} fields, the header has ${columns.length}`);
      continue;
    }
    checker.add(row, Object.fromEntries(columns.map((name, index) => [name, record[index]])));
  }
}

/** JSON Lines: one object per non-blank line, LF or CRLF, an optional byte-order mark; unknown fields are refused. */
function readJsonLines(text: string, checker: QuestionChecker): void {
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  lines.forEach((raw, index) => {
    const row = index + 1;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      checker.problem(row, null, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      checker.problem(row, null, `must be a JSON object {"id", "text", …}, not ${describeValue(value)}`);
      return;
    }
    const record = value as Record<string, unknown>;
    const unknown = Object.keys(record).filter((key) => ![...QUESTION_FIELDS, 'translations'].includes(key));
    for (const key of unknown) checker.problem(row, key, `unknown field (known: ${[...QUESTION_FIELDS, 'translations'].join(', ')})`);
    if (unknown.length > 0) return;
    checker.add(row, record);
  });
}
