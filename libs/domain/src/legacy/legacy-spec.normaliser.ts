import { defaultConfig } from '../config/default-config.data.js';
import type { BeaconConfig } from '../config/config.types.js';
import { resolveRegion } from '../config/region.resolver.js';
import { sha256Hex } from '../json/canonical-json.js';
import { DEFAULT_MIN_SUCCESS_RATE } from '../job-spec/job-spec.reader.js';
import type { NormalisedJobSpec, PlannedQuestion } from '../job-spec/job-spec.types.js';
import { isObj, type LegacyDocument } from './legacy-export.reader.js';

/** A best-effort normalised spec of a legacy job: unknown names are kept, free-text questions get a hashed id. */
export function lenientSpec(doc: LegacyDocument, config: BeaconConfig = defaultConfig()): NormalisedJobSpec {
  const s = doc.job.spec;
  const questions: PlannedQuestion[] = [];
  for (const q of Array.isArray(s.questions) ? s.questions : []) {
    if (typeof q === 'string') {
      const bank = config.questions[q];
      questions.push(
        bank
          ? { id: bank.id, text: bank.text, category: bank.category, source: 'bank' }
          : { id: `q-${sha256Hex(q).slice(0, 12)}`, text: q, category: null, source: 'inline' },
      );
    } else if (isObj(q) && typeof q.id === 'string') {
      questions.push({
        id: q.id,
        text: typeof q.text === 'string' ? q.text : (config.questions[q.id]?.text ?? ''),
        category: null,
        source: 'inline',
      });
    }
  }
  const meta = isObj(s.metadata) ? s.metadata : {};
  const modelIds = (Array.isArray(meta.models) ? meta.models : Array.isArray(s.models) ? s.models : [])
    .map((m) => (typeof m === 'string' ? m : isObj(m) && typeof m.id === 'string' ? m.id : null))
    .filter((m): m is string => m !== null);
  const constraints = isObj(s.constraints) ? s.constraints : {};
  const regionNames = (Array.isArray(constraints.regions) ? constraints.regions : Array.isArray(s.regions) ? s.regions : []).filter(
    (r): r is string => typeof r === 'string',
  );
  const regions: { id: string; displayName: string }[] = [];
  for (const name of regionNames) {
    const id = resolveRegion(config, name) ?? name;
    if (!regions.some((r) => r.id === id)) regions.push({ id, displayName: config.regions[id]?.displayName ?? name });
  }
  const models = [...new Set(modelIds)].map((id) => ({ id, name: config.models[id]?.name ?? id }));
  const benchmark = isObj(s.benchmark) ? s.benchmark : {};
  const cells = Math.max(1, questions.length * models.length * regions.length);
  return {
    id: doc.job.jobspecId,
    format: 'go-runner',
    version: typeof s.version === 'string' ? s.version : 'v1',
    benchmark: {
      name: typeof benchmark.name === 'string' ? benchmark.name : 'legacy',
      version: typeof benchmark.version === 'string' ? benchmark.version : null,
      description: typeof benchmark.description === 'string' ? benchmark.description : null,
    },
    questions,
    models,
    regions,
    repeats: 1,
    constraints: {
      minRegions: typeof constraints.min_regions === 'number' ? constraints.min_regions : 1,
      minSuccessRate: typeof constraints.min_success_rate === 'number' ? constraints.min_success_rate : DEFAULT_MIN_SUCCESS_RATE,
      timeoutMs: null,
      providerTimeoutMs: null,
      // Kept as the export says (the old runner accepted it and ignored it); an imported job is never claimed.
      maxCostUsd: typeof constraints.max_cost === 'number' && Number.isFinite(constraints.max_cost) ? constraints.max_cost : null,
    },
    parameters: { temperature: config.defaults.temperature, maxTokens: config.defaults.maxTokens, maxAttempts: 1 },
    prompt: { ...config.prompt },
    createdBy: null,
    createdAt: typeof s.created_at === 'string' ? s.created_at : null,
    cells,
  };
}
