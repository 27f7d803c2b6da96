import type { z } from 'zod';
import type { Problem } from '../problems/problem.js';
import { dottedPath, issuesToProblems, problemMessages } from '../json/zod-issue.mapper.js';
import type { ModelConfig, QuestionDef, RegionConfig } from './config.types.js';
import { MODEL_ID_PATTERN, REGION_ID_PATTERN, fallbackSchema, modelSchema, questionSchema, regionSchema } from './config.schema.js';
import { resolveRegionIn } from './region.resolver.js';
import { openAiProvider, type ProviderConfig, type RegionFallback } from '../provider/provider-config.js';

type RegionNames = Record<string, Pick<RegionConfig, 'id' | 'aliases'>>;

/** Regions read from the `regions:` section; `names` also holds entries that failed validation. */
export interface BuiltRegions {
  regions: Record<string, RegionConfig>;
  names: RegionNames;
}

function parseEntry<T>(schema: z.ZodType<T>, value: unknown, path: PropertyKey[], problems: Problem[]): T | undefined {
  const parsed = schema.safeParse(value, { error: problemMessages });
  if (parsed.success) return parsed.data;
  problems.push(...issuesToProblems(parsed.error.issues, (segments) => dottedPath([...path, ...segments])));
  return undefined;
}

function rawAliases(value: unknown): string[] {
  const aliases = (value as { aliases?: unknown } | null)?.aliases;
  return Array.isArray(aliases) ? aliases.filter((alias): alias is string => typeof alias === 'string') : [];
}

function checkAliases(names: RegionNames, problems: Problem[]): void {
  const ids = new Map(Object.keys(names).map((id) => [id.toLowerCase(), id]));
  const owners = new Map<string, string>();
  for (const region of Object.values(names)) {
    region.aliases.forEach((alias, index) => {
      const key = alias.toLowerCase();
      const path = dottedPath(['regions', region.id, 'aliases', index]);
      const shadowed = ids.get(key);
      if (shadowed !== undefined && shadowed !== region.id) {
        problems.push({ path, message: `alias "${alias}" shadows the id of region "${shadowed}"` });
      }
      const owner = owners.get(key);
      if (owner === undefined) owners.set(key, region.id);
      else if (owner !== region.id) problems.push({ path, message: `alias "${alias}" is also an alias of region "${owner}"` });
    });
  }
}

/**
 * A region with its provider resolved: `provider.baseUrl` and `provider.apiKeyEnv` fall back to the region's
 * `baseUrl` and `apiKeyEnv` (a region configured before providers existed is an OpenAI-compatible one), and the
 * region's own fields then mirror the provider's. Fields a kind needs are checked here, naming the field.
 */
function regionOf(id: string, entry: z.infer<typeof regionSchema>, problems: Problem[]): RegionConfig | null {
  const { provider: given, ...rest } = entry;
  const path = (field: string) => dottedPath(['regions', id, 'provider', field]);
  const baseUrl = given?.baseUrl ?? rest.baseUrl;
  if (baseUrl === undefined) {
    problems.push({ path: dottedPath(['regions', id, 'baseUrl']), message: 'is required (here or as provider.baseUrl)' });
    return null;
  }
  const apiKeyEnv = given?.apiKeyEnv !== undefined ? given.apiKeyEnv : rest.apiKeyEnv;
  const provider: ProviderConfig = given
    ? { ...openAiProvider(baseUrl, apiKeyEnv), ...given, baseUrl, apiKeyEnv }
    : openAiProvider(baseUrl, apiKeyEnv);
  if (provider.kind === 'bedrock') {
    if (!provider.awsRegion)
      problems.push({ path: path('awsRegion'), message: 'is required for kind bedrock (the region requests are signed for)' });
    if (!provider.accessKeyIdEnv) problems.push({ path: path('accessKeyIdEnv'), message: 'is required for kind bedrock' });
    if (!provider.apiKeyEnv) problems.push({ path: path('apiKeyEnv'), message: 'is required for kind bedrock (the secret access key)' });
  }
  const { fallbacks: chain, ...region } = rest;
  const fallbacks: RegionFallback[] = [];
  chain.forEach((raw, i) => {
    const f = parseEntry(fallbackSchema, raw, ['regions', id, 'fallbacks', i], problems);
    if (f === undefined) return;
    if ('region' in f) return void fallbacks.push({ kind: 'region', region: f.region });
    if (f.provider.baseUrl === undefined) {
      problems.push({ path: dottedPath(['regions', id, 'fallbacks', i, 'provider', 'baseUrl']), message: 'is required' });
      return;
    }
    fallbacks.push({
      kind: 'provider',
      provider: {
        ...openAiProvider(f.provider.baseUrl, null),
        ...f.provider,
        baseUrl: f.provider.baseUrl,
        apiKeyEnv: f.provider.apiKeyEnv ?? null,
      },
    });
  });
  return { id, ...region, baseUrl, apiKeyEnv, provider, fallbacks };
}

/** A fallback naming a region must name another configured one. */
function checkFallbackRegions(regions: Record<string, RegionConfig>, problems: Problem[]): void {
  for (const region of Object.values(regions)) {
    region.fallbacks.forEach((f, i) => {
      if (f.kind !== 'region') return;
      const path = dottedPath(['regions', region.id, 'fallbacks', i, 'region']);
      if (f.region === region.id) problems.push({ path, message: 'must name another region than its own' });
      else if (!regions[f.region])
        problems.push({ path, message: `unknown region "${f.region}"; regions: ${Object.keys(regions).join(', ')}` });
    });
  }
}

/** Regions from the `regions:` section, with id and alias checks. */
export function buildRegions(section: Record<string, unknown>, problems: Problem[]): BuiltRegions {
  const regions: Record<string, RegionConfig> = {};
  const names: RegionNames = {};
  if (Object.keys(section).length === 0) problems.push({ path: 'regions', message: 'must configure at least one region' });
  for (const [id, value] of Object.entries(section)) {
    if (!REGION_ID_PATTERN.test(id)) {
      problems.push({ path: dottedPath(['regions', id]), message: `region id "${id}" must match ${REGION_ID_PATTERN.source}` });
    }
    const entry = parseEntry(regionSchema, value, ['regions', id], problems);
    if (entry) {
      const region = regionOf(id, entry, problems);
      if (region) regions[id] = region;
    }
    names[id] = { id, aliases: entry?.aliases ?? rawAliases(value) };
  }
  checkAliases(names, problems);
  checkFallbackRegions(regions, problems);
  return { regions, names };
}

/**
 * Models from the `models:` section. A model's regions may be given by id or alias and are stored as
 * canonical ids; left out, the model is served in every configured region. `names` is null when the
 * regions section is not a mapping, so unknown-region checks would only add noise.
 */
export function buildModels(section: Record<string, unknown>, names: RegionNames | null, problems: Problem[]): Record<string, ModelConfig> {
  const models: Record<string, ModelConfig> = {};
  const allRegionIds = Object.keys(names ?? {});
  if (Object.keys(section).length === 0) problems.push({ path: 'models', message: 'must configure at least one model' });
  for (const [id, value] of Object.entries(section)) {
    if (!MODEL_ID_PATTERN.test(id)) {
      problems.push({ path: dottedPath(['models', id]), message: `model id "${id}" must match ${MODEL_ID_PATTERN.source}` });
    }
    const entry = parseEntry(modelSchema, value, ['models', id], problems);
    if (entry === undefined) continue;
    const served: string[] = [];
    (entry?.regions ?? allRegionIds).forEach((name, index) => {
      const canonical = names ? resolveRegionIn(names, name) : name;
      if (canonical === null) {
        problems.push({
          path: dottedPath(['models', id, 'regions', index]),
          message: `unknown region "${name}" (known: ${allRegionIds.join(', ')})`,
        });
      } else if (!served.includes(canonical)) {
        served.push(canonical);
      }
    });
    models[id] = { id, name: entry?.name ?? id, regions: served };
  }
  return models;
}

/** The question bank keyed by id; a repeated id is a problem at its later entry. */
export function buildQuestionBank(list: readonly unknown[], listPath: PropertyKey[], problems: Problem[]): Record<string, QuestionDef> {
  const bank: Record<string, QuestionDef> = {};
  const firstIndex = new Map<string, number>();
  list.forEach((value, index) => {
    const question = parseEntry(questionSchema, value, [...listPath, index], problems);
    if (!question) return;
    const first = firstIndex.get(question.id);
    if (first !== undefined) {
      problems.push({
        path: dottedPath([...listPath, index, 'id']),
        message: `duplicate question id "${question.id}" (also at ${dottedPath([...listPath, first])})`,
      });
      return;
    }
    firstIndex.set(question.id, index);
    bank[question.id] = {
      id: question.id,
      text: question.text,
      category: question.category,
      // Only when given, so banks without languages read exactly as before.
      ...(question.language ? { language: question.language } : {}),
      ...(question.translations && Object.keys(question.translations).length > 0 ? { translations: question.translations } : {}),
    };
  });
  return bank;
}
