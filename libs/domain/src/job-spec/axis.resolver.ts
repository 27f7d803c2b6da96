import type { Problem } from '../problems/problem.js';
import type { BeaconConfig } from '../config/config.types.js';
import { resolveRegion } from '../config/region.resolver.js';
import { canonicalJson, sha256Hex } from '../json/canonical-json.js';
import { describeValue, issuesToProblems, jsonChildPath, jsonPathFormatter, problemMessages } from '../json/zod-issue.mapper.js';
import { inlineQuestionSchema, modelObjectSchema } from './job-spec.schema.js';
import type { At, AxisSource } from './job-spec.reader.js';
import { isObject } from './job-spec.reader.js';
import type { PlannedQuestion } from './job-spec.types.js';

/** A resolved region entry and where it was given. */
export interface RegionEntry {
  id: string;
  displayName: string;
  path: string;
}

/** A resolved model entry and where it was given. */
export interface ModelEntry {
  id: string;
  name: string;
  path: string;
}

type Kind = 'region' | 'model' | 'question';

/** `record[key]` if it is an own entry: a question named `constructor` must not find `Object`. */
function lookup<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

class DuplicateGuard {
  private readonly firstPath = new Map<string, string>();

  constructor(
    private readonly kind: Kind,
    private readonly problems: Problem[],
  ) {}

  /** True the first time `key` is seen; a problem at `path` afterwards. */
  admit(key: string, path: string): boolean {
    const first = this.firstPath.get(key);
    if (first === undefined) {
      this.firstPath.set(key, path);
      return true;
    }
    this.problems.push({ path, message: `duplicate ${this.kind} "${key}" (also at ${first})` });
    return false;
  }
}

/** Canonical regions of `source` in order; unknown, mistyped and repeated entries become problems. */
export function resolveRegionEntries(source: AxisSource, config: BeaconConfig, problems: Problem[]): RegionEntry[] {
  const guard = new DuplicateGuard('region', problems);
  const known = Object.keys(config.regions).join(', ');
  const regions: RegionEntry[] = [];
  for (const { value, path } of source.entries) {
    if (typeof value !== 'string' || value === '') {
      problems.push({ path, message: `must be a region id or alias, not ${describeValue(value)}` });
      continue;
    }
    const id = resolveRegion(config, value);
    if (id === null) problems.push({ path, message: `unknown region "${value}" (known: ${known})` });
    else if (guard.admit(id, path)) regions.push({ id, displayName: config.regions[id]!.displayName, path });
  }
  return regions;
}

/** The model id an entry names: a string, or the `id` of an object, or undefined when neither. */
export function modelIdOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  return isObject(value) && typeof value.id === 'string' ? value.id : undefined;
}

/** Configured models of `source` in order; entries are ids or `{ id, name }` objects. */
export function resolveModelEntries(source: AxisSource, config: BeaconConfig, problems: Problem[]): ModelEntry[] {
  const guard = new DuplicateGuard('model', problems);
  const known = Object.keys(config.models).join(', ');
  const models: ModelEntry[] = [];
  for (const { value, path } of source.entries) {
    if (isObject(value)) {
      const parsed = modelObjectSchema.safeParse(value, { error: problemMessages });
      if (!parsed.success) {
        problems.push(...issuesToProblems(parsed.error.issues, jsonPathFormatter(path)));
        continue;
      }
    } else if (typeof value !== 'string' || value === '') {
      problems.push({ path, message: `must be a model id or an object {id, name}, not ${describeValue(value)}` });
      continue;
    }
    const id = modelIdOf(value)!;
    const model = lookup(config.models, id);
    if (!model) problems.push({ path, message: `unknown model "${id}" (known: ${known})` });
    else if (guard.admit(id, path)) models.push({ id, name: model.name, path });
  }
  return models;
}

/** A problem for each model asked in a region that does not serve it, at the model's entry. */
export function checkModelsServeRegions(
  models: readonly ModelEntry[],
  regions: readonly RegionEntry[],
  config: BeaconConfig,
  problems: Problem[],
): void {
  for (const model of models) {
    const served = config.models[model.id]!.regions;
    const missing = regions.filter((region) => !served.includes(region.id)).map((region) => `"${region.id}"`);
    if (missing.length === 0) continue;
    const where = missing.length === 1 ? `region ${missing[0]}` : `regions ${missing.join(', ')}`;
    problems.push({
      path: model.path,
      message: `model "${model.id}" is not served in ${where} (served in: ${served.join(', ') || 'none'})`,
    });
  }
}

function inlineQuestion(entry: At<object>, config: BeaconConfig, problems: Problem[]): PlannedQuestion | undefined {
  const parsed = inlineQuestionSchema.safeParse(entry.value, { error: problemMessages });
  if (!parsed.success) {
    problems.push(...issuesToProblems(parsed.error.issues, jsonPathFormatter(entry.path)));
    return undefined;
  }
  const { id, text, category, language, translations } = parsed.data;
  const banked = lookup(config.questions, id);
  if (banked && translations && canonicalJson(translations) !== canonicalJson(banked.translations ?? {})) {
    problems.push({
      path: jsonChildPath(entry.path, 'translations'),
      message: `"${id}" is a bank question with other translations; give the inline question another id`,
    });
    return undefined;
  }
  if (banked && banked.text !== text) {
    problems.push({
      path: jsonChildPath(entry.path, 'id'),
      message: `"${id}" is a bank question with different text; give the inline question another id`,
    });
    return undefined;
  }
  if (banked) return { ...banked, source: 'bank' };
  return {
    id,
    text,
    category: category ?? null,
    ...(language ? { language } : {}),
    ...(translations && Object.keys(translations).length > 0 ? { translations } : {}),
    source: 'inline',
  };
}

function bankQuestion(entry: At<string>, config: BeaconConfig, problems: Problem[]): PlannedQuestion | undefined {
  const banked = lookup(config.questions, entry.value);
  if (banked) return { ...banked, source: 'bank' };
  const hint = /\s/.test(entry.value) ? ' (inline questions are objects {id, text})' : '';
  problems.push({ path: entry.path, message: `unknown question "${entry.value}"${hint}` });
  return undefined;
}

/**
 * Questions of `source` in order: bank ids or inline `{ id, text, category? }` objects. `paths`, when given, receives
 * where each question was listed, for problems found later.
 */
export function resolveQuestionEntries(
  source: AxisSource,
  config: BeaconConfig,
  problems: Problem[],
  paths?: Map<string, string>,
): PlannedQuestion[] {
  const guard = new DuplicateGuard('question', problems);
  const questions: PlannedQuestion[] = [];
  for (const entry of source.entries) {
    const { value, path } = entry;
    let question: PlannedQuestion | undefined;
    if (typeof value === 'string' && value !== '') question = bankQuestion({ value, path }, config, problems);
    else if (isObject(value)) question = inlineQuestion({ value, path }, config, problems);
    else problems.push({ path, message: `must be a question id or an object {id, text}, not ${describeValue(value)}` });
    if (question && guard.admit(question.id, path)) {
      questions.push(question);
      paths?.set(question.id, path);
    }
  }
  return questions;
}

/** The one question of a question-less spec: the bank question its prompt names, or one made from its text. */
export function questionFromPrompt(prompt: string, config: BeaconConfig): PlannedQuestion {
  const banked = lookup(config.questions, prompt);
  if (banked) return { ...banked, source: 'bank' };
  return { id: `prompt-${sha256Hex(prompt).slice(0, 12)}`, text: prompt, category: null, source: 'prompt' };
}
