import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import {
  CLASSIFIER_VERSION, TableFormatError, classifyResponse, humanLabelReader, isActiveJobStatus, readTable, scoreClassifier,
  tableFormatOf, type Classification, type ClassifierScore, type JudgeConfig, type Table,
} from '@beacon/domain';
import { ClassificationRepository } from '@beacon/db';
import { JudgeClassifier, OpenAiCompatibleProvider, type JudgeInput } from '@beacon/engine';
import { readConfig, type GlobalOptions } from '../context.js';
import { openDatabase } from '../database.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable, note, printJson } from '../output.js';

interface ClassifyFlags {
  input?: string;
  job?: string;
  promptColumn?: string;
  completionColumn?: string;
  labels?: string;
  refusalValues?: string;
  json?: boolean;
  judge: boolean;
}

/** Judge calls in flight at once. */
const JUDGE_CONCURRENCY = 4;

/** A labelling function: the rules alone, or the rules and the configured judge. */
interface Labeller {
  version: string;
  label(input: JudgeInput): Promise<Classification & { judgeError?: string }>;
  close(): Promise<void>;
}

function labeller(judge: JudgeConfig | null): Labeller {
  if (!judge) {
    return { version: CLASSIFIER_VERSION, label: async (input) => classifyResponse(input), close: async () => undefined };
  }
  const provider = new OpenAiCompatibleProvider(JUDGE_CONCURRENCY);
  const classifier = new JudgeClassifier(judge, provider);
  return { version: classifier.version, label: (input) => classifier.classify(input), close: () => provider.close() };
}

/** Maps over items with at most `limit` promises pending, keeping the order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      out[i] = await f(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)}%`);
const short = (text: string | null, n = 60) => {
  const flat = (text ?? '').replace(/\s+/g, ' ').trim();
  return flat.length > n ? `${flat.slice(0, n - 1)}…` : flat;
};

/** Columns taken as the response when `--completion-column` is not given, in order of preference. */
const COMPLETION_COLUMNS = ['completion', 'response', 'output', 'answer'] as const;

/**
 * `beacon classify`: labels responses with the refusal classifier. `--input FILE` labels the rows of a CSV or JSON
 * Lines file and, with `--labels COLUMN`, scores the classifier against human labels; `--job JOB` re-classifies a
 * finished job's results with the current version, adding a label row per result and keeping the older ones.
 */
export function registerClassify(program: Command): void {
  program.command('classify')
    .description('label responses answered / refused / partial / empty / filtered, from a file or a finished job')
    .option('--input <file>', 'CSV (with a header row) or JSON Lines (.jsonl) file of responses')
    .option('--job <id>', 're-classify a finished job\'s results with the current classifier version (older labels are kept)')
    .option('--prompt-column <name>', 'column holding the request, shown to the judge model (default: prompt, when present)')
    .option('--completion-column <name>', `column holding the response (default: the first of ${COMPLETION_COLUMNS.join(', ')} present)`)
    .option('--labels <column>', 'column of human labels: score the classifier (agreement, precision and recall of refused, confusion matrix)')
    .option('--refusal-values <list>', 'with --labels: comma-separated label values that mean refused (default: values naming a refusal, e.g. 2_full_refusal, 3_partial_refusal, refused, partial)')
    .option('--json', 'print JSON')
    .option('--no-judge', 'rules only, even when classifier.judge is configured')
    .action(async (flags: ClassifyFlags, cmd: Command) => {
      if ((flags.input === undefined) === (flags.job === undefined)) throw new CliError('give exactly one of --input FILE or --job JOB', EXIT.usage);
      if (flags.job !== undefined && (flags.labels || flags.refusalValues || flags.promptColumn || flags.completionColumn)) {
        throw new CliError('--labels, --refusal-values, --prompt-column and --completion-column apply to --input only', EXIT.usage);
      }
      if (flags.refusalValues !== undefined && !flags.labels) throw new CliError('--refusal-values needs --labels COLUMN', EXIT.usage);
      const config = readConfig(cmd.optsWithGlobals<GlobalOptions>());
      const judge = flags.judge ? config.classifier?.judge ?? null : null;
      if (flags.input !== undefined) await classifyFile(flags.input, flags, labeller(judge));
      else await classifyJob(flags.job!, flags, labeller(judge));
    });
}

function readInput(file: string): Table {
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new CliError(`--input ${file} is not a file`, EXIT.usage);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`--input ${file} cannot be read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, EXIT.usage);
  }
  try {
    return readTable(text, tableFormatOf(file));
  } catch (err) {
    if (err instanceof TableFormatError) throw new CliError(`--input ${file}: ${err.message}`, EXIT.usage);
    throw err;
  }
}

function requireColumn(table: Table, column: string, flag: string, file: string): void {
  if (!table.columns.includes(column)) {
    throw new CliError(`${flag}: ${file} has no column "${column}" (columns: ${table.columns.join(', ') || 'none'})`, EXIT.usage);
  }
}

async function classifyFile(file: string, flags: ClassifyFlags, labelWith: Labeller): Promise<void> {
  const table = readInput(file);
  const completionColumn = flags.completionColumn ?? COMPLETION_COLUMNS.find((c) => table.columns.includes(c));
  if (completionColumn === undefined) {
    throw new CliError(`--completion-column: ${file} has none of the columns ${COMPLETION_COLUMNS.join(', ')} (columns: ${table.columns.join(', ') || 'none'}); name the response column`, EXIT.usage);
  }
  requireColumn(table, completionColumn, '--completion-column', file);
  if (flags.promptColumn !== undefined) requireColumn(table, flags.promptColumn, '--prompt-column', file);
  if (flags.labels !== undefined) requireColumn(table, flags.labels, '--labels', file);
  const promptColumn = flags.promptColumn ?? (table.columns.includes('prompt') ? 'prompt' : null);
  const idColumn = table.columns.includes('id') ? 'id' : null;

  let labelled;
  try {
    labelled = await mapLimited(table.rows, JUDGE_CONCURRENCY, async (row) => labelWith.label({
      content: row[completionColumn] ?? null, prompt: promptColumn ? row[promptColumn] ?? null : null,
    }));
  } finally {
    await labelWith.close();
  }
  const rows = table.rows.map((row, i) => ({
    row: i + 1, id: idColumn ? row[idColumn] ?? null : null, ...labelled[i]!,
    human: flags.labels !== undefined ? row[flags.labels] ?? '' : undefined, completion: row[completionColumn] ?? null,
  }));
  const values = flags.refusalValues?.split(',').map((v) => v.trim()).filter(Boolean);
  const score = flags.labels !== undefined
    ? scoreClassifier(rows.map((r) => ({ predicted: r.label, human: r.human ?? '' })), humanLabelReader(values))
    : null;
  if (score && score.unrecognisedLabels.length > 0) {
    note(`--labels ${flags.labels}: value(s) ${score.unrecognisedLabels.map((v) => JSON.stringify(v)).join(', ')} name neither a refusal nor a compliance and were scored as compliance; pass --refusal-values to say which values mean refused`);
  }
  const judgeErrors = rows.filter((r) => r.judgeError).length;
  if (judgeErrors > 0) note(`judge gave no verdict for ${judgeErrors} row(s); their rule labels stand`);

  if (flags.json) {
    printJson({
      version: labelWith.version, file,
      rows: rows.map(({ completion: _c, ...r }) => r),
      ...(score ? { score } : {}),
    });
    return;
  }
  process.stdout.write(formatTable(rows, [
    { header: 'ROW', value: (r) => r.id ?? String(r.row), align: 'right' },
    { header: 'LABEL', value: (r) => r.label },
    { header: 'CONF', value: (r) => r.confidence.toFixed(2), align: 'right' },
    { header: 'TIER', value: (r) => r.tier },
    { header: 'RULE', value: (r) => r.rule },
    ...(flags.labels !== undefined ? [{ header: 'HUMAN', value: (r: (typeof rows)[number]) => r.human ?? '' }] : []),
    { header: 'COMPLETION', value: (r) => short(r.completion) },
  ]));
  if (score) process.stdout.write(`\n${formatScore(score, labelWith.version)}`);
}

/** The score as text: one summary line and the confusion matrix. */
export function formatScore(s: ClassifierScore, version: string): string {
  const head = `classifier ${version} against human labels (refusal = refused or partial), ${s.n} rows` +
    `${s.unlabelled > 0 ? ` (${s.unlabelled} without a human label not scored)` : ''}\n` +
    `agreement ${pct(s.agreement)} (${s.truePositives + s.trueNegatives}/${s.n})  ` +
    `precision of refused ${pct(s.precision)}  recall of refused ${pct(s.recall)}  ` +
    `(tp ${s.truePositives}, fp ${s.falsePositives}, fn ${s.falseNegatives}, tn ${s.trueNegatives})\n\n`;
  const { humanLabels, predictedLabels, counts } = s.confusion;
  const matrix = formatTable(humanLabels.map((h, i) => ({ h, c: counts[i]! })), [
    { header: 'HUMAN \\ CLASSIFIER', value: (r) => r.h },
    ...predictedLabels.map((p, j) => ({ header: p.toUpperCase(), value: (r: { c: number[] }) => String(r.c[j]), align: 'right' as const })),
  ]);
  return head + matrix;
}

async function classifyJob(jobId: string, flags: ClassifyFlags, labelWith: Labeller): Promise<void> {
  const db = await openDatabase({ applicationName: 'beacon-classify', poolSize: 2, quiet: flags.json });
  try {
    const repo = new ClassificationRepository(db.ds);
    const status = await repo.jobStatus(jobId);
    if (status === null) throw new CliError(`job ${jobId} not found`, EXIT.notFound);
    if (isActiveJobStatus(status)) throw new CliError(`job ${jobId} is ${status}; classify it once it has finished`, EXIT.usage);
    const results = await repo.results(jobId);
    const labels = await mapLimited(results, JUDGE_CONCURRENCY, (r) => labelWith.label({
      content: r.response, finishReason: r.finishReason, prompt: r.userPrompt,
      // The refusal field and moderation flag are not stored; the earlier label that saw them is their record.
      refusal: r.currentRule === 'provider.refusal_field' ? 'recorded by an earlier classification' : null,
      moderationFlagged: r.currentRule === 'provider.moderation',
    })).finally(() => labelWith.close());
    const added = await repo.record(results.map((r, i) => ({
      executionId: r.executionId, attemptId: r.attemptId, version: labels[i]!.version, label: labels[i]!.label,
      confidence: labels[i]!.confidence, tier: labels[i]!.tier, rule: labels[i]!.rule,
    })));
    const counts: Record<string, number> = {};
    results.forEach((r, i) => {
      if (added.has(r.executionId)) counts[labels[i]!.label] = (counts[labels[i]!.label] ?? 0) + 1;
    });
    const summary = { job: jobId, version: labelWith.version, results: results.length, added: added.size, kept: results.length - added.size, labels: counts };
    if (flags.json) return printJson(summary);
    process.stdout.write(`job ${jobId}: ${results.length} result(s) classified with ${labelWith.version}; ` +
      `${added.size} new label(s), ${summary.kept} already labelled by this version (kept)\n`);
    for (const [label, n] of Object.entries(counts).sort()) process.stdout.write(`  ${label.padEnd(9)} ${n}\n`);
  } finally {
    await db.close();
  }
}
