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
