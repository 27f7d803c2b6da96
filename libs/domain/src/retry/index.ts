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
