/** One input table: its column names, in order, and one record per row. */
export interface Table {
  columns: string[];
  rows: Record<string, string | null>[];
}

/** The formats `readTable` understands. */
export type TableFormat = 'csv' | 'jsonl';

/** A malformed input file; `line` is 1-based when known. */
export class TableFormatError extends Error {
  constructor(
    message: string,
    readonly line: number | null = null,
  ) {
    super(line === null ? message : `line ${line}: ${message}`);
    this.name = 'TableFormatError';
  }
}

/**
 * RFC 4180 records: fields separated by commas, records by CRLF or LF; a quoted field may hold commas, newlines and
 * doubled quotes. A leading byte-order mark is dropped; a trailing line break does not make an empty record.
 *
 * @throws TableFormatError on an unterminated quoted field or a quote inside an unquoted field.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  let line = 1;
  let quoteLine = 1;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endField = () => {
    row.push(field);
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < src.length; i += 1) {
    const c = src[i];
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 1;
        } else {
          quoted = false;
          const next = src[i + 1];
          if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
            throw new TableFormatError('unexpected character after a closing quote', line);
          }
        }
      } else {
        if (c === '\n') line += 1;
        field += c;
      }
    } else if (c === '"') {
      if (fieldStarted) throw new TableFormatError('quote inside an unquoted field', line);
      quoted = true;
      fieldStarted = true;
      quoteLine = line;
    } else if (c === ',') {
      endField();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i += 1;
      endField();
      rows.push(row);
      row = [];
      line += 1;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (quoted) throw new TableFormatError('unterminated quoted field', quoteLine);
  if (fieldStarted || row.length > 0) {
    endField();
    rows.push(row);
  }
  return rows;
}

/** CSV with a header row: every record must have as many fields as the header. Blank lines are skipped. */
export function readCsvTable(text: string): Table {
  const records = parseCsv(text).filter((r) => !(r.length === 1 && r[0] === ''));
  const [header, ...body] = records;
  if (!header) throw new TableFormatError('the file is empty (no header row)');
  const columns = header.map((c) => c.trim());
  const rows = body.map((r, i) => {
    if (r.length !== columns.length) {
      throw new TableFormatError(`record ${i + 1} has ${r.length} fields, the header has ${columns.length}`);
    }
    return Object.fromEntries(columns.map((c, j) => [c, r[j] ?? null]));
  });
  return { columns, rows };
}

/** JSON Lines: one object per non-blank line; strings stay strings, other values become their JSON text. */
export function readJsonlTable(text: string): Table {
  const columns: string[] = [];
  const seen = new Set<string>();
  const rows: Record<string, string | null>[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new TableFormatError(`not valid JSON (${err instanceof Error ? err.message : String(err)})`, i + 1);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new TableFormatError('each line must be a JSON object', i + 1);
    }
    const row: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(value)) {
      if (!seen.has(k)) {
        seen.add(k);
        columns.push(k);
      }
      row[k] = v === null || v === undefined ? null : typeof v === 'string' ? v : JSON.stringify(v);
    }
    rows.push(row);
  });
  return { columns, rows };
}

/** The format of a file name: `.jsonl` / `.ndjson` are JSON Lines, anything else CSV. */
export function tableFormatOf(fileName: string): TableFormat {
  return /\.(?:jsonl|ndjson)$/i.test(fileName) ? 'jsonl' : 'csv';
}

/** Reads a CSV (with header) or JSON Lines table. */
export function readTable(text: string, format: TableFormat): Table {
  return format === 'jsonl' ? readJsonlTable(text) : readCsvTable(text);
}
