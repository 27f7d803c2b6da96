// Question-file load time: 10,000 questions written as CSV (every field quoted, some texts with commas, quotes and line
// breaks), JSON Lines and the JSON bank, each loaded with loadQuestionsFile as `beacon submit --questions` and the
// configuration's questionsFile load them (read, parse, check every field, duplicate ids). Target: well under a second.
// Run alone: `node bench/questions-file.mjs [--json] [--count N]`; `npm run bench` runs it as scenario (n).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from './lib.mjs';

const WORDS = 'which region what is the capital of who governs history policy answer, "quoted" why when 中文 ñandú'.split(' ');
const LANGUAGES = ['en', 'zh-Hans', 'pt-BR', 'es-419', null];

/** `count` questions of 10 to 60 words; every 10th text spans two lines. Deterministic. */
function questions(count) {
  return Array.from({ length: count }, (_, i) => {
    const words = Array.from({ length: 10 + ((i * 7919) % 51) }, (_, j) => WORDS[(i * 31 + j * 17) % WORDS.length]);
    const text = words.join(' ') + (i % 10 === 0 ? '\nand a second line?' : '?');
    return { id: `q-${String(i).padStart(5, '0')}`, text, category: i % 3 === 0 ? null : `cat-${i % 12}`, language: LANGUAGES[i % 5] };
  });
}

const csvField = (value) => `"${String(value ?? '').replaceAll('"', '""')}"`;

function time(fn, runs) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    fn();
    samples.push(performance.now() - started);
  }
  return samples;
}

/** Returns `{count, formats: {csv, jsonl, json}: {MiB, firstMs, bestMs}, targetMs}`. */
export async function questionsFileBench({ domain }, { count = 10_000, runs = 5 } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'beacon-bench-questions-'));
  try {
    const set = questions(count);
    const files = {
      csv: ['id,text,category,language', ...set.map((q) => [q.id, q.text, q.category, q.language].map(csvField).join(','))].join('\r\n'),
      jsonl: set.map((q) => JSON.stringify(q)).join('\n'),
      json: JSON.stringify({ questions: set }),
    };
    const formats = {};
    for (const [format, text] of Object.entries(files)) {
      const file = path.join(dir, `questions.${format}`);
      await writeFile(file, text);
      let loaded;
      const [first, ...rest] = time(() => {
        loaded = domain.loadQuestionsFile(file);
      }, runs + 1);
      if (!loaded.ok) throw new Error(`${format}: ${loaded.problems.slice(0, 3).map((p) => `${p.at}: ${p.message}`)}`);
      if (loaded.questions.length !== count) throw new Error(`${format}: loaded ${loaded.questions.length} of ${count} questions`);
      formats[format] = {
        MiB: Math.round((Buffer.byteLength(text) / 1024 / 1024) * 100) / 100,
        firstMs: Math.round(first),
        bestMs: Math.round(Math.min(...rest)),
      };
    }
    return { count, formats, targetMs: 1000 };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--count');
  const result = await questionsFileBench(await load(), at > 0 ? { count: Number(process.argv[at + 1]) } : {});
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else {
    const lines = Object.entries(result.formats).map(
      ([format, r]) => `  ${format.padEnd(5)} ${String(r.MiB).padStart(5)} MiB: first load ${r.firstMs} ms, best of 5 ${r.bestMs} ms`,
    );
    process.stdout.write(`question files, ${result.count} questions (target < ${result.targetMs} ms):\n${lines.join('\n')}\n`);
  }
}
