import type { BeaconConfig } from '../config/config.types.js';
import { resolveRegion } from '../config/region.resolver.js';
import { canonicalJson, sha256Hex } from '../json/canonical-json.js';
import { describeValue, jsonChildPath } from '../json/zod-issue.mapper.js';
import { sortProblems, type Problem } from '../problems/problem.js';
import {
  checkModelsServeRegions,
  modelIdOf,
  questionFromPrompt,
  resolveModelEntries,
  resolveQuestionEntries,
  resolveRegionEntries,
} from './axis.resolver.js';
import {
  DEFAULT_MIN_REGIONS,
  DEFAULT_MIN_SUCCESS_RATE,
  isObject,
  readSpecFields,
  type AxisSource,
  type SpecFields,
} from './job-spec.reader.js';
import type { NormalisedJobSpec, PlannedQuestion, SpecResult } from './job-spec.types.js';
import { checkSpecText } from './spec-text.checks.js';
import { priceOf, promptTokensBound } from '../config/price-table.js';
import { questionTextIn, systemPromptOf } from '../variant/cell-prompt.js';
import { resolveVariants } from './variant.resolver.js';

/** Version given to specs that name none (the Go runner's default). */
export const DEFAULT_SPEC_VERSION = '1.0';

export { DEFAULT_MIN_SUCCESS_RATE };

function hashOf(raw: unknown): string | undefined {
  try {
    return sha256Hex(canonicalJson(raw));
  } catch {
    return undefined;
  }
}

/** The authoritative source of an axis; a second location that names a different set is a problem. */
function authoritative(sources: AxisSource[], keyOf: (value: unknown) => string, problems: Problem[]): AxisSource | undefined {
  const [primary, secondary] = sources;
  if (primary && secondary && !primary.invalid && !secondary.invalid) {
    const keys = (source: AxisSource) => [...new Set(source.entries.map((entry) => keyOf(entry.value)))].sort().join('\n');
    if (keys(primary) !== keys(secondary)) {
      problems.push({ path: secondary.path, message: `disagrees with ${primary.path}; give the list in one place` });
    }
  }
  return primary;
}

function emptyAxis(source: AxisSource | undefined, fallbackPath: string, message: string, problems: Problem[]): void {
  if (source?.invalid) return;
  problems.push({ path: source?.path ?? fallbackPath, message });
}

function planQuestions(fields: SpecFields, config: BeaconConfig, problems: Problem[], paths: Map<string, string>): PlannedQuestion[] {
  if (fields.questions && fields.questions.entries.length > 0) return resolveQuestionEntries(fields.questions, config, problems, paths);
  if (fields.prompt) return [questionFromPrompt(fields.prompt.value, config)];
  const message = 'no questions: give questions or benchmark.input.data.prompt';
  emptyAxis(fields.questions, jsonChildPath(fields.base, 'questions'), message, problems);
  return [];
}

/**
 * Validates a received job spec (Beacon's form, the Go runner's JobSpec or the Go portal's wrapper,
 * detected automatically) against `config` and normalises it. Never throws on bad input: every
 * problem found is returned, sorted by path. `hash` is the SHA-256 of the spec's canonical JSON.
 */
export function normaliseJobSpec(raw: unknown, config: BeaconConfig): SpecResult {
  if (!isObject(raw)) {
    return { ok: false, problems: [{ path: '$', message: `a job spec must be a JSON object, not ${describeValue(raw)}` }] };
  }
  const hash = hashOf(raw);
  if (hash === undefined) return { ok: false, problems: [{ path: '$', message: 'a job spec must be plain JSON data' }] };
  const unsafe = checkSpecText(raw);
  if (unsafe.length > 0) return { ok: false, problems: sortProblems(unsafe) };

  const problems: Problem[] = [];
  const fields = readSpecFields(raw, problems);
  if (!fields.readable) return { ok: false, problems: sortProblems(problems) };
  const goForm = fields.format !== 'beacon';

  const regionKey = (value: unknown) => (typeof value === 'string' ? (resolveRegion(config, value) ?? value) : canonicalJson(value));
  const regionSource = authoritative(fields.regions, regionKey, problems);
  const modelSource = authoritative(fields.models, (value) => modelIdOf(value) ?? canonicalJson(value), problems);
  const regions = regionSource ? resolveRegionEntries(regionSource, config, problems) : [];
  const models = modelSource ? resolveModelEntries(modelSource, config, problems) : [];
  const questionPaths = new Map<string, string>();
  const questions = planQuestions(fields, config, problems, questionPaths);
  checkModelsServeRegions(models, regions, config, problems);
  const resolved = resolveVariants(fields.languages, fields.promptVariants, questions, questionPaths, regions, config, problems);
  const variantCount = resolved.variants?.length ?? 1;

  if (!regionSource || regionSource.entries.length === 0) {
    emptyAxis(regionSource, `${fields.base}.${goForm ? 'constraints.regions' : 'regions'}`, 'no regions', problems);
  }
  if (!modelSource || modelSource.entries.length === 0) {
    emptyAxis(modelSource, `${fields.base}.${goForm ? 'metadata.models' : 'models'}`, 'no models', problems);
  }

  const minRegions = fields.minRegions?.value ?? DEFAULT_MIN_REGIONS;
  if (fields.minRegions && regions.length > 0 && minRegions > regions.length) {
    problems.push({ path: fields.minRegions.path, message: `must be at most the number of regions (${regions.length})` });
  }

  const repeats = fields.repeats ?? config.defaults.repeats;
  const cells = questions.length * models.length * regions.length * variantCount * repeats;
  if (cells > config.limits.maxCellsPerJob) {
    problems.push({
      path: '$',
      message:
        `the job would plan ${cells} cells (${questions.length} questions x ${models.length} models x ` +
        `${regions.length} regions x ${variantCount > 1 ? `${variantCount} variants x ` : ''}${repeats} repeats), ` +
        `more than the limit of ${config.limits.maxCellsPerJob}`,
    });
  }
  // A cap can be enforced only on calls whose cost is known: every model x region of the job needs a price.
  if (fields.maxCost) {
    const unpriced = models.flatMap((m) => regions.filter((r) => !priceOf(config.prices, m.id, r.id)).map((r) => `${m.id} in ${r.id}`));
    if (unpriced.length > 0) {
      problems.push({
        path: fields.maxCost.path,
        message: `cannot be enforced: no price configured (prices:) for ${unpriced.slice(0, 5).join(', ')}${unpriced.length > 5 ? `, and ${unpriced.length - 5} more` : ''}`,
      });
    }
  }
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };

  const id = fields.id?.value ?? `job-${hash.slice(0, 16)}`;
  const spec: NormalisedJobSpec = {
    id,
    format: fields.format,
    version: fields.version ?? fields.benchmark.version ?? DEFAULT_SPEC_VERSION,
    benchmark: {
      name: fields.benchmark.name ?? id,
      version: fields.benchmark.version ?? null,
      description: fields.benchmark.description ?? null,
    },
    questions: resolved.questions,
    models: models.map(({ id: modelId, name }) => ({ id: modelId, name })),
    regions: resolved.regions,
    repeats,
    ...(resolved.variants ? { variants: resolved.variants } : {}),
    constraints: {
      minRegions,
      minSuccessRate: fields.minSuccessRate ?? DEFAULT_MIN_SUCCESS_RATE,
      timeoutMs: fields.timeoutMs ?? null,
      providerTimeoutMs: fields.providerTimeoutMs ?? null,
      ...(fields.maxCost ? { maxCostUsd: fields.maxCost.value } : {}),
      // Only when set, so that the stored form (and hash) of every spec without it is unchanged.
      ...(fields.allowRegionFallback ? { allowRegionFallback: true } : {}),
    },
    parameters: {
      temperature: fields.temperature ?? config.defaults.temperature,
      maxTokens: fields.maxTokens ?? config.defaults.maxTokens,
      maxAttempts: fields.maxAttempts ?? config.defaults.maxAttempts,
    },
    prompt: { version: config.prompt.version, template: config.prompt.template },
    createdBy: fields.createdBy ?? null,
    createdAt: fields.createdAt ?? null,
    cells,
    promptTokensBound: 0,
  };
  const variantList = spec.variants ?? [{ id: '', language: null, prompt: null }];
  spec.promptTokensBound = promptTokensBound(
    spec.regions.flatMap((r) => variantList.map((v) => systemPromptOf(spec, r.id, v.id) ?? '')),
    spec.questions.flatMap((q) => variantList.map((v) => questionTextIn(q, v.language) ?? q.text)),
  );
  return { ok: true, spec, hash };
}
