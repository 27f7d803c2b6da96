export {
  type BackoffPolicy,
  type CallErrorKind,
  type CallFailure,
  DEFAULT_BACKOFF,
  DEFAULT_MAX_ATTEMPTS,
  type FailureClass,
  type FailureDecision,
  type FailureDecisionInput,
  MAX_RETRY_AFTER_MS,
  classifyFailure,
  decideAfterFailure,
  nominalDelayMs,
  parseRetryAfter,
  retryDelayMs,
} from './retry-policy.js';
export { RetryBudget, type RetryBudgetOptions, type RetryBudgetSnapshot } from './retry-budget.js';
export {
  CLASSIFIER_VERSION,
  type Classification,
  type ClassifierInput,
  type ClassifierTier,
  REFUSAL_LABELS,
  type ResponseLabel,
  answerText,
  classifyResponse,
} from './classifier.js';
export { RESPONSE_RULES, type ResponseRule, type RuleKind } from './refusal-rules.data.js';
export { type JobRollupInput, rollupJobStatus } from './job-rollup.js';
