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
