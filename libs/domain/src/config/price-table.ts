import { z } from 'zod';
import type { Problem } from '../problems/problem.js';
import { dottedPath, issuesToProblems, problemMessages } from '../json/zod-issue.mapper.js';
import { numberBetween, strictObject } from '../json/common.schema.js';
import type { ModelConfig, RegionConfig } from './config.types.js';
import { resolveRegionIn } from './region.resolver.js';

/** `region: '*'` in a price entry: every region serving the model that has no entry of its own. */
export const ANY_REGION = '*';

/** Largest price accepted per million tokens, in USD: a typo of a few orders of magnitude is refused, not billed. */
export const MAX_PRICE_PER_MILLION = 100_000;

/** Tokens a chat template may add around the system and user messages (role markers, separators), for the bound. */
export const CHAT_TEMPLATE_TOKENS = 32;

/** One entry of `prices:` in `beacon.config.yaml`: USD per million tokens of one model in one region (or `*`). */
export const priceEntrySchema = strictObject({
  model: z.string().min(1),
  region: z.string().min(1),
  inputPerMillion: numberBetween(0, MAX_PRICE_PER_MILLION),
  outputPerMillion: numberBetween(0, MAX_PRICE_PER_MILLION),
});

/** What one model costs in one region, in USD per million tokens. */
export interface Price {
  inputPerMillion: number;
  outputPerMillion: number;
}

/** The price table: `model\0region` (region `*` for the model's default) → price. */
export type PriceTable = Record<string, Price>;

function priceKey(modelId: string, region: string): string {
  return `${modelId}\0${region}`;
}

/**
 * The `prices:` section as a table, every entry checked: a known model, a known region (id or alias) or `*`, prices
 * from 0 to {@link MAX_PRICE_PER_MILLION}, no two entries for the same model and region. Problems name the entry's
 * field (`prices[2].inputPerMillion`).
 */
export function buildPriceTable(
  list: readonly unknown[],
  regions: Record<string, Pick<RegionConfig, 'id' | 'aliases'>>,
  models: Record<string, Pick<ModelConfig, 'id' | 'regions'>>,
  problems: Problem[],
): PriceTable {
  const table: PriceTable = {};
  const firstIndex = new Map<string, number>();
  list.forEach((value, index) => {
    const parsed = priceEntrySchema.safeParse(value, { error: problemMessages });
    if (!parsed.success) {
      problems.push(...issuesToProblems(parsed.error.issues, (segments) => dottedPath(['prices', index, ...segments])));
      return;
    }
    const entry = parsed.data;
    const model = models[entry.model];
    if (!model) {
      problems.push({
        path: dottedPath(['prices', index, 'model']),
        message: `unknown model "${entry.model}" (known: ${Object.keys(models).join(', ')})`,
      });
      return;
    }
    const region = entry.region === ANY_REGION ? ANY_REGION : resolveRegionIn(regions, entry.region);
    if (region === null) {
      problems.push({
        path: dottedPath(['prices', index, 'region']),
        message: `unknown region "${entry.region}" (known: ${Object.keys(regions).join(', ')}, or * for every region)`,
      });
      return;
    }
    if (region !== ANY_REGION && !model.regions.includes(region)) {
      problems.push({
        path: dottedPath(['prices', index, 'region']),
        message: `model "${entry.model}" is not served in region "${region}" (its regions: ${model.regions.join(', ')})`,
      });
      return;
    }
    const key = priceKey(entry.model, region);
    const first = firstIndex.get(key);
    if (first !== undefined) {
      problems.push({
        path: dottedPath(['prices', index]),
        message: `a second price for model "${entry.model}" in region "${region}" (also at ${dottedPath(['prices', first])})`,
      });
      return;
    }
    firstIndex.set(key, index);
    table[key] = { inputPerMillion: entry.inputPerMillion, outputPerMillion: entry.outputPerMillion };
  });
  return table;
}

/** The price of `modelId` in `region` (its own entry, else the model's `*` entry), or null when none is configured. */
export function priceOf(prices: PriceTable | undefined, modelId: string, region: string): Price | null {
  if (!prices) return null;
  return prices[priceKey(modelId, region)] ?? prices[priceKey(modelId, ANY_REGION)] ?? null;
}

/**
 * What one call cost in USD, from the tokens its provider reported: null (unknown, never 0) when the model has no price
 * in the region or the provider reported no token counts.
 */
export function callCost(price: Price | null, inputTokens: number | null, outputTokens: number | null): number | null {
  if (!price || inputTokens === null || outputTokens === null) return null;
  return (inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1_000_000;
}

/**
 * The most one call can cost, in USD, before it is made: `promptTokensBound` input tokens (a job's
 * {@link promptTokensBound}) and `maxTokens` output tokens. What the claim reserves of a job's `max_cost` per call.
 */
export function callCostBound(price: Price, promptTokensBound: number, maxTokens: number): number {
  return (promptTokensBound * price.inputPerMillion + maxTokens * price.outputPerMillion) / 1_000_000;
}

/**
 * An upper bound of the input tokens of any call of a job: the UTF-8 bytes of its longest system prompt plus its
 * longest question, plus {@link CHAT_TEMPLATE_TOKENS}. A byte-level BPE tokenizer (every current chat model's) never
 * makes more tokens than bytes, so this is a bound, not a guess.
 */
export function promptTokensBound(systemPrompts: readonly string[], questions: readonly string[]): number {
  const utf8 = new TextEncoder();
  const longest = (texts: readonly string[]) => texts.reduce((n, t) => Math.max(n, utf8.encode(t).length), 0);
  return longest(systemPrompts) + longest(questions) + CHAT_TEMPLATE_TOKENS;
}
