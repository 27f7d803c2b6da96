/** A committed result to (re-)label: the response as stored and the prompt it answered. */
export interface ClassifiableResult {
  executionId: string;
  /** The attempt whose response is the result, when its row exists. */
  attemptId: string | null;
  response: string | null;
  finishReason: string | null;
  /** The current label's rule; `provider.refusal_field` / `provider.moderation` record a provider signal. */
  currentRule: string | null;
  userPrompt: string | null;
}

/** One versioned label of one execution (a row of `classifications`, without its time). */
export interface ClassificationRecord {
  executionId: string;
  attemptId: string | null;
  version: string;
  label: string;
  confidence: number | null;
  tier: string | null;
  rule: string | null;
}

/** A label as the classifier gives it (`Classification` of @beacon/classifier satisfies it). */
export interface ResponseLabelling {
  label: string;
  rule: string;
  confidence: number;
  version: string;
  tier: string;
}

/**
 * Labels one successful response: Beacon's classifier (`classifyResponse` of @beacon/classifier), passed in by whoever
 * stores rows that have none of Beacon's labels yet (the legacy import). Only a successful response is ever labelled:
 * an error body or a failed attempt has no answer label.
 */
export type ResponseLabeller = (response: { content: string | null; finishReason?: string | null }) => ResponseLabelling;
