// The refusal classifier: rules (pure), scoring against human labels, the judge model, the labeller (rules then the
// optional judge) and re-labelling a finished job. Depends on @beacon/domain only; the judge's chat client and the
// job store are ports (the engine's provider and the database's ClassificationRepository satisfy them).
export {
  CLASSIFIER_VERSION,
  type Classification,
  type ClassifierInput,
  type ClassifierTier,
  REFUSAL_LABELS,
  RESPONSE_LABELS,
  type ResponseLabel,
  answerText,
  classifyResponse,
} from './rules/classifier.js';
export { CLASSIFIER_LANGUAGES, RESPONSE_RULES, type ResponseRule, type RuleKind } from './rules/refusal-rules.data.js';
export {
  type Table,
  type TableFormat,
  TableFormatError,
  parseCsv,
  readCsvTable,
  readJsonlTable,
  readTable,
  tableFormatOf,
} from './score/tabular.reader.js';
export {
  type ClassifierScore,
  type ConfusionMatrix,
  type ScoredRow,
  type HumanVerdict,
  humanLabelReader,
  scoreClassifier,
} from './score/classifier-score.js';
export type { ClosableJudgeChat, JudgeChat, JudgeChatRequest, JudgeChatResult } from './judge/judge-chat.port.js';
export {
  JUDGE_SYSTEM_PROMPT,
  JudgeClassifier,
  type JudgeInput,
  type JudgedClassification,
  parseVerdict,
} from './judge/judge.classifier.js';
export { JUDGE_CONCURRENCY, type Labeller, createLabeller } from './label/labeller.js';
export { type ClassifyTableOptions, type LabelledRow, type TableClassification, classifyTable } from './label/classify-table.js';
export {
  type RelabelCandidate,
  RelabelJobService,
  type RelabelOutcome,
  type RelabelRecord,
  type RelabelStore,
  type RelabelSummary,
} from './label/relabel-job.service.js';
