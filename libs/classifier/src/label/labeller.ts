import type { JudgeConfig } from '@beacon/domain';
import type { ClosableJudgeChat } from '../judge/judge-chat.port.js';
import { JudgeClassifier, type JudgeInput, type JudgedClassification } from '../judge/judge.classifier.js';
import { CLASSIFIER_VERSION, classifyResponse } from '../rules/classifier.js';

/** Judge calls in flight at once. */
export const JUDGE_CONCURRENCY = 4;

/** A labelling function: the rules alone, or the rules and the configured judge. */
export interface Labeller {
  /** The version every label it gives carries (`rules-v5`, or `rules-v5+judge:<model>`). */
  version: string;
  label(input: JudgeInput): Promise<JudgedClassification>;
  /** Releases the judge's connections (nothing for the rules alone). */
  close(): Promise<void>;
}

/**
 * The rules, or with `judge` the rules then the judge for unsure rule labels. `openChat` opens the judge's chat client
 * (the engine's OpenAI-compatible provider, or a test double) with room for {@link JUDGE_CONCURRENCY} calls; it is
 * called only when there is a judge, and the labeller closes it.
 */
export function createLabeller(judge: JudgeConfig | null, openChat: (concurrency: number) => ClosableJudgeChat): Labeller {
  if (!judge) {
    // eslint-disable-next-line @typescript-eslint/require-await -- Labeller.label returns a Promise; async keeps a throw a rejection
    return { version: CLASSIFIER_VERSION, label: async (input) => classifyResponse(input), close: () => Promise.resolve() };
  }
  const chat = openChat(JUDGE_CONCURRENCY);
  const classifier = new JudgeClassifier(judge, chat);
  return { version: classifier.version, label: (input) => classifier.classify(input), close: () => chat.close() };
}

/** Labels every input, with at most {@link JUDGE_CONCURRENCY} labels pending, keeping the order. */
export function labelAll(labeller: Labeller, inputs: readonly JudgeInput[]): Promise<JudgedClassification[]> {
  return mapLimited(inputs, JUDGE_CONCURRENCY, (input) => labeller.label(input));
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
