import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Problem } from '../problems/problem.js';
import type { QuestionDef } from './config.types.js';
import { readQuestionsFile } from './questions-file.reader.js';
import {
  formatQuestionsFileProblem,
  loadQuestionsFile,
  parseQuestionsText,
  questionsFileFormatOf,
  type QuestionsFileResult,
} from './questions-file.loader.js';

/** The problems of a result as the user reads them, for a file called `name`. */
function messages(result: QuestionsFileResult, name = 'questions.csv'): string[] {
  if (result.ok) throw new Error(`expected problems, got ${result.questions.length} questions`);
  return result.problems.map((problem) => formatQuestionsFileProblem(name, problem));
}

function questionsOf(result: QuestionsFileResult): QuestionDef[] {
  if (!result.ok) throw new Error(`expected questions, got:\n${messages(result).join('\n')}`);
  return result.questions;
}

/** A CSV field with the simplest quoting that is always right: every field quoted, quotes doubled. */
const csvField = (value: string) => `"${value.replaceAll('"', '""')}"`;

function toCsv(questions: readonly QuestionDef[], eol: string): string {
  const rows = questions.map((q) => [q.id, q.text, q.category ?? '', q.language ?? ''].map(csvField).join(','));
  return ['id,text,category,language', ...rows].join(eol) + eol;
}

function toJsonl(questions: readonly QuestionDef[], eol: string): string {
  return questions.map((q) => JSON.stringify(q)).join(eol) + eol;
}

describe('questions files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'beacon-questions-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('chooses the format by extension', () => {
    expect(['a.csv', 'b.CSV', 'c.jsonl', 'd.ndjson', 'e.json', 'f.txt', 'g'].map(questionsFileFormatOf)).toEqual([
      'csv',
      'csv',
      'jsonl',
      'jsonl',
      'json',
      null,
      null,
    ]);
  });

  it('reads CSV with a BOM, CRLF (also inside quoted text, read as LF), quoted commas, quotes and line breaks, blank lines, columns in any order', () => {
    const text = '\ufefflanguage,id,category,text\r\nen,q1,,"Hello, ""world""\r\nsecond line"\r\n\r\n  \r\nzh-Hans,q2,politics,Plain?\r\n';
    expect(questionsOf(parseQuestionsText(text, 'csv'))).toEqual([
      { id: 'q1', text: 'Hello, "world"\nsecond line', category: null, language: 'en' },
      { id: 'q2', text: 'Plain?', category: 'politics', language: 'zh-Hans' },
    ]);
  });

  it('reads CSV with only id and text, leaving language out of the question', () => {
    expect(questionsOf(parseQuestionsText('id,text\nq1,One?\n', 'csv'))).toEqual([{ id: 'q1', text: 'One?', category: null }]);
  });

  it('reads JSON Lines with a BOM, CRLF, blank lines and null optional fields', () => {
    const text = '\ufeff{"id":"q1","text":"One?","category":null,"language":"pt-BR"}\r\n\r\n{"id":"q2","text":"Two?","category":"c"}';
    expect(questionsOf(parseQuestionsText(text, 'jsonl'))).toEqual([
      { id: 'q1', text: 'One?', category: null, language: 'pt-BR' },
      { id: 'q2', text: 'Two?', category: 'c' },
    ]);
  });

  it('reports every CSV problem at once, by the row an editor shows and the column', () => {
    const text = [
      'id,text,category,language', // 1
      'q1,"First,', // 2
      'two lines",,en', // 3
      '', // 4
      'q2,,,', // 5
      'bad id,Text?,,', // 6
      'q1,Again?,,english', // 7
      'q3,Nul\u0000here,,', // 8
      'q4,Fine?,cat\u0007,', // 9
      'q5,Too,many,en,extra', // 10
      'q6,"   ",,', // 11
    ].join('\n');
    expect(messages(parseQuestionsText(text, 'csv'))).toEqual([
      'questions.csv: row 5, column text: must not be empty',
      'questions.csv: row 6, column id: must match ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
      'questions.csv: row 7, column language: must be a BCP-47 language tag such as en or zh-Hans, not "english"',
      'questions.csv: row 7, column id: duplicate id "q1" (also at row 2)',
      'questions.csv: row 8, column text: must not contain control characters (found U+0000; only newline and tab are allowed in text)',
      'questions.csv: row 9, column category: must not contain control characters (found U+0007)',
      'questions.csv: row 10: has 5 fields, the header has 4',
      'questions.csv: row 11, column text: must not be blank',
    ]);
  });

  it('refuses a CSV without a usable header row, naming the columns', () => {
    expect(messages(parseQuestionsText('', 'csv'))).toEqual([
      'questions.csv: is empty: a header row is required (id,text,category,language)',
    ]);
    expect(messages(parseQuestionsText('q1,What?\n', 'csv'))).toEqual([
      'questions.csv: row 1, column q1: unknown column (known columns: id, text, category, language, text_<language>)',
      'questions.csv: row 1, column What?: unknown column (known columns: id, text, category, language, text_<language>)',
      'questions.csv: row 1, column id: is missing from the header row (a header row is required: id,text,category,language)',
      'questions.csv: row 1, column text: is missing from the header row (a header row is required: id,text,category,language)',
    ]);
    expect(messages(parseQuestionsText('id,text,catgory\nq1,A?,x\n', 'csv'))).toEqual([
      'questions.csv: row 1, column catgory: unknown column (known columns: id, text, category, language, text_<language>)',
    ]);
    expect(messages(parseQuestionsText('id,text,id\nq1,A?,q1\n', 'csv'))).toEqual([
      'questions.csv: row 1, column id: appears twice in the header',
    ]);
    // A column name is quoted back with its control characters escaped, so a file cannot colour or move the terminal.
    expect(messages(parseQuestionsText('id,text,\u001b[31mred\nq1,A?,x\n', 'csv'))).toEqual([
      'questions.csv: row 1, column \\u001b[31mred: unknown column (known columns: id, text, category, language, text_<language>)',
    ]);
  });

  it('reports malformed CSV quoting by row and still checks the rows after it', () => {
    const text = 'id,text\nq1,say "hi"\nq2,\nq3,"never closed\n';
    expect(messages(parseQuestionsText(text, 'csv'))).toEqual([
      expect.stringMatching(/^questions\.csv: row 2: malformed CSV: a quote inside an unquoted field/),
      'questions.csv: row 3, column text: must not be empty',
      'questions.csv: row 4: malformed CSV: a quoted field is not closed before the end of the file',
    ]);
  });

  it('reports every JSON Lines problem at once, by line and field', () => {
    const text = [
      '{"id":"q1","text":"One?"}', // 1
      '{"id":"q2","text":"Two?","lang":"en"}', // 2
      'not json', // 3
      '["q4","Four?"]', // 4
      '{"id":5,"text":"Five?"}', // 5
      '{"id":"q1","text":"Dup?","language":"en_US"}', // 6
      '{"id":"q7","text":"Seven\\u0000?","category":""}', // 7
      '{"id":"q8","text":"Eight?","category":"\\u202eevil"}', // 8
    ].join('\n');
    expect(messages(parseQuestionsText(text, 'jsonl'), 'q.jsonl')).toEqual([
      'q.jsonl: line 2, field lang: unknown field (known: id, text, category, language, translations)',
      expect.stringMatching(/^q\.jsonl: line 3: not valid JSON \(/),
      'q.jsonl: line 4: must be a JSON object {"id", "text", …}, not a list',
      'q.jsonl: line 5, field id: must be a string, not a number',
      'q.jsonl: line 6, field language: must be a BCP-47 language tag such as en or zh-Hans, not "en_US"',
      'q.jsonl: line 6, field id: duplicate id "q1" (also at line 1)',
      'q.jsonl: line 7, field text: must not contain control characters (found U+0000; only newline and tab are allowed in text)',
      'q.jsonl: line 8, field category: must not contain bidirectional override characters (found U+202E)',
    ]);
  });

  it('loads each format from disk by extension, and the JSON bank as before', () => {
    const csv = join(dir, 'q.csv');
    const jsonl = join(dir, 'q.ndjson');
    const json = join(dir, 'q.json');
    writeFileSync(csv, 'id,text,language\nq1,One?,en\n');
    writeFileSync(jsonl, '{"id":"q1","text":"One?","language":"en"}\n');
    writeFileSync(json, JSON.stringify({ questions: [{ id: 'q1', text: 'One?', language: 'en' }] }));
    const expected = [{ id: 'q1', text: 'One?', category: null, language: 'en' }];
    expect(questionsOf(loadQuestionsFile(csv))).toEqual(expected);
    expect(questionsOf(loadQuestionsFile(jsonl))).toEqual(expected);
    expect(questionsOf(loadQuestionsFile(json))).toEqual(expected);
    // An explicit format wins over the extension.
    const odd = join(dir, 'questions.txt');
    writeFileSync(odd, 'id,text\nq1,One?\n');
    expect(questionsOf(loadQuestionsFile(odd, { format: 'csv' }))).toEqual([{ id: 'q1', text: 'One?', category: null }]);
    writeFileSync(json, JSON.stringify([{ id: 'q1' }, { id: 'q2', text: 'Two?', language: 'English' }]));
    expect(messages(loadQuestionsFile(json), 'q.json')).toEqual([
      'q.json: [0].text: is required',
      'q.json: [1].language: must be a BCP-47 language tag such as en or zh-Hans',
    ]);
  });

  it('refuses a file over the size cap, and a missing file, without reading questions', () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, 'id,text\n' + 'q1,x\n'.repeat(1000));
    expect(messages(loadQuestionsFile(big, { maxBytes: 1024 }), 'big.csv')).toEqual([
      'big.csv: is 5 KiB, over the 1 KiB a questions file may be',
    ]);
    expect(messages(loadQuestionsFile(join(dir, 'nowhere.csv')), 'nowhere.csv')).toEqual(['nowhere.csv: cannot read: ENOENT']);
    // The configuration's JSON bank has the same cap.
    const bank = join(dir, 'big.json');
    writeFileSync(bank, JSON.stringify({ questions: [{ id: 'q1', text: 'x'.repeat(2000) }] }));
    const problems: Problem[] = [];
    expect(readQuestionsFile(bank, problems, 1024)).toBeUndefined();
    expect(problems).toEqual([{ path: 'questionsFile', message: `${bank} is 2 KiB, over the 1 KiB a questions file may be` }]);
  });

  // Texts with commas, quotes, line breaks (LF and CRLF), tabs and non-ASCII characters must come back unchanged.
  const question = fc.record({
    id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,20}$/),
    text: fc
      .string({
        unit: fc.constantFrom('a', 'Z', ' ', ',', '"', '\n', '\r\n', '\t', 'é', '中', '😀', "'", ';'),
        minLength: 1,
        maxLength: 40,
      })
      .filter((text) => text.trim() !== ''),
    category: fc.option(fc.stringMatching(/^[a-z][a-z ,"-]{0,15}[a-z]$/), { nil: null }),
    language: fc.option(fc.constantFrom('en', 'zh-Hans', 'pt-BR', 'es-419', 'de-CH-1996'), { nil: undefined }),
  });
  const questionSet = fc.uniqueArray(question, { selector: (q) => q.id, minLength: 1, maxLength: 30 });

  it('reads back exactly the questions written as CSV and as JSON Lines (property)', () => {
    fc.assert(
      fc.property(questionSet, fc.constantFrom('\n', '\r\n'), (questions, eol) => {
        // Line breaks in text read as LF, whatever the file used (the spec allows LF only).
        const expected = questions.map(({ language, text, ...rest }) => ({
          ...rest,
          text: text.replace(/\r\n/g, '\n'),
          ...(language === undefined ? {} : { language }),
        }));
        expect(questionsOf(parseQuestionsText(toCsv(questions, eol), 'csv'))).toEqual(expected);
        expect(questionsOf(parseQuestionsText(toJsonl(questions, eol), 'jsonl'))).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('names the row a record starts on after multi-line quoted fields (property)', () => {
    fc.assert(
      fc.property(questionSet, fc.constantFrom('\n', '\r\n'), (questions, eol) => {
        // Empty the text of the last question: its problem must name the line its record starts on.
        const broken = [...questions.slice(0, -1), { ...questions.at(-1)!, text: '' }];
        const csv = toCsv(broken, eol);
        const lines = csv.split('\n');
        const row = lines.findIndex((line) => line.startsWith(csvField(broken.at(-1)!.id) + ',')) + 1;
        expect(messages(parseQuestionsText(csv, 'csv'))).toEqual([`questions.csv: row ${row}, column text: must not be empty`]);
      }),
      { numRuns: 100 },
    );
  });
});

describe('translations in questions files', () => {
  it('reads CSV columns text_<language> (an empty cell is no translation) and a JSON Lines translations object', () => {
    const csv = 'id,text,language,text_zh-Hans,text_ru\nq1,Who are you?,en,你是谁？,Кто ты?\nq2,Hello?,en,,\n';
    expect(questionsOf(parseQuestionsText(csv, 'csv'))).toEqual([
      { id: 'q1', text: 'Who are you?', category: null, language: 'en', translations: { 'zh-Hans': '你是谁？', ru: 'Кто ты?' } },
      { id: 'q2', text: 'Hello?', category: null, language: 'en' },
    ]);
    const jsonl = '{"id":"q1","text":"Who are you?","translations":{"zh-Hans":"你是谁？"}}\n';
    expect(questionsOf(parseQuestionsText(jsonl, 'jsonl'))).toEqual([
      { id: 'q1', text: 'Who are you?', category: null, translations: { 'zh-Hans': '你是谁？' } },
    ]);
  });

  it('names the row and column of each text missing in a language the job asks, and gives no question', () => {
    const csv = 'id,text,language,text_zh-Hans\nq1,Who are you?,en,你是谁？\nq2,Hello?,en,\nq3,你好？,zh-Hans,\n';
    expect(messages(parseQuestionsText(csv, 'csv', ['en', 'zh-Hans', 'ru']))).toEqual([
      'questions.csv: row 2, column text_ru: has no text in ru, which the job asks for (languages)',
      'questions.csv: row 3, column text_zh-Hans: has no text in zh-Hans, which the job asks for (languages)',
      'questions.csv: row 3, column text_ru: has no text in ru, which the job asks for (languages)',
      'questions.csv: row 4, column text_en: has no text in en, which the job asks for (languages)',
      'questions.csv: row 4, column text_ru: has no text in ru, which the job asks for (languages)',
    ]);
    expect(messages(parseQuestionsText('{"id":"q1","text":"Hi?"}\n', 'jsonl', ['ru']), 'q.jsonl')).toEqual([
      'q.jsonl: line 1, field translations: has no text in ru, which the job asks for (languages)',
    ]);
  });

  it('refuses a translation column or key that is not a language tag, and a translations field that is not an object', () => {
    expect(messages(parseQuestionsText('id,text,text_english\nq1,Hi?,Hallo?\n', 'csv'))[0]).toMatch(
      /row 1, column text_english: unknown column \(known columns: id, text, category, language, text_<language>\)/,
    );
    expect(messages(parseQuestionsText('{"id":"q1","text":"Hi?","translations":{"english":"Hi?"}}\n', 'jsonl'), 'q.jsonl')).toEqual([
      'q.jsonl: line 1, field translations: "english" is not a BCP-47 language tag such as en or zh-Hans',
    ]);
    expect(messages(parseQuestionsText('{"id":"q1","text":"Hi?","translations":["Hallo?"]}\n', 'jsonl'), 'q.jsonl')).toEqual([
      'q.jsonl: line 1, field translations: must be an object {"<language>": "text"}, not a list',
    ]);
  });
});
