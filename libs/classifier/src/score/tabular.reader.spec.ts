import { describe, expect, it } from '@jest/globals';
import { TableFormatError, parseCsv, readCsvTable, readJsonlTable, tableFormatOf } from './tabular.reader.js';

describe(parseCsv.name, () => {
  it('splits fields and records, with CRLF or LF', () => {
    expect(parseCsv('a,b\r\n1,2\n3,4\n')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('keeps commas, doubled quotes and newlines inside quoted fields', () => {
    expect(parseCsv('id,text\n1,"He said ""no"", then\nleft"\n')).toEqual([
      ['id', 'text'],
      ['1', 'He said "no", then\nleft'],
    ]);
  });

  it('keeps empty fields and a final record without a line break', () => {
    expect(parseCsv('a,,c\n,"",')).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
    ]);
  });

  it('drops a byte-order mark', () => {
    expect(parseCsv('\ufeffprompt\nhi')).toEqual([['prompt'], ['hi']]);
  });

  it('rejects an unterminated quote and a stray quote, naming the line', () => {
    expect(() => parseCsv('a\n"open\nstill open')).toThrow(new TableFormatError('unterminated quoted field', 2));
    expect(() => parseCsv('a\nab"c')).toThrow('line 2: quote inside an unquoted field');
    expect(() => parseCsv('"a"b')).toThrow('line 1: unexpected character after a closing quote');
  });
});

describe(readCsvTable.name, () => {
  it('maps records to the header and skips blank lines', () => {
    expect(readCsvTable('prompt,completion\nQ,A\n\n')).toEqual({
      columns: ['prompt', 'completion'],
      rows: [{ prompt: 'Q', completion: 'A' }],
    });
  });

  it('rejects a record whose field count differs from the header', () => {
    expect(() => readCsvTable('a,b\n1,2,3\n')).toThrow('record 1 has 3 fields, the header has 2');
    expect(() => readCsvTable('')).toThrow('no header row');
  });
});

describe(readJsonlTable.name, () => {
  it('reads one object per line, in first-seen column order', () => {
    expect(readJsonlTable('{"completion":"4","n":1}\n\n{"prompt":"2+2?","completion":null}\n')).toEqual({
      columns: ['completion', 'n', 'prompt'],
      rows: [
        { completion: '4', n: '1' },
        { prompt: '2+2?', completion: null },
      ],
    });
  });

  it('names the line of a bad record', () => {
    expect(() => readJsonlTable('{"a":1}\n[1]')).toThrow('line 2: each line must be a JSON object');
    expect(() => readJsonlTable('{"a":')).toThrow(/^line 1: not valid JSON/);
  });
});

describe(tableFormatOf.name, () => {
  it('takes .jsonl and .ndjson for JSON Lines, anything else for CSV', () => {
    expect(tableFormatOf('x.JSONL')).toBe('jsonl');
    expect(tableFormatOf('x.ndjson')).toBe('jsonl');
    expect(tableFormatOf('x.csv')).toBe('csv');
  });
});
