import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import type { ClassifierScore, Labeller, Table } from '@beacon/classifier';
import type { JudgeConfig } from '@beacon/domain';
import { readConfig, type GlobalOptions } from '../context.js';
import { openDatabase } from '../database.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatTable, note, printJson, tableWidth } from '../output.js';

interface ClassifyFlags {
  input?: string;
  job?: string;
  promptColumn?: string;
  completionColumn?: string;
  labels?: string;
  refusalValues?: string;
  json?: boolean;
  wide?: boolean;
  judge: boolean;
}

/**
 * The rules, or the rules and the configured judge over the OpenAI-compatible HTTP client. The classifier, the engine
 * and the database layer load when classify runs, not at start-up (see program.ts).
 */
async function labeller(judge: JudgeConfig | null): Promise<Labeller> {
  const [{ createLabeller }, { OpenAiCompatibleProvider }] = await Promise.all([
    import('../lazy/classifier.js'),
    import('../lazy/engine.js'),
  ]);
  return createLabeller(judge, (concurrency) => new OpenAiCompatibleProvider(concurrency));
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
  program
    .command('classify')
    .description('label responses answered / refused / partial / empty / filtered, from a file or a finished job')
    .option('--input <file>', 'CSV (with a header row) or JSON Lines (.jsonl) file of responses')
    .option('--job <id>', "re-classify a finished job's results with the current classifier version (older labels are kept)")
    .option('--prompt-column <name>', 'column holding the request, shown to the judge model (default: prompt, when present)')
    .option('--completion-column <name>', `column holding the response (default: the first of ${COMPLETION_COLUMNS.join(', ')} present)`)
    .option(
      '--labels <column>',
      'column of human labels: score the classifier (agreement, precision and recall of refused, confusion matrix)',
    )
    .option(
      '--refusal-values <list>',
      'with --labels: comma-separated label values that mean refused (default: values naming a refusal, e.g. 2_full_refusal, 3_partial_refusal, refused, partial)',
    )
    .option('--json', 'print JSON')
    .option('--wide', 'every value whole, however wide the table (each completion in full)')
    .option('--no-judge', 'rules only, even when classifier.judge is configured')
    .action(async (flags: ClassifyFlags, cmd: Command) => {
      if ((flags.input === undefined) === (flags.job === undefined))
        throw new CliError('give exactly one of --input FILE or --job JOB', EXIT.usage);
      if (flags.job !== undefined && (flags.labels || flags.refusalValues || flags.promptColumn || flags.completionColumn)) {
        throw new CliError('--labels, --refusal-values, --prompt-column and --completion-column apply to --input only', EXIT.usage);
      }
      if (flags.refusalValues !== undefined && !flags.labels) throw new CliError('--refusal-values needs --labels COLUMN', EXIT.usage);
      const config = readConfig(cmd.optsWithGlobals<GlobalOptions>());
      const judge = flags.judge ? (config.classifier?.judge ?? null) : null;
      if (flags.input !== undefined) await classifyFile(flags.input, flags, await labeller(judge));
      else await classifyJob(flags.job!, flags, await labeller(judge));
    });
}

async function readInput(file: string): Promise<Table> {
  const { readTable, tableFormatOf, TableFormatError } = await import('../lazy/classifier.js');
  let text: string;
  try {
    if (!statSync(file).isFile()) throw new CliError(`--input ${file} is not a file`, EXIT.usage);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `--input ${file} cannot be read: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`,
      EXIT.usage,
    );
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
  const table = await readInput(file);
  const completionColumn = flags.completionColumn ?? COMPLETION_COLUMNS.find((c) => table.columns.includes(c));
  if (completionColumn === undefined) {
    throw new CliError(
      `--completion-column: ${file} has none of the columns ${COMPLETION_COLUMNS.join(', ')} (columns: ${table.columns.join(', ') || 'none'}); name the response column`,
      EXIT.usage,
    );
  }
  requireColumn(table, completionColumn, '--completion-column', file);
  if (flags.promptColumn !== undefined) requireColumn(table, flags.promptColumn, '--prompt-column', file);
  if (flags.labels !== undefined) requireColumn(table, flags.labels, '--labels', file);
  const promptColumn = flags.promptColumn ?? (table.columns.includes('prompt') ? 'prompt' : null);
  const refusalValues = flags.refusalValues
    ?.split(',')
    .map((v) => v.trim())
    .filter(Boolean);

  const { classifyTable } = await import('../lazy/classifier.js');
  let result;
  try {
    result = await classifyTable(table, { completionColumn, promptColumn, labelsColumn: flags.labels, refusalValues }, labelWith);
  } finally {
    await labelWith.close();
  }
  const { rows, score, judgeErrors } = result;
  if (score && score.unrecognisedLabels.length > 0) {
    note(
      `--labels ${flags.labels}: value(s) ${score.unrecognisedLabels.map((v) => JSON.stringify(v)).join(', ')} name neither a refusal nor a compliance and were scored as compliance; pass --refusal-values to say which values mean refused`,
    );
  }
  if (judgeErrors > 0) note(`judge gave no verdict for ${judgeErrors} row(s); their rule labels stand`);

  if (flags.json) {
    printJson({
      version: labelWith.version,
      file,
      rows: rows.map(({ completion: _c, ...r }) => r),
      ...(score ? { score } : {}),
    });
    return;
  }
  process.stdout.write(
    formatTable(
      rows,
      [
        { header: 'ROW', value: (r) => r.id ?? String(r.row), align: 'right' },
        { header: 'LABEL', value: (r) => r.label },
        { header: 'CONF', value: (r) => r.confidence.toFixed(2), align: 'right' },
        { header: 'TIER', value: (r) => r.tier },
        { header: 'RULE', value: (r) => r.rule },
        ...(flags.labels !== undefined ? [{ header: 'HUMAN', value: (r: (typeof rows)[number]) => r.human ?? '' }] : []),
        { header: 'COMPLETION', value: (r) => short(r.completion, flags.wide ? Infinity : 60), flex: true },
      ],
      { width: tableWidth(flags.wide) },
    ),
  );
  if (score) process.stdout.write(`\n${formatScore(score, labelWith.version)}`);
}

/** The score as text: one summary line and the confusion matrix. */
export function formatScore(s: ClassifierScore, version: string): string {
  const head =
    `classifier ${version} against human labels (refusal = refused or partial), ${s.n} rows` +
    `${s.unlabelled > 0 ? ` (${s.unlabelled} without a human label not scored)` : ''}\n` +
    `agreement ${pct(s.agreement)} (${s.truePositives + s.trueNegatives}/${s.n})  ` +
    `precision of refused ${pct(s.precision)}  recall of refused ${pct(s.recall)}  ` +
    `(tp ${s.truePositives}, fp ${s.falsePositives}, fn ${s.falseNegatives}, tn ${s.trueNegatives})\n\n`;
  const { humanLabels, predictedLabels, counts } = s.confusion;
  const matrix = formatTable(
    humanLabels.map((h, i) => ({ h, c: counts[i]! })),
    [
      { header: 'HUMAN \\ CLASSIFIER', value: (r) => r.h },
      ...predictedLabels.map((p, j) => ({
        header: p.toUpperCase(),
        value: (r: { c: number[] }) => String(r.c[j]),
        align: 'right' as const,
      })),
    ],
  );
  return head + matrix;
}

async function classifyJob(jobId: string, flags: ClassifyFlags, labelWith: Labeller): Promise<void> {
  const [{ RelabelJobService }, { ClassificationRepository }] = await Promise.all([
    import('../lazy/classifier.js'),
    import('../lazy/db.js'),
  ]);
  const db = await openDatabase({ applicationName: 'beacon-classify', poolSize: 2, quiet: flags.json });
  let outcome;
  try {
    outcome = await new RelabelJobService(new ClassificationRepository(db.ds)).relabel(jobId, labelWith);
  } finally {
    await Promise.all([labelWith.close(), db.close()]);
  }
  if (outcome.kind === 'not_found') throw new CliError(`job ${jobId} not found`, EXIT.notFound);
  if (outcome.kind === 'active') throw new CliError(`job ${jobId} is ${outcome.status}; classify it once it has finished`, EXIT.usage);
  const { summary } = outcome;
  if (flags.json) return printJson(summary);
  process.stdout.write(
    `job ${jobId}: ${summary.results} result(s) classified with ${summary.version}; ` +
      `${summary.added} new label(s), ${summary.kept} already labelled by this version (kept)\n`,
  );
  for (const [label, n] of Object.entries(summary.labels).sort()) process.stdout.write(`  ${label.padEnd(9)} ${n}\n`);
}
