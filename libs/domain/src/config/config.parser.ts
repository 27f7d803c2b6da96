import { ANALYSIS_DEFAULTS } from './analysis-config.js';
import { buildTransparency } from '../evidence/transparency-config.js';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../problems/config.error.js';
import { sortProblems, type Problem } from '../problems/problem.js';
import { ROOT_PATH, describeValue, dottedPath, issuesToProblems, problemMessages } from '../json/zod-issue.mapper.js';
import type { BeaconConfig, JudgeConfig, QuestionDef } from './config.types.js';
import { CONFIG_SECTIONS, configSectionSchemas, type ConfigSection, type ConfigSectionValue } from './config.schema.js';
import { buildModels, buildQuestionBank, buildRegions } from './config.checks.js';
import { buildPriceTable } from './price-table.js';
import { defaultConfig } from './default-config.data.js';
import { interpolateEnv } from './env.interpolator.js';
import { readQuestionsFile } from './questions-file.reader.js';
import { formatQuestionsFileProblem, loadQuestionsFile, questionsFileFormatOf } from './questions-file.loader.js';
import { buildAuth, buildSigning } from '../auth/auth-config.schema.js';
import { buildNotifications } from '../notify/notify-config.js';

function readYaml(text: string, problems: Problem[]): unknown {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  for (const error of document.errors) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    problems.push({ path: `line ${line}:${col}`, message: `invalid YAML: ${error.message}` });
  }
  return problems.length > 0 ? undefined : document.toJS({ maxAliasCount: 100 });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

class SectionReader {
  constructor(
    private readonly values: Record<string, unknown>,
    readonly problems: Problem[],
  ) {}

  has(key: ConfigSection): boolean {
    return this.values[key] !== undefined && this.values[key] !== null;
  }

  /** The parsed section, `undefined` when left out, `null` when invalid (its problems recorded). */
  read<K extends ConfigSection>(key: K): ConfigSectionValue<K> | undefined | null {
    if (!this.has(key)) return undefined;
    const schema: z.ZodType<ConfigSectionValue<K>> = configSectionSchemas[key] as never;
    const parsed = schema.safeParse(this.values[key], { error: problemMessages });
    if (parsed.success) return parsed.data;
    this.problems.push(...issuesToProblems(parsed.error.issues, (path) => dottedPath([key, ...path])));
    return null;
  }
}

function readQuestions(sections: SectionReader, source: string): Record<string, QuestionDef> | null {
  const { problems } = sections;
  const inline = sections.read('questions');
  const file = sections.read('questionsFile');
  if (inline !== undefined && file !== undefined) {
    problems.push({ path: 'questionsFile', message: 'give either questions or questionsFile, not both' });
    return null;
  }
  if (inline) return buildQuestionBank(inline, ['questions'], problems);
  if (file) {
    const path = resolve(dirname(source), file);
    // Any extension but .csv, .jsonl and .ndjson is read as the JSON bank, as every questionsFile was before.
    const format = questionsFileFormatOf(path);
    if (format !== 'csv' && format !== 'jsonl') {
      const content = readQuestionsFile(path, problems);
      return content ? buildQuestionBank(content.entries, content.listPath, problems) : null;
    }
    const loaded = loadQuestionsFile(path, { format });
    if (!loaded.ok) {
      for (const problem of loaded.problems) problems.push({ path: 'questionsFile', message: formatQuestionsFileProblem(file, problem) });
      return null;
    }
    return Object.fromEntries(loaded.questions.map((question) => [question.id, question]));
  }
  return inline === null || file === null ? null : defaultConfig().questions;
}

/**
 * Parses and validates the YAML text of `beacon.config.yaml`. Sections left out fall back to the
 * built-in defaults; `${NAME}` in string values is read from `env`; a relative `questionsFile` is
 * resolved next to `source` and read as CSV (`.csv`), JSON Lines (`.jsonl`, `.ndjson`) or the JSON bank (any other).
 *
 * @throws ConfigError listing every problem found.
 */
export function parseConfig(text: string, source: string, env: NodeJS.ProcessEnv = process.env): BeaconConfig {
  const problems: Problem[] = [];
  const data = readYaml(text, problems) ?? null;
  if (problems.length > 0) throw new ConfigError(problems, source);
  if (data !== null && !isRecord(data)) {
    throw new ConfigError([{ path: ROOT_PATH, message: `must be a mapping of sections, not ${describeValue(data)}` }], source);
  }
  const values = interpolateEnv(data ?? {}, env, problems) as Record<string, unknown>;
  for (const key of Object.keys(values)) {
    if (!(CONFIG_SECTIONS as string[]).includes(key)) {
      problems.push({ path: key, message: `unknown top-level key (known: ${CONFIG_SECTIONS.join(', ')})` });
    }
  }

  const defaults = defaultConfig();
  const sections = new SectionReader(values, problems);
  const regionSection = sections.read('regions');
  const built = regionSection ? buildRegions(regionSection, problems) : undefined;
  const regions = built?.regions ?? defaults.regions;
  const regionNames = regionSection === null ? null : (built?.names ?? regions);
  const modelSection = sections.read('models') ?? Object.fromEntries(Object.keys(defaults.models).map((id) => [id, null]));
  const models = buildModels(modelSection, regionNames, problems);
  const questions = readQuestions(sections, source);
  const priceSection = sections.read('prices');
  const prices = priceSection && regionNames ? buildPriceTable(priceSection, regionNames, models, problems) : undefined;
  const prompt = sections.read('prompt');
  const defaultValues = sections.read('defaults');
  const limits = sections.read('limits');
  const classifier = sections.read('classifier');
  const auth = buildAuth(sections.read('auth') ?? undefined, problems);
  const signing = buildSigning(sections.read('signing') ?? undefined, problems);
  const server = sections.read('server');
  const analysis = sections.read('analysis');
  const notifications = buildNotifications(sections.read('notifications'), problems);
  const transparency = buildTransparency(sections.read('transparency') ?? undefined, problems);

  if (problems.length > 0) throw new ConfigError(sortProblems(problems), source);
  return {
    regions,
    models,
    questions: questions ?? defaults.questions,
    ...(prices ? { prices } : {}),
    prompt: prompt ?? defaults.prompt,
    defaults: { ...defaults.defaults, ...stripUndefined(defaultValues ?? {}) },
    limits: { ...defaults.limits, ...stripUndefined(limits ?? {}) },
    classifier: { judge: classifier?.judge?.enabled ? judgeOf(classifier.judge) : null },
    auth,
    signing,
    analysis: { ...ANALYSIS_DEFAULTS, ...stripUndefined(analysis ?? {}) },
    server: { allowedHosts: server?.allowedHosts ?? [], allowedOrigins: server?.allowedOrigins ?? [] },
    notifications,
    transparency,
    source,
  };
}

function judgeOf({ enabled: _enabled, ...judge }: NonNullable<NonNullable<ConfigSectionValue<'classifier'>['judge']>>): JudgeConfig {
  return judge;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
