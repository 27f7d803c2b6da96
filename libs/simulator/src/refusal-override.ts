import { QWEN } from './answer-texts.data.js';
import { hashUnit } from './seeded-random.js';
import type { RefusalOverride } from './simulator.types.js';

/** The text of an overridden answer: a refusal the classifier labels `refused`. */
export const OVERRIDE_REFUSAL = QWEN.refusalEn;

/**
 * Decides, call by call, whether the `refusals` overrides turn an answer into a refusal. The draw for a rule with a
 * rate below 1 is `hashUnit(seed, model, region, question, n)` where n counts the calls of that (model, region,
 * question) so far: the same seed and order of calls give the same refusals, and replicates of a cell draw apart.
 */
export class RefusalDecider {
  /** Calls seen by (model, region, question); one entry per distinct cell the simulator served. */
  private readonly calls = new Map<string, number>();

  constructor(private readonly seed: number) {}

  /** True when the call is to be answered with {@link OVERRIDE_REFUSAL}. */
  refuses(rules: readonly RefusalOverride[], model: string, region: string, user: string): boolean {
    const key = `${model}\u0000${region}\u0000${user}`;
    const n = this.calls.get(key) ?? 0;
    this.calls.set(key, n + 1);
    const text = user.toLowerCase();
    return rules.some((r, i) => {
      if (r.model !== undefined && r.model !== model) return false;
      if (r.region !== undefined && r.region !== region) return false;
      if (r.topic !== undefined && !text.includes(r.topic.toLowerCase())) return false;
      const rate = r.rate ?? 1;
      return rate >= 1 || (rate > 0 && hashUnit('refusal', this.seed, i, model, region, user, n) < rate);
    });
  }
}
